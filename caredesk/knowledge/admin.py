"""Read-only back office views of advisories and articles: writes go through the services (and the
API), which render Markdown safely and audit every change."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from caredesk.knowledge.models import Advisory, Article


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin[Advisory]):
    list_display = ("title", "service", "severity", "published_at", "retired_at")
    list_filter = ("service", "severity")
    search_fields = ("title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Advisory | None = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = ("title", "service", "kind", "is_published", "updated_at")
    list_filter = ("service", "kind", "is_published")
    search_fields = ("title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False
