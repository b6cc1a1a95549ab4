"""Tables of the knowledge app: service advisories and knowledge-base articles (the User Guide and
Support FAQ the guide asks resellers to consult before opening a case). Markdown is stored as
written and as sanitised HTML (rendered by the services). No rules here.

On PostgreSQL a GIN index over the articles' English text vector (migration 0002) serves the
full-text search; on SQLite that migration does nothing and search is a simple match."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now

USER = settings.AUTH_USER_MODEL


class AdvisorySeverity(models.TextChoices):
    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Advisory(models.Model):
    """A service advisory published by Customer Care for one cloud service; current from
    ``published_at`` until retired."""

    service = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    body_md = models.TextField()
    body_html = models.TextField()
    severity = models.CharField(max_length=10, choices=AdvisorySeverity.choices, default=AdvisorySeverity.INFO)
    impact = models.CharField(max_length=500, blank=True, help_text="Who or what is affected, in a sentence.")
    published_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=now)
    retired_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)
    retire_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["service", "retired_at", "published_at"], name="advisory_service_current")]

    def __str__(self) -> str:
        return f"{self.service}: {self.title}"


class ArticleKind(models.TextChoices):
    USER_GUIDE = "user_guide"
    FAQ = "faq"


class Article(models.Model):
    """One User Guide page or Support FAQ entry of a cloud service, written by Customer Care."""

    service = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=ArticleKind.choices)
    title = models.CharField(max_length=200)
    body_md = models.TextField()
    body_html = models.TextField()
    is_published = models.BooleanField(default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["service", "kind", "title", "id"]
        indexes = [models.Index(fields=["service", "kind", "is_published"], name="article_service_kind")]

    def __str__(self) -> str:
        return f"{self.service} {self.kind}: {self.title}"
