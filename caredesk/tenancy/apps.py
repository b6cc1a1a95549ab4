from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "caredesk.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy and identity"
