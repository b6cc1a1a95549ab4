"""The sweep's own tables: its progress and schedule (one row per sweep), and the alert key table
that makes every warning, breach, reminder and overdue notice happen exactly once.

``SweepAlert`` is the exactly-once guarantee: the row is inserted with ON CONFLICT DO NOTHING in
the same transaction as the timeline event and the notifications it stands for, so whatever
number of workers sweep at once, one of them records it and the others see the key taken."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now

from caredesk.cases.models import Case
from caredesk.tenancy.models import Reseller


class SweepState(models.Model):
    """Progress and schedule of one periodic job: ``name`` = "sla" (the sweep) or "reports" (the
    reports' preparation, which uses only the lease, the lock and the ``last_*`` fields).

    ``swept_to``, ``swept_id``: the watermark, a position in the stream of warnings ordered by
    (warning instant, target id): every warning before it was read (``swept_id`` None: every
    warning up to and including ``swept_to``).
    ``next_run_at``: the scheduler's lease; the worker that moves it forward enqueues the sweep."""

    name = models.CharField(max_length=40, unique=True)
    swept_to = models.DateTimeField(null=True, blank=True)
    swept_id = models.BigIntegerField(null=True, blank=True)
    next_run_at = models.DateTimeField(default=now)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_worker = models.CharField(max_length=100, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"sweep {self.name} to {self.swept_to}"


class SweepAlert(models.Model):
    """One alert the sweep recorded: ``subject`` is a target kind ("response", "restoration",
    "resolution") or "post_mortem:<id>" / "incident_report:<id>"; ``alert`` is "warning",
    "breached", "reminder" or "overdue". Unique per (case, subject, alert)."""

    # No index of their own: the unique key leads with case_id, and nothing looks alerts up by
    # reseller; every index less is one random write less per alert on a table that only grows.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    subject = models.CharField(max_length=40)
    alert = models.CharField(max_length=16)
    crossed_at = models.DateTimeField(help_text="The instant that was crossed (warning, due...).")
    recorded_at = models.DateTimeField(help_text="The sweep's now when it recorded the alert.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "subject", "alert"], name="sweep_alert_once"),
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.subject} {self.alert}"
