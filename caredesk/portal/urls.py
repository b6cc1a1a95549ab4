"""The portal's pages. Every name lives in the ``portal`` namespace, and tests/portal/
test_tenant_pages.py walks every pattern here as another tenant's user: a new page is probed the
day it is added."""

from django.contrib.auth import views as auth_views
from django.urls import path

from caredesk.portal.views import account, cases, console, intake, requests, reseller

app_name = "portal"

urlpatterns = [
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health", account.health, name="health"),
    path("", reseller.home, name="home"),
    path("tokens/", account.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
    path("profile/", reseller.profile, name="profile"),
    path("contacts/", reseller.contacts, name="contacts"),
    path("contacts/<int:user_id>/deactivate/", reseller.contact_deactivate, name="contact_deactivate"),
    # Cases: the reseller's list, the wizard, the page both sides share, and its actions.
    path("cases/", reseller.case_list, name="case_list"),
    path("cases/new/", intake.case_new, name="case_new"),
    path("cases/new/validate/", intake.intake_validate, name="intake_validate"),
    path("cases/new/services/", intake.intake_services, name="intake_services"),
    path("cases/new/advisories/", intake.intake_advisories, name="intake_advisories"),
    path("cases/<int:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<int:case_id>/clocks/", cases.case_clocks, name="case_clocks"),
    path("cases/<int:case_id>/actions/<str:action>/", cases.case_action, name="case_action"),
    path("cases/<int:case_id>/raise-critical/", cases.raise_critical, name="raise_critical"),
    # Requests that are not incidents.
    path("requests/features/", requests.feature_requests, name="feature_requests"),
    path("requests/features/<int:request_id>/", requests.feature_request_detail, name="feature_request_detail"),
    path("requests/macd/", requests.macd_requests, name="macd_requests"),
    path("requests/macd/<int:request_id>/", requests.macd_detail, name="macd_detail"),
    # The Customer Care console.
    path("console/", console.queue, name="queue"),
    path("console/assign/", console.bulk_assign, name="bulk_assign"),
    path("console/phone-intake/", intake.phone_intake, name="phone_intake"),
]
