from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "caredesk.incidents"
    label = "incidents"
    verbose_name = "Post-incident (post-mortems and Incident Reports)"
