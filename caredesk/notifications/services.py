"""Writes of notifications: the one door every app uses to tell people and webhooks that something
happened (``notification_enqueue``, or ``notification_enqueue_many`` for a burst), and each person's
notification preferences.

``notification_enqueue`` only records rows, in the caller's transaction; delivery happens after
commit (delivery.py). The caller's ``dedupe_key`` is the idempotency key: the same key never records
the same recipient or endpoint twice, however often (or however concurrently) it is enqueued."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, kw_only=True)
class NotificationSpec:
    """One notification for ``notification_enqueue_many``: the arguments of ``notification_enqueue``."""

    event_kind: str
    recipients: Sequence[User]
    subject: str
    body: str
    context: Mapping[str, Any]
    dedupe_key: str
    reseller_id: int | None
    link: str = ""


def _checked(specs: list[NotificationSpec]) -> list[dict[str, Any]]:
    """Each spec's context as stored JSON; every bad field of every spec refused at once (a batch's
    fields are prefixed with ``[i].``)."""
    errors: dict[str, str] = {}
    contexts: list[dict[str, Any]] = []
    resellers = {s.reseller_id for s in specs if s.reseller_id is not None}
    known = set(Reseller.objects.filter(pk__in=resellers).values_list("pk", flat=True)) if resellers else set()
    for i, spec in enumerate(specs):
        at = f"[{i}]." if len(specs) > 1 else ""
        if not is_valid_kind(spec.event_kind):
            errors[f"{at}event_kind"] = "lower-case letters, digits, '_' and '.', starting with a letter (at most 64)"
        if not spec.subject.strip() or len(spec.subject) > 300:
            errors[f"{at}subject"] = "required, at most 300 characters"
        if not spec.dedupe_key or len(spec.dedupe_key) > 200:
            errors[f"{at}dedupe_key"] = "required, at most 200 characters"
        if len(spec.link) > 500:
            errors[f"{at}link"] = "at most 500 characters"
        if spec.reseller_id is not None and spec.reseller_id not in known:
            errors[f"{at}reseller_id"] = "no such reseller"
        try:
            data = json.loads(json.dumps(spec.context, cls=DjangoJSONEncoder))
        except (TypeError, ValueError) as exc:
            errors[f"{at}context"] = f"must be JSON-serialisable: {exc}"
            data = {}
        contexts.append(data if isinstance(data, dict) else {"value": data})
    if errors:
        raise ValidationFailed("the notification is not valid", errors=errors)
    return contexts


def wants_email(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (user id, event kind) pairs take e-mail: the person's choice for the kind, else their
    default ("*"), else EMAIL_BY_DEFAULT. One query for any number of pairs."""
    wanted = set(pairs)
    if not wanted:
        return set()
    choices: dict[tuple[int, str], bool] = {
        (p.user_id, p.event_kind): p.email
        for p in NotificationPreference.objects.filter(
            user_id__in={u for u, _ in wanted}, event_kind__in={k for _, k in wanted} | {EVERY_KIND}
        )
    }
    return {
        (user, kind)
        for user, kind in wanted
        if choices.get((user, kind), choices.get((user, EVERY_KIND), EMAIL_BY_DEFAULT))
    }


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
    spec = NotificationSpec(
        event_kind=event_kind,
        recipients=list(recipients),
        subject=subject,
        body=body,
        context=context,
        dedupe_key=dedupe_key,
        reseller_id=reseller_id,
        link=link,
    )
    return notification_enqueue_many(notifications=[spec])


def notification_enqueue_many(*, notifications: Iterable[NotificationSpec]) -> int:
    """``notification_enqueue`` for many notifications at once, in a fixed number of statements
    (for the sweep's bursts). Specs that share a dedupe key are one notification (the first one's
    content, every one's recipients). Returns the number of rows recorded."""
    specs = list(notifications)
    if not specs:
        return 0
    contexts = _checked(specs)
    merged: dict[str, tuple[NotificationSpec, dict[str, Any], dict[int, User]]] = {}
    for spec, data in zip(specs, contexts, strict=True):
        _, _, people = merged.setdefault(spec.dedupe_key, (spec, data, {}))
        people.update((u.pk, u) for u in spec.recipients if u.pk is not None and u.is_active)
    keys = sorted(merged)  # one lock order for every caller: no deadlock between two batches
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    dedupe_key=key,
                    event_kind=spec.event_kind,
                    reseller_id=spec.reseller_id,
                    subject=spec.subject.strip(),
                    body=spec.body,
                    context=data,
                    link=spec.link,
                    created_at=now,
                )
                for key in keys
                for spec, data, _ in [merged[key]]
            ],
            ignore_conflicts=True,
        )
        # Concurrent enqueues of the same keys take turns here, so each row is recorded once.
        rows = {n.dedupe_key: n for n in Notification.objects.select_for_update().filter(dedupe_key__in=keys)}
        emails = _email_rows([(rows[k], list(merged[k][2].values())) for k in keys], now=now)
        webhooks = _webhook_rows([rows[k] for k in keys if rows[k].reseller_id is not None], now=now)
        EmailDelivery.objects.bulk_create(emails, ignore_conflicts=True)
        WebhookDelivery.objects.bulk_create(webhooks, ignore_conflicts=True)
        touched = sorted({r.notification_id for r in emails} | {r.notification_id for r in webhooks})
        if len(touched) == 1:
            notification_delivery_schedule(notification_id=touched[0], now=now)
        elif touched:
            _schedule_sweep(len(touched), now=now)
    return len(emails) + len(webhooks)


def notification_delivery_schedule(*, notification_id: int, now: datetime) -> None:
    """Deliver the notification's due rows once the current transaction commits."""
    transaction.on_commit(lambda: tasks.deliver_task.enqueue(notification_id))
    if tasks.deliver_task.get_backend().supports_defer:
        # A second, deferred pass recorded in this very transaction: should the process die between
        # the commit and the enqueue above, this one still delivers (otherwise it finds nothing to do).
        tasks.deliver_task.using(run_after=now + conf.lease()).enqueue(notification_id)


def _schedule_sweep(notifications: int, *, now: datetime) -> None:
    """Many notifications: a few passes over everything due (one per 50, so that several workers can
    share the burst), rather than one task each."""
    for _ in range(min(8, -(-notifications // 50))):
        transaction.on_commit(tasks.deliver_due_task.enqueue)
    if tasks.deliver_due_task.get_backend().supports_defer:
        tasks.deliver_due_task.using(run_after=now + conf.lease()).enqueue()


def _email_rows(batch: list[tuple[Notification, list[User]]], *, now: datetime) -> list[EmailDelivery]:
    keys = [n.dedupe_key for n, people in batch if people]
    if not keys:
        return []
    done = set(EmailDelivery.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "recipient_id"))
    todo = [(n, u) for n, people in batch for u in people if (n.dedupe_key, u.pk) not in done]
    takers = wants_email((u.pk, n.event_kind) for n, u in todo)
    sender = conf.from_address()
    return [
        EmailDelivery(
            notification=n,
            dedupe_key=n.dedupe_key,
            recipient=u,
            reseller_id=u.reseller_id,  # an e-mail's tenant is its recipient's (models.EmailDelivery)
            to_address=u.email,
            message_id=message_id_for(dedupe_key=n.dedupe_key, recipient_id=u.pk, from_address=sender),
            status=DeliveryStatus.QUEUED,
            due_at=now,
            created_at=now,
        )
        for n, u in todo
        if (u.pk, n.event_kind) in takers
    ]


def _webhook_rows(batch: list[Notification], *, now: datetime) -> list[WebhookDelivery]:
    if not batch:
        return []
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for e in WebhookEndpoint.objects.filter(reseller_id__in={n.reseller_id for n in batch}, active=True).order_by("id"):
        endpoints.setdefault(e.reseller_id, []).append(e)
    wanted = [(n, e) for n in batch for e in endpoints.get(n.reseller_id or 0, []) if e.hears(n.event_kind)]
    if not wanted:
        return []
    done = set(
        WebhookDelivery.objects.filter(dedupe_key__in={n.dedupe_key for n, _ in wanted}).values_list(
            "dedupe_key", "endpoint_id"
        )
    )
    return [
        WebhookDelivery(
            notification=n,
            dedupe_key=n.dedupe_key,
            endpoint=e,
            reseller_id=e.reseller_id,
            status=DeliveryStatus.QUEUED,
            due_at=now,
            created_at=now,
        )
        for n, e in wanted
        if (n.dedupe_key, e.pk) not in done
    ]


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
                user=actor,
                event_kind=kind,
                defaults={"email": email, "updated_at": now, "reseller_id": actor.reseller_id},
            )
    audit_record(
        actor=actor,
        kind="notification_preferences_updated",
        subject=actor,
        reseller_id=actor.reseller_id,
        data={"changes": {kind: email for kind, email in changes}},
    )
