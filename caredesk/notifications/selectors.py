"""Reads of notifications: webhooks and their deliveries (the reseller's Designated Contacts see their
reseller's, vendor admins every reseller's; anything else is "not found"), and a person's own
notification preferences."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from caredesk.domain.errors import NotFound, PermissionDenied
from caredesk.domain.tenancy.roles import Role
from caredesk.notifications.events import EMAIL_BY_DEFAULT, EVERY_KIND, KNOWN_EVENT_KINDS
from caredesk.notifications.models import EmailDelivery, NotificationPreference, WebhookDelivery, WebhookEndpoint
from caredesk.tenancy.models import User


def webhook_admin_scope(actor: User) -> int | None:
    """The reseller whose webhooks the actor manages (None: a vendor admin, every reseller)."""
    if actor.role_enum is Role.VENDOR_ADMIN:
        return None
    if actor.role_enum is Role.DESIGNATED_CONTACT and actor.reseller_id is not None:
        return actor.reseller_id
    raise PermissionDenied("Only the reseller's Designated Contacts and vendor admins manage webhooks.")


def webhook_list_for_actor(*, actor: User, reseller_id: int | None = None) -> QuerySet[WebhookEndpoint]:
    scope = webhook_admin_scope(actor)
    qs = WebhookEndpoint.objects.all()
    if scope is not None:
        qs = qs.filter(reseller_id=scope)
    if reseller_id is not None:
        qs = qs.filter(reseller_id=reseller_id)
    return qs.order_by("id")


def webhook_get_for_actor(*, actor: User, webhook_id: int) -> WebhookEndpoint:
    endpoint = webhook_list_for_actor(actor=actor).filter(pk=webhook_id).first()
    if endpoint is None:
        raise NotFound("webhook not found")
    return endpoint


def webhook_delivery_list_for_actor(
    *, actor: User, webhook_id: int | None = None, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first; ``status="dead"`` is the dead-letter list."""
    scope = webhook_admin_scope(actor)
    qs = WebhookDelivery.objects.select_related("notification", "endpoint")
    if scope is not None:
        qs = qs.filter(reseller_id=scope)
    if webhook_id is not None:
        webhook_get_for_actor(actor=actor, webhook_id=webhook_id)
        qs = qs.filter(endpoint_id=webhook_id)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def webhook_delivery_get_for_actor(*, actor: User, delivery_id: int) -> WebhookDelivery:
    delivery = webhook_delivery_list_for_actor(actor=actor).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("webhook delivery not found")
    return delivery


@dataclass(frozen=True)
class KindChoice:
    event_kind: str
    email: bool
    chosen: bool  # False: the person's default applies
    description: str


@dataclass(frozen=True)
class Preferences:
    email_default: bool
    events: list[KindChoice]


def notification_preferences_for_actor(*, actor: User) -> Preferences:
    """The actor's own choices, for every known kind, every kind they chose for, and every kind they
    have been sent."""
    chosen = {p.event_kind: p.email for p in NotificationPreference.objects.filter(user=actor)}
    default = chosen.pop(EVERY_KIND, EMAIL_BY_DEFAULT)
    received = set(
        EmailDelivery.objects.filter(recipient=actor).values_list("notification__event_kind", flat=True).distinct()
    )
    kinds = sorted(set(KNOWN_EVENT_KINDS) | set(chosen) | received)
    return Preferences(
        email_default=default,
        events=[
            KindChoice(
                event_kind=kind,
                email=chosen.get(kind, default),
                chosen=kind in chosen,
                description=KNOWN_EVENT_KINDS.get(kind, ""),
            )
            for kind in kinds
        ],
    )
