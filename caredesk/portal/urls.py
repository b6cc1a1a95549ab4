"""The portal's pages. Every name lives in the ``portal`` namespace, and tests/portal/
test_tenant_pages.py walks every pattern here as another tenant's user: a new page is probed the
day it is added."""

from django.contrib.auth import views as auth_views
from django.urls import path

from caredesk.portal.views import (
    account,
    attachments,
    cases,
    console,
    incidents,
    intake,
    knowledge,
    maintenance,
    notifications,
    requests,
    reseller,
)

app_name = "portal"

urlpatterns = [
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
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
    path("cases/new/suggest/", intake.intake_suggest, name="intake_suggest"),
    path("cases/<int:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<int:case_id>/clocks/", cases.case_clocks, name="case_clocks"),
    path("cases/<int:case_id>/actions/<str:action>/", cases.case_action, name="case_action"),
    path("cases/<int:case_id>/raise-critical/", cases.raise_critical, name="raise_critical"),
    path("cases/<int:case_id>/attachments/", attachments.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/download/", attachments.attachment_download, name="attachment_download"),
    # After the incident.
    path("post-mortems/<int:post_mortem_id>/<str:step>/", incidents.post_mortem_step, name="post_mortem_step"),
    path("incident-reports/<int:incident_report_id>/", incidents.incident_report, name="incident_report"),
    path(
        "incident-reports/<int:incident_report_id>/pdf/",
        incidents.incident_report_download,
        name="incident_report_download",
    ),
    # Maintenance and advisories.
    path("maintenance/", maintenance.calendar, name="maintenance"),
    path("maintenance/reschedule/", maintenance.reschedule_new, name="reschedule_new"),
    path("maintenance/conflicts/", maintenance.conflicts, name="maintenance_conflicts"),
    path("maintenance/feeds/", maintenance.feed_create, name="feed_create"),
    path("maintenance/feeds/<int:feed_id>/<str:change>/", maintenance.feed_change, name="feed_change"),
    path("advisories/", knowledge.advisories, name="advisories"),
    path("advisories/new/", knowledge.advisory_new, name="advisory_new"),
    path("advisories/<int:advisory_id>/", knowledge.advisory_detail, name="advisory_detail"),
    path("advisories/<int:advisory_id>/retire/", knowledge.advisory_retire, name="advisory_retire"),
    # Notifications.
    path("notifications/", notifications.preferences, name="notifications"),
    path("notifications/webhooks/", notifications.webhooks, name="webhooks"),
    path("notifications/webhooks/<int:webhook_id>/<str:change>/", notifications.webhook_change, name="webhook_change"),
    # Requests that are not incidents.
    path("requests/features/", requests.feature_requests, name="feature_requests"),
    path("requests/features/<int:feature_request_id>/", requests.feature_request_detail, name="feature_request_detail"),
    path("requests/macd/", requests.macd_requests, name="macd_requests"),
    path("requests/macd/<int:csm_request_id>/", requests.macd_detail, name="macd_detail"),
    # The Customer Care console.
    path("console/", console.queue, name="queue"),
    path("console/assign/", console.bulk_assign, name="bulk_assign"),
    path("console/phone-intake/", intake.phone_intake, name="phone_intake"),
    path("console/post-mortems/", incidents.post_mortems, name="post_mortems"),
    path("console/maintenance/", maintenance.console_maintenance, name="console_maintenance"),
    path(
        "console/maintenance/reschedules/<int:reschedule_id>/decide/",
        maintenance.reschedule_decide,
        name="reschedule_decide",
    ),
    path("console/maintenance/notices/<int:notice_id>/cancel/", maintenance.notice_cancel, name="notice_cancel"),
]
