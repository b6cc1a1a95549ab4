from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "caredesk.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance windows, reschedules, notices and feeds"
