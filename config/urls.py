from django.contrib import admin
from django.urls import include, path

from caredesk.sweep.views import health_worker
from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health/worker", health_worker, name="health_worker"),
    # Calendar feeds: outside /api, no login; the secret in the path is the credential.
    path("feeds/", include("caredesk.maintenance.urls")),
    path("reports/", include("caredesk.reports.urls")),
    path("", include("caredesk.portal.urls")),
]

handler500 = "config.errors.server_error"
