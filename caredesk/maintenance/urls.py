"""URLs of the maintenance app outside /api: the secret calendar feed."""

from django.urls import path

from caredesk.maintenance.views import feed_ics

app_name = "maintenance"
urlpatterns = [path("<str:secret>.ics", feed_ics, name="feed")]
