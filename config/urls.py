from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Calendar feeds: outside /api, no login; the secret in the path is the credential.
    path("feeds/", include("caredesk.maintenance.urls")),
    path("reports/", include("caredesk.reports.urls")),
    path("", include("caredesk.portal.urls")),
]
