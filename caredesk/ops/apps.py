from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "caredesk.ops"
    label = "ops"
    verbose_name = "Operations (commands)"
