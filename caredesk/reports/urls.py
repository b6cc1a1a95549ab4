from django.urls import path

from caredesk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.sla_page, name="index"),
    path("sla.csv", views.sla_csv, name="sla_csv"),
    path("what-if/", views.what_if_page, name="what_if"),
]
