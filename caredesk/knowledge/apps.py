from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "caredesk.knowledge"
    label = "knowledge"
    verbose_name = "Service advisories and knowledge base"
