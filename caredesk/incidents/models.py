"""Post-mortems and Incident Reports (guide section 2). Tables, constraints and indexes only; the
rules are caredesk.domain.incidents.postincident and the write paths caredesk.incidents.services.

Each row carries ``reseller`` (the tenant key) and the partial indexes the sweep reads: only open
post-mortems and unpublished reports are in them, so finding the deadlines that passed never
scans the history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from caredesk.cases.models import Case
from caredesk.domain.incidents.postincident import PostMortemState, ReportState
from caredesk.tenancy.models import Reseller

USER = settings.AUTH_USER_MODEL

OPEN_POST_MORTEM = Q(status__in=[PostMortemState.DUE.value, PostMortemState.SCHEDULED.value])
OPEN_REPORT = Q(status=ReportState.REQUESTED.value)


class PostMortem(models.Model):
    """The post-mortem owed after one Service Resolution of a Critical or High case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="post_mortems")
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    severity = models.PositiveSmallIntegerField(help_text="The case's severity at Service Resolution.")
    resolved_at = models.DateTimeField(help_text="The Service Resolution instant the deadline counts from.")
    due_at = models.DateTimeField()
    reminder_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in PostMortemState], default=PostMortemState.DUE.value
    )
    meeting_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    root_cause_analysis = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    not_applicable_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=OPEN_POST_MORTEM, name="one_open_post_mortem_per_case"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=OPEN_POST_MORTEM, name="post_mortem_open_due"),
            models.Index(fields=["reminder_at"], condition=OPEN_POST_MORTEM, name="post_mortem_open_reminder"),
            models.Index(fields=["reseller", "status", "due_at"], name="post_mortem_reseller"),
        ]

    def __str__(self) -> str:
        return f"post-mortem {self.pk} of case {self.case_id} ({self.status})"


class IncidentReport(models.Model):
    """The written Incident Report a Designated Contact requested after the meeting."""

    post_mortem = models.OneToOneField(PostMortem, on_delete=models.PROTECT, related_name="incident_report")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    request = models.TextField(help_text="The Designated Contact's request, in writing.")
    due_at = models.DateTimeField()
    reminder_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in ReportState], default=ReportState.REQUESTED.value
    )
    summary = models.TextField(blank=True)
    timeline = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    remediation = models.TextField(blank=True, help_text="The steps to address the root causes.")
    written_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=OPEN_REPORT, name="incident_report_open_due"),
            models.Index(fields=["reminder_at"], condition=OPEN_REPORT, name="incident_report_open_reminder"),
            models.Index(fields=["reseller", "status", "due_at"], name="incident_report_reseller"),
        ]

    def __str__(self) -> str:
        return f"incident report {self.pk} of case {self.case_id} ({self.status})"
