"""Tables of the notification outbox: the logical notification, one e-mail row per recipient, one
webhook row per subscribed endpoint, per-user preferences, the reseller's webhook endpoints, and the
wake-up marker of the delivery worker. Rules live in services.py and delivery.py, never here."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from caredesk.tenancy.models import Reseller, User


class Notification(models.Model):
    """Something happened that people (and webhooks) hear of: recorded once per ``dedupe_key``."""

    dedupe_key = models.CharField(max_length=200, help_text="The idempotency key chosen by the caller.")
    event_kind = models.CharField(max_length=64)
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    context = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["reseller", "created_at"])]
        # A constraint rather than unique=True: on PostgreSQL that would add a second,
        # varchar_pattern_ops index for LIKE look-ups nothing makes.
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key_unique")]

    def __str__(self) -> str:
        return f"{self.event_kind} {self.dedupe_key}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued"  # waiting for due_at
    SENDING = "sending"  # claimed under a lease; in doubt once the lease has expired
    SENT = "sent"  # accepted by the SMTP server / answered 2xx by the webhook receiver
    DEAD = "dead"  # gave up (permanent refusal or retries exhausted); an admin may replay it


class Delivery(models.Model):
    """One message to one destination, delivered under a lease (docs/decisions/notification-delivery.md).

    ``queued`` rows are due at ``due_at``; a worker claims them by setting ``sending`` with a fresh
    ``lease_token`` and ``lease_until``; only the holder of the token may record the outcome. A
    ``sending`` row whose lease has expired is claimed again (``reclaims`` + 1)."""

    # No index of its own: each table's (notification, status) index serves the look-ups by notification.
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+", db_index=False)
    dedupe_key = models.CharField(max_length=200, help_text="The notification's key, for the unique constraint.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    due_at = models.DateTimeField(default=now)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    reclaims = models.PositiveIntegerField(default=0, help_text="Claims taken over from an expired lease.")
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.pk} {self.status}"


class EmailDelivery(Delivery):
    """One e-mail to one person. Its tenant is its recipient's: ``reseller`` is the recipient's
    reseller, null for vendor staff, whatever tenant the notification concerns (an e-mail to a
    Customer Care agent about a reseller's case is vendor staff's mail; a vendor-wide notice mailed
    to a reseller's Designated Contact is that reseller's mail). See docs/scaling.md."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # No index of its own: deliveries are claimed by due_at / lease_until and read per notification;
    # nothing looks them up by reseller (one index less is one write less per e-mail recorded).
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_address = models.EmailField(help_text="The recipient's address when the notification was recorded.")
    message_id = models.CharField(max_length=255, help_text="Stable: derived from the idempotency key.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "recipient"], name="email_delivery_once"),
            # A constraint rather than unique=True: on PostgreSQL that would add a second,
            # varchar_pattern_ops index for LIKE look-ups nothing makes.
            models.UniqueConstraint(fields=["message_id"], name="email_message_id_unique"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="queued"), name="email_delivery_due"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="email_delivery_lease"),
            models.Index(fields=["notification", "status"], name="email_delivery_notification"),
        ]


class WebhookEndpoint(models.Model):
    """A reseller's receiver: an http(s) address its admin registered, with the event kinds it hears."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text='Event kinds it receives; "*" for every kind.')
    # The HMAC key has to be kept to sign; the API shows it once, at creation or rotation.
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["reseller", "active"])]

    def __str__(self) -> str:
        return self.url

    def hears(self, event_kind: str) -> bool:
        return "*" in self.event_types or event_kind in self.event_types


class WebhookDelivery(Delivery):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+", db_index=False)
    idempotency_id = models.UUIDField(default=uuid.uuid4, unique=True, help_text="Sent as X-Caredesk-Delivery.")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dedupe_key", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="queued"), name="webhook_delivery_due"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="webhook_delivery_lease"),
            models.Index(fields=["notification", "status"], name="webhook_delivery_notification"),
            models.Index(fields=["reseller", "status", "id"], name="webhook_delivery_reseller"),
        ]


class NotificationPreference(models.Model):
    """A person's choice for one event kind; ``event_kind="*"`` is their default for every kind."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The tenant key: the user's reseller, null for vendor staff. Read by (user, event_kind) only.
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    event_kind = models.CharField(max_length=64)
    email = models.BooleanField()
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event_kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_kind} email={self.email}"


class DeliveryWakeup(models.Model):
    """One row: when the next deferred ``deliver_due`` task is scheduled to run (see delivery.py)."""

    at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"next wake-up {self.at}"
