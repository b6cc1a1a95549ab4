"""Tables of the maintenance app: reschedule requests (an accepted one is a move of one planned
occurrence for one End User Account), unplanned and emergency notices, the resellers each notice
reached, and the secret-URL calendar feeds. The planned windows themselves are policy data
(``policy.services[s].windows``), never rows. Rules live in services.py and the domain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from caredesk.tenancy.models import EndUserAccount, Reseller

USER = settings.AUTH_USER_MODEL


class RescheduleStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class RescheduleRequest(models.Model):
    """A DC's request to move one planned occurrence (service + planned start) for one account."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.ForeignKey(
        EndUserAccount, on_delete=models.PROTECT, related_name="reschedule_requests", db_index=False
    )
    service = models.CharField(max_length=32)
    planned_start = models.DateTimeField(help_text="The planned occurrence's start (UTC): its identity.")
    planned_end = models.DateTimeField()
    proposed_start = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=RescheduleStatus.choices, default=RescheduleStatus.PENDING)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=now)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="reschedule_account_status"),
            models.Index(fields=["reseller", "status"], name="reschedule_reseller_status"),
        ]
        constraints = [
            # One open or accepted request per occurrence and account: an occurrence moves at most once.
            models.UniqueConstraint(
                fields=["account", "service", "planned_start"],
                condition=Q(status__in=["pending", "accepted"]),
                name="reschedule_one_live_per_occurrence",
            ),
            models.CheckConstraint(
                name="reschedule_planned_order", condition=Q(planned_end__gt=models.F("planned_start"))
            ),
        ]

    def __str__(self) -> str:
        return f"reschedule {self.pk}: {self.service} {self.planned_start:%Y-%m-%d %H:%M}Z ({self.status})"


class MaintenanceNotice(models.Model):
    """Unplanned or emergency maintenance of a service, posted by Customer Care for every account
    subscribed to it."""

    service = models.CharField(max_length=32)
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.TextField()
    emergency = models.BooleanField(default=False)
    posted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=now)
    cancelled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["service", "start", "end"], name="notice_service_span")]
        constraints = [models.CheckConstraint(name="notice_span_order", condition=Q(end__gt=models.F("start")))]

    def __str__(self) -> str:
        kind = "emergency" if self.emergency else "unplanned"
        return f"{kind} {self.service} {self.start:%Y-%m-%d %H:%M}Z"


class NoticeReseller(models.Model):
    """A reseller a notice affected when it was posted: its DCs were notified, and its own
    hash-chained timeline of the notice (subject ``notice_reseller``) hangs off this row."""

    notice = models.ForeignKey(MaintenanceNotice, on_delete=models.CASCADE, related_name="audience", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "reseller"], name="notice_reseller_unique")]

    def __str__(self) -> str:
        return f"notice {self.notice_id} -> reseller {self.reseller_id}"


class CalendarFeed(models.Model):
    """An iCalendar feed of one reseller (``account`` null) or one account behind a secret URL.
    Only the SHA-256 of the secret is stored; revoking or rotating ends the old URL at once."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(EndUserAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a feed in lists.")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller"],
                condition=Q(account__isnull=True, revoked_at__isnull=True),
                name="feed_one_live_per_reseller",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(account__isnull=False, revoked_at__isnull=True),
                name="feed_one_live_per_account",
            ),
        ]

    def __str__(self) -> str:
        scope = f"account {self.account_id}" if self.account_id else f"reseller {self.reseller_id}"
        return f"feed {self.prefix}… ({scope})"
