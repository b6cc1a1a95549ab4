from django.apps import AppConfig


class SweepConfig(AppConfig):
    name = "caredesk.sweep"
    label = "sweep"
    verbose_name = "Background sweep (SLA warnings, breaches, post-incident deadlines)"
