"""Cases, their SLA targets, their append-only hash-chained timeline, comments, attachments,
severity proposals, MAC/D requests to CSMs, feature requests, and idempotency records.

Every table that holds tenant data carries ``reseller`` (the tenant key), so that reads can be scoped
and a sharded PostgreSQL can distribute by reseller. No rules live here: see services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from caredesk.sla.models import PolicyVersion
from caredesk.tenancy.models import EndUserAccount, Reseller

USER = settings.AUTH_USER_MODEL


class CaseStatus(models.TextChoices):
    """The states of caredesk.domain.cases.lifecycle.CaseState."""

    NEW = "new"
    OPEN = "open"
    AWAITING_RESELLER = "awaiting_reseller"
    RESTORED = "restored"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.AWAITING_RESELLER, CaseStatus.RESTORED)
OPEN = [s.value for s in OPEN_STATUSES]


class Case(models.Model):
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="cases", db_index=False)
    account = models.ForeignKey(EndUserAccount, on_delete=models.PROTECT, related_name="cases", db_index=False)
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(max_length=20)
    service = models.CharField(max_length=32)
    package = models.CharField(max_length=32)
    severity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    channel = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    department = models.CharField(max_length=200, blank=True)
    users_affected = models.PositiveIntegerField()
    frequency = models.CharField(max_length=16)
    first_observed_at = models.DateTimeField()
    business_impact = models.TextField()
    steps_to_reproduce = models.TextField()
    local_contact = models.TextField()
    impacted_working_hours = models.CharField(max_length=500)
    impacted_timezone = models.CharField(max_length=64)
    calendar = models.JSONField(help_text="The account's business calendar as it was when the case was logged.")
    level1 = models.JSONField(default=dict)
    additional_details = models.JSONField(default=dict)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="opened_cases")
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases", db_index=False
    )
    critical_contact = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    severity_final = models.BooleanField(default=False, help_text="A Customer Care manager decided; final.")
    submitted_at = models.DateTimeField(default=now)
    restored_at = models.DateTimeField(null=True, blank=True, help_text="Recorded restored by a restore action.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.CharField(max_length=32, blank=True)
    resolution_summary = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Derived by the SLA engine from the timeline; refreshed in the same transaction as every event.
    next_due_at = models.DateTimeField(null=True, blank=True)
    sla = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["reseller", "status", "next_due_at"], name="case_reseller_due"),
            models.Index(fields=["status", "next_due_at"], name="case_status_due"),
            models.Index(fields=["assignee", "status", "next_due_at"], name="case_assignee_due"),
            models.Index(fields=["account", "submitted_at"], name="case_account_submitted"),
            # "Open cases due soonest" (the default list) for Customer Care, a reseller and an
            # agent's own queue: partial, so each list page is one index walk of open cases only,
            # whatever the number of closed ones (status IN (...) cannot keep an index's order).
            models.Index(fields=["next_due_at", "id"], name="case_open_due", condition=Q(status__in=OPEN)),
            models.Index(
                fields=["reseller", "next_due_at", "id"], name="case_open_reseller_due", condition=Q(status__in=OPEN)
            ),
            models.Index(
                fields=["assignee", "next_due_at", "id"], name="case_open_assignee_due", condition=Q(status__in=OPEN)
            ),
            # Every case by due instant (the list without ``open``, closed cases last): without
            # these PostgreSQL sorted every case the caller may see (100 ms at 100,000 cases).
            models.Index(fields=["next_due_at", "id"], name="case_due"),
            models.Index(fields=["reseller", "next_due_at", "id"], name="case_reseller_due_id"),
        ]
        constraints = [
            models.CheckConstraint(name="case_severity_range", condition=Q(severity__gte=1) & Q(severity__lte=9)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class CaseTarget(models.Model):
    """One SLA target of a case as the engine last computed it (the sweep's index)."""

    # No index of its own: ``one_target_per_kind`` (case, kind) serves every look-up by case, and a
    # second index would be one more write per target on every engine update and every breach.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="targets", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16)
    state = models.CharField(max_length=16)
    amount = models.CharField(max_length=16, blank=True)
    due_at = models.DateTimeField(null=True)
    met_at = models.DateTimeField(null=True)
    warning_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_target_per_kind")]
        indexes = [
            models.Index(fields=["due_at"], name="target_running_due", condition=Q(state="running")),
            models.Index(fields=["warning_at"], name="target_running_warn", condition=Q(state="running")),
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.kind}: {self.state}"


class CaseEvent(models.Model):
    """The append-only timeline. ``hash`` = SHA-256 over the previous hash and this event's canonical
    content, so any edit or deletion breaks the chain (``caredesk audit verify``)."""

    # No index of its own: ``event_seq_unique`` (case, seq) serves every look-up by case.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=32)
    channel = models.CharField(max_length=10)
    kind = models.CharField(max_length=40)
    internal = models.BooleanField(default=False, help_text="Customer Care only; never shown to a reseller.")
    data = models.JSONField(default=dict)
    sla = models.JSONField(null=True, blank=True, help_text="The SLA event this carries, in replay format.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"case {self.case_id} #{self.seq} {self.kind}"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "internal", "id"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on case {self.case_id}"


class Attachment(models.Model):
    """A file on a case. Only bytes the customer-data scanner passed (or redacted) are stored, under
    a random storage name; the user's file name is metadata only and never a path."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments", db_index=False)
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, help_text="text, image or archive (by content, not by name)")
    redacted = models.BooleanField(default=False)
    redaction = models.JSONField(default=dict, help_text="What was redacted: types, counts, lines; never values.")
    confirmed_no_customer_data = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "id"])]

    def __str__(self) -> str:
        return f"{self.filename} on case {self.case_id}"


class SeverityProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="severity_proposals")
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    severity = models.PositiveSmallIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_proposal")
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk}: case {self.case_id} -> {self.severity} ({self.status})"


class CsmRequest(models.Model):
    """A MAC/D request that the policy routes to the account's CSM rather than to Customer Care."""

    class Status(models.TextChoices):
        OPEN = "open"
        IN_PROGRESS = "in_progress"
        DONE = "done"
        DECLINED = "declined"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="csm_requests")
    account = models.ForeignKey(EndUserAccount, on_delete=models.PROTECT, related_name="csm_requests")
    service = models.CharField(max_length=32)
    csm = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="csm_inbox", db_index=False)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["csm", "status"])]

    def __str__(self) -> str:
        return f"MAC/D {self.pk} for {self.account_id} ({self.status})"


class FeatureRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted"
        UNDER_REVIEW = "under_review"
        PLANNED = "planned"
        DECLINED = "declined"
        DELIVERED = "delivered"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="feature_requests")
    account = models.ForeignKey(EndUserAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=32)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField()
    business_case = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.SUBMITTED)
    status_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"FR {self.pk}: {self.title}"


class RequestEvent(models.Model):
    """The timeline of CSM requests and feature requests (same hash chain as case events)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=20)
    subject_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=32)
    channel = models.CharField(max_length=10)
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["subject_type", "subject_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "seq"], name="request_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} #{self.seq} {self.kind}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed for every retry."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The tenant key: the user's reseller, null for vendor staff (docs/scaling.md). No index of its
    # own: every lookup goes by (user, key), and one index less is one write less per POST.
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
