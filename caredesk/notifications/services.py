"""Writes of notifications: the one door every app uses to tell people and webhooks that something
happened (``notification_enqueue``), and each person's notification preferences.

``notification_enqueue`` only records rows, in the caller's transaction; delivery happens after
commit (delivery.py). The caller's ``dedupe_key`` is the idempotency key: the same key never records
the same recipient or endpoint twice, however often (or however concurrently) it is enqueued."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from caredesk.domain.errors import ValidationFailed
from caredesk.notifications import conf, tasks
from caredesk.notifications.adapters.email import message_id_for
from caredesk.notifications.events import EMAIL_BY_DEFAULT, EVERY_KIND, is_valid_kind
from caredesk.notifications.models import (
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from caredesk.tenancy.models import Reseller, User
from caredesk.tenancy.services import audit_record


def _checked(
    *, event_kind: str, subject: str, dedupe_key: str, link: str, context: dict[str, Any], reseller_id: int | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not is_valid_kind(event_kind):
        errors["event_kind"] = "lower-case letters, digits, '_' and '.', starting with a letter (at most 64)"
    if not subject.strip() or len(subject) > 300:
        errors["subject"] = "required, at most 300 characters"
    if not dedupe_key or len(dedupe_key) > 200:
        errors["dedupe_key"] = "required, at most 200 characters"
    if len(link) > 500:
        errors["link"] = "at most 500 characters"
    try:
        data = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        errors["context"] = f"must be JSON-serialisable: {exc}"
        data = {}
    if reseller_id is not None and not Reseller.objects.filter(pk=reseller_id).exists():
        errors["reseller_id"] = "no such reseller"
    if errors:
        raise ValidationFailed("the notification is not valid", errors=errors)
    return data if isinstance(data, dict) else {"value": data}


def wants_email(users: Iterable[User], event_kind: str) -> set[int]:
    """The ids of the people who take e-mail for this kind: their choice for the kind, else their
    default ("*"), else EMAIL_BY_DEFAULT."""
    ids = [u.pk for u in users]
    choices: dict[tuple[int, str], bool] = {
        (p.user_id, p.event_kind): p.email
        for p in NotificationPreference.objects.filter(user_id__in=ids, event_kind__in=[event_kind, EVERY_KIND])
    }
    return {pk for pk in ids if choices.get((pk, event_kind), choices.get((pk, EVERY_KIND), EMAIL_BY_DEFAULT))}


def notification_enqueue(
    *,
    event_kind: str,
    recipients: Iterable[User],
    subject: str,
    body: str,
    context: dict[str, Any],
    dedupe_key: str,
    reseller_id: int | None,
    link: str = "",
) -> int:
    """Record a notification in the caller's transaction: one e-mail row per active recipient who
    takes e-mail for ``event_kind``, and, when ``reseller_id`` is given (the tenant the event
    concerns; None for vendor-internal news), one webhook row per active endpoint of that reseller
    subscribed to the kind. Rows that ``dedupe_key`` already recorded are not recorded again.
    Delivery is enqueued when the transaction commits. Returns the number of rows recorded."""
    data = _checked(
        event_kind=event_kind,
        subject=subject,
        dedupe_key=dedupe_key,
        link=link,
        context=context,
        reseller_id=reseller_id,
    )
    people = list({u.pk: u for u in recipients if u.pk is not None and u.is_active}.values())
    now = timezone.now()
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "event_kind": event_kind,
                "reseller_id": reseller_id,
                "subject": subject.strip(),
                "body": body,
                "context": data,
                "link": link,
                "created_at": now,
            },
        )
        if not created:
            # Concurrent enqueues of one key take turns here, so each row is recorded once.
            Notification.objects.select_for_update().filter(pk=notification.pk).first()
        recorded = _record_emails(notification, people, now=now)
        if notification.reseller_id is not None:
            recorded += _record_webhooks(notification, reseller_id=notification.reseller_id, now=now)
        if recorded:
            notification_delivery_schedule(notification_id=notification.pk, now=now)
    return recorded


def notification_delivery_schedule(*, notification_id: int, now: datetime) -> None:
    """Deliver the notification's due rows once the current transaction commits."""
    transaction.on_commit(lambda: tasks.deliver_task.enqueue(notification_id))
    if tasks.deliver_task.get_backend().supports_defer:
        # A second, deferred pass recorded in this very transaction: should the process die between
        # the commit and the enqueue above, this one still delivers (otherwise it finds nothing to do).
        tasks.deliver_task.using(run_after=now + conf.lease()).enqueue(notification_id)


def _record_emails(notification: Notification, people: list[User], *, now: datetime) -> int:
    if not people:
        return 0
    done = set(
        EmailDelivery.objects.filter(
            dedupe_key=notification.dedupe_key, recipient_id__in=[u.pk for u in people]
        ).values_list("recipient_id", flat=True)
    )
    todo = [u for u in people if u.pk not in done]
    takers = wants_email(todo, notification.event_kind)
    rows = [
        EmailDelivery(
            notification=notification,
            dedupe_key=notification.dedupe_key,
            recipient=user,
            to_address=user.email,
            message_id=message_id_for(
                dedupe_key=notification.dedupe_key, recipient_id=user.pk, from_address=conf.from_address()
            ),
            status=DeliveryStatus.QUEUED,
            due_at=now,
            created_at=now,
        )
        for user in todo
        if user.pk in takers
    ]
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _record_webhooks(notification: Notification, *, reseller_id: int, now: datetime) -> int:
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(reseller_id=reseller_id, active=True).order_by("id")
        if e.hears(notification.event_kind)
    ]
    if not endpoints:
        return 0
    done = set(
        WebhookDelivery.objects.filter(dedupe_key=notification.dedupe_key, endpoint__in=endpoints).values_list(
            "endpoint_id", flat=True
        )
    )
    rows = [
        WebhookDelivery(
            notification=notification,
            dedupe_key=notification.dedupe_key,
            endpoint=endpoint,
            reseller_id=endpoint.reseller_id,
            status=DeliveryStatus.QUEUED,
            due_at=now,
            created_at=now,
        )
        for endpoint in endpoints
        if endpoint.pk not in done
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def notification_preferences_update(
    *, actor: User, email_default: bool | None = None, events: Iterable[tuple[str, bool | None]] = ()
) -> None:
    """Set the actor's own choices: ``email_default`` for every kind, and per kind ``True`` / ``False``,
    or ``None`` to drop the choice (the default applies again)."""
    changes = list(events)
    errors = {
        f"events[{i}].event_kind": "not a valid event kind"
        for i, (kind, _) in enumerate(changes)
        if not is_valid_kind(kind)
    }
    if errors:
        raise ValidationFailed("the notification preferences are not valid", errors=errors)
    now = timezone.now()
    if email_default is not None:
        changes.insert(0, (EVERY_KIND, email_default))
    for kind, email in changes:
        if email is None:
            NotificationPreference.objects.filter(user=actor, event_kind=kind).delete()
        else:
            NotificationPreference.objects.update_or_create(
                user=actor, event_kind=kind, defaults={"email": email, "updated_at": now}
            )
    audit_record(
        actor=actor,
        kind="notification_preferences_updated",
        subject=actor,
        reseller_id=actor.reseller_id,
        data={"changes": {kind: email for kind, email in changes}},
    )
