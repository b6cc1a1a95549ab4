"""Writes of webhooks: register, change, rotate the secret of and remove a reseller's endpoints, and
replay a dead delivery. Each is done by the reseller's Designated Contacts or a vendor admin and
leaves an AuditEvent in the same transaction. The signing secret is returned only by the calls that
create it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from caredesk.domain.errors import InvalidTransition, NotFound, ValidationFailed
from caredesk.notifications import conf
from caredesk.notifications.adapters.webhook_http import WebhookRefused, check_url
from caredesk.notifications.events import EVERY_KIND, is_valid_kind
from caredesk.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from caredesk.notifications.selectors import (
    webhook_admin_scope,
    webhook_delivery_get_for_actor,
    webhook_get_for_actor,
)
from caredesk.notifications.services import notification_delivery_schedule
from caredesk.tenancy.models import Reseller, User
from caredesk.tenancy.services import audit_record

SECRET_PREFIX = "whsec_"  # noqa: S105 -- a public marker, not a secret


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_url(url: str, errors: dict[str, str]) -> str:
    try:
        return check_url(url, allow_private=conf.allow_private_webhooks())
    except WebhookRefused as refused:
        errors["url"] = str(refused)
        return url


def _clean_event_types(event_types: Sequence[str], errors: dict[str, str]) -> list[str]:
    kinds = list(dict.fromkeys(k.strip() for k in event_types))
    bad = [k for k in kinds if not is_valid_kind(k, wildcard=True)]
    if not kinds:
        errors["event_types"] = f'name at least one event kind, or "{EVERY_KIND}" for every kind'
    elif bad:
        errors["event_types"] = f"not valid event kinds: {', '.join(repr(k) for k in bad)}"
    return kinds


def _reseller_for(actor: User, reseller_id: int | None) -> int:
    scope = webhook_admin_scope(actor)
    if scope is not None:
        if reseller_id is not None and reseller_id != scope:
            raise NotFound("reseller not found")
        return scope
    if reseller_id is None:
        raise ValidationFailed("name the reseller", errors={"reseller_id": "a vendor admin names the reseller"})
    if not Reseller.objects.filter(pk=reseller_id).exists():
        raise ValidationFailed("no such reseller", errors={"reseller_id": "no such reseller"})
    return reseller_id


def _audit_data(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {"url": endpoint.url, "event_types": endpoint.event_types, "active": endpoint.active}


@transaction.atomic
def webhook_create(
    *,
    actor: User,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    active: bool = True,
    reseller_id: int | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint. Returns it and its signing secret, which no later read shows again."""
    owner = _reseller_for(actor, reseller_id)
    errors: dict[str, str] = {}
    clean_url = _clean_url(url, errors)
    kinds = _clean_event_types(event_types, errors)
    if len(description) > 200:
        errors["description"] = "at most 200 characters"
    if errors:
        raise ValidationFailed("the webhook is not valid", errors=errors)
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        reseller_id=owner,
        url=clean_url,
        description=description.strip(),
        event_types=kinds,
        secret=secret,
        active=active,
        created_by=actor,
    )
    audit_record(actor=actor, kind="webhook_created", subject=endpoint, reseller_id=owner, data=_audit_data(endpoint))
    return endpoint, secret


@transaction.atomic
def webhook_update(
    *,
    actor: User,
    webhook_id: int,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    endpoint = webhook_get_for_actor(actor=actor, webhook_id=webhook_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    errors: dict[str, str] = {}
    if url is not None:
        endpoint.url = _clean_url(url, errors)
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types, errors)
    if description is not None:
        if len(description) > 200:
            errors["description"] = "at most 200 characters"
        endpoint.description = description.strip()
    if active is not None:
        endpoint.active = active
    if errors:
        raise ValidationFailed("the webhook is not valid", errors=errors)
    endpoint.updated_at = timezone.now()
    endpoint.save()
    audit_record(
        actor=actor,
        kind="webhook_updated",
        subject=endpoint,
        reseller_id=endpoint.reseller_id,
        data=_audit_data(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, actor: User, webhook_id: int) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, effective for every delivery from now on (retries included)."""
    endpoint = webhook_get_for_actor(actor=actor, webhook_id=webhook_id)
    endpoint.secret = _new_secret()
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, kind="webhook_secret_rotated", subject=endpoint, reseller_id=endpoint.reseller_id)
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_delete(*, actor: User, webhook_id: int) -> None:
    """Remove an endpoint and its delivery history (deactivate it instead to keep the history)."""
    endpoint = webhook_get_for_actor(actor=actor, webhook_id=webhook_id)
    audit_record(
        actor=actor,
        kind="webhook_deleted",
        subject=endpoint,
        reseller_id=endpoint.reseller_id,
        data=_audit_data(endpoint),
    )
    endpoint.delete()


@transaction.atomic
def webhook_delivery_replay(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Send a dead delivery again, now, with a fresh round of retries and the same delivery id (so a
    receiver that did process it after all can tell)."""
    found = webhook_delivery_get_for_actor(actor=actor, delivery_id=delivery_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=found.pk)
    if delivery.status != DeliveryStatus.DEAD:
        raise InvalidTransition(f"only a dead delivery can be replayed; this one is {delivery.status}")
    now = timezone.now()
    delivery.status = DeliveryStatus.QUEUED
    delivery.due_at = now
    delivery.attempts = 0
    delivery.replayed_at = now
    delivery.save(update_fields=["status", "due_at", "attempts", "replayed_at"])
    audit_record(
        actor=actor,
        kind="webhook_delivery_replayed",
        subject=delivery,
        reseller_id=delivery.reseller_id,
        data={"endpoint_id": delivery.endpoint_id, "idempotency_id": str(delivery.idempotency_id)},
    )
    notification_delivery_schedule(notification_id=delivery.notification_id, now=now)
    return delivery
