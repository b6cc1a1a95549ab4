"""Delivery of the outbox: claim due rows under a lease, send, record the outcome.

The protocol (docs/decisions/notification-delivery.md) for every e-mail and webhook row:

1. **Claim** in one short transaction: ``queued`` rows that are due, then ``sending`` rows whose
   lease has expired, are set to ``sending`` with a fresh ``lease_token`` and ``lease_until``
   (``SELECT ... FOR UPDATE SKIP LOCKED`` picks them on PostgreSQL, and the ``UPDATE`` repeats the
   condition, so on SQLite, which has no row locks, a claim is a conditional update). The claim
   commits *before* anything is sent, with a wake-up scheduled for the lease's end.
2. **Send**, outside any transaction: the Message-ID / X-Caredesk-Delivery was fixed when the row
   was recorded, so a second send of the same row is recognisably the same message.
3. **Record** ``sent``, a retry (``queued`` with a later ``due_at``) or ``dead``, each only
   ``WHERE lease_token = <ours>``: a worker that lost its lease cannot overwrite the new holder.

A worker killed between 1 and 3 leaves ``sending`` rows; when their lease ends the wake-up (or any
later delivery pass) claims them again. At most the one message that was on the wire when the worker
died may then reach its recipient twice, with the same Message-ID / delivery id (RFC 1047's window);
every other row is sent exactly once, and none is lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Min
from django.utils import timezone

from caredesk.notifications import conf
from caredesk.notifications.adapters import email as email_adapter
from caredesk.notifications.adapters import webhook_http
from caredesk.notifications.models import (
    Delivery,
    DeliveryStatus,
    DeliveryWakeup,
    EmailDelivery,
    Notification,
    WebhookDelivery,
)

logger = logging.getLogger("caredesk.notifications")

RECLAIMED = "the previous worker's lease expired mid-send; sent again with the same idempotency key"


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    lost_lease: int = 0

    def __iadd__(self, other: Report) -> Report:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def wakeup_ensure(*, at: datetime, now: datetime | None = None) -> None:
    """Make sure a ``deliver_due`` task runs at or before ``at``, in the current transaction, so the
    rows that need it are never left without one (django-tasks-db never re-runs a task whose worker
    died). A no-op where the task backend cannot defer (the immediate backend of the tests)."""
    if not _wakeups_possible():
        return
    current = now or timezone.now()
    for _ in range(3):
        row, _created = DeliveryWakeup.objects.get_or_create(pk=1)
        if row.at is not None and current < row.at <= at:
            return  # a wake-up already comes in time
        if DeliveryWakeup.objects.filter(pk=1, at=row.at).update(at=at):
            break
    # Contended three times (or won): enqueue. An extra wake-up costs a no-op pass; a missing one
    # would leave rows waiting.
    from caredesk.notifications import tasks

    tasks.deliver_due_task.using(run_after=at).enqueue()


def _wakeups_possible() -> bool:
    from caredesk.notifications import tasks  # tasks import this module

    return bool(tasks.deliver_due_task.get_backend().supports_defer)


def _claim[D: Delivery](model: type[D], *, now: datetime, limit: int, notification_id: int | None) -> list[D]:
    manager = model._default_manager
    scope = manager.all()
    if notification_id is not None:
        scope = scope.filter(notification_id=notification_id)
    token = uuid.uuid4().hex
    lease_until = now + conf.lease()
    claim = {"status": DeliveryStatus.SENDING, "lease_token": token, "lease_until": lease_until}
    with transaction.atomic():
        fresh = list(
            scope.filter(status=DeliveryStatus.QUEUED, due_at__lte=now)
            .order_by("due_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        stale: list[int] = []
        if len(fresh) < limit:
            stale = list(
                scope.filter(status=DeliveryStatus.SENDING, lease_until__lte=now)
                .order_by("lease_until", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: limit - len(fresh)]
            )
        if not fresh and not stale:
            return []
        if fresh:
            manager.filter(pk__in=fresh, status=DeliveryStatus.QUEUED, due_at__lte=now).update(
                **claim, attempts=F("attempts") + 1
            )
        if stale:
            manager.filter(pk__in=stale, status=DeliveryStatus.SENDING, lease_until__lte=now).update(
                **claim, attempts=F("attempts") + 1, reclaims=F("reclaims") + 1, last_error=RECLAIMED
            )
        wakeup_ensure(at=lease_until, now=now)
    related = ["notification", "recipient"] if model is EmailDelivery else ["notification", "endpoint"]
    return list(manager.filter(pk__in=fresh + stale, lease_token=token).select_related(*related).order_by("id"))


@contextlib.contextmanager
def _outcomes_without_flush(db: str) -> Iterator[None]:
    """While a batch is sent, its outcome commits do not wait for PostgreSQL's WAL flush
    (``synchronous_commit = off`` for this session, put back afterwards): each outcome is visible to
    every other session at once and survives the worker's death; only a crash of the database server
    itself can forget the last fraction of a second of outcomes, whose rows are then sent again, with
    the same idempotency ids, when their lease ends: at-least-once, as everywhere else, and the same
    as SQLite's ``synchronous=NORMAL``. It saves the flush (2-4 ms here) on every message, and being
    set once per batch, rather than per transaction, each outcome is one autocommitted ``UPDATE``:
    one round trip instead of four (BEGIN, SET LOCAL, UPDATE, COMMIT)."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        # A broken connection takes the setting with it; a live one gets the server's default back.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _record(row: Delivery, **values: Any) -> bool:
    """Write the outcome, only while the row is still ours: one ``UPDATE``, its own transaction
    unless the caller holds one (see ``_outcomes_without_flush`` for its durability)."""
    values.setdefault("lease_token", "")
    values.setdefault("lease_until", None)
    manager = type(row)._default_manager
    done = manager.filter(pk=row.pk, status=DeliveryStatus.SENDING, lease_token=row.lease_token).update(**values)
    if not done:
        logger.warning(
            "notification lease lost before the outcome was recorded",
            extra={"delivery": type(row).__name__, "id": row.pk},
        )
    return bool(done)


def _sent(row: Delivery, report: Report, **extra: Any) -> None:
    if _record(row, status=DeliveryStatus.SENT, delivered_at=timezone.now(), **extra):
        report.sent += 1
    else:
        report.lost_lease += 1


def _failed(row: Delivery, report: Report, *, now: datetime, error: str, permanent: bool, **extra: Any) -> None:
    schedule = conf.backoff()
    with transaction.atomic():
        if permanent or row.attempts > len(schedule):
            ok = _record(row, status=DeliveryStatus.DEAD, last_error=error[:2000], **extra)
            report.dead += ok
        else:
            due = now + timedelta(seconds=schedule[row.attempts - 1])
            ok = _record(row, status=DeliveryStatus.QUEUED, due_at=due, last_error=error[:2000], **extra)
            report.retried += ok
            if ok:
                wakeup_ensure(at=due, now=now)
    report.lost_lease += not ok
    logger.info(
        "notification delivery failed",
        extra={"delivery": type(row).__name__, "id": row.pk, "attempt": row.attempts, "error": _loggable(error)},
    )


def _loggable(error: str) -> str:
    """The error without what a webhook receiver answered: a receiver may echo the body it was sent,
    which carries case text, and logs keep ids and codes, never content (docs/security.md). The
    whole answer stays in the row's ``last_error``, which only the reseller and the vendor read."""
    return error.split(":", 1)[0] if error.startswith("HTTP ") else error[:300]


def _release(rows: Sequence[Delivery], report: Report) -> None:
    """Hand back rows this worker claimed but will not try now (its lease is running out)."""
    for row in rows:
        if _record(row, status=DeliveryStatus.QUEUED, attempts=F("attempts") - 1):
            report.released += 1


def absolute_link(link: str) -> str:
    return conf.public_url() + link if link.startswith("/") else link


def email_context(row: EmailDelivery) -> dict[str, Any]:
    n = row.notification
    return {
        "recipient_name": row.recipient.name,
        "subject": n.subject,
        "body": n.body,
        "link": absolute_link(n.link),
        "context": n.context,
        "event_kind": n.event_kind,
        "preferences_url": absolute_link("/api/me/notification-preferences"),
    }


def _send_emails(rows: list[EmailDelivery], *, now: datetime, report: Report) -> None:
    started, budget = time.monotonic(), conf.lease().total_seconds() / 2
    with email_adapter.Mailer(conf.mailer_alias()) as mailer, _outcomes_without_flush(EmailDelivery.objects.db):
        for i, row in enumerate(rows):
            if time.monotonic() - started > budget:
                _release(rows[i:], report)
                return
            if not row.recipient.is_active:
                _failed(row, report, now=now, error="the recipient is no longer active", permanent=True)
                continue
            message = email_adapter.build(
                event_kind=row.notification.event_kind,
                subject=row.notification.subject,
                context=email_context(row),
                to_address=row.to_address,
                from_address=conf.from_address(),
                message_id=row.message_id,
                idempotency_key=row.dedupe_key,
            )
            try:
                mailer.send(message)
            except email_adapter.SendFailed as failure:
                _failed(row, report, now=now, error=str(failure), permanent=failure.permanent)
            else:
                _sent(row, report)


def webhook_body(row: WebhookDelivery, notification: Notification) -> bytes:
    payload = {
        "id": str(row.idempotency_id),
        "event": notification.event_kind,
        "created_at": notification.created_at.isoformat(),
        "reseller_id": row.reseller_id,
        "subject": notification.subject,
        "body": notification.body,
        "link": absolute_link(notification.link),
        "data": notification.context,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")).encode()


def _send_webhooks(rows: list[WebhookDelivery], *, now: datetime, report: Report) -> None:
    with _outcomes_without_flush(WebhookDelivery.objects.db):
        _send_webhooks_now(rows, now=now, report=report)


def _send_webhooks_now(rows: list[WebhookDelivery], *, now: datetime, report: Report) -> None:
    started, budget = time.monotonic(), conf.lease().total_seconds() / 2
    for i, row in enumerate(rows):
        if time.monotonic() - started > budget:
            _release(rows[i:], report)
            return
        endpoint = row.endpoint
        if not endpoint.active:
            _failed(row, report, now=now, error="the endpoint is not active", permanent=True)
            continue
        body = webhook_body(row, row.notification)
        headers = {
            "X-Caredesk-Event": row.notification.event_kind,
            "X-Caredesk-Delivery": str(row.idempotency_id),
            "X-Caredesk-Attempt": str(row.attempts),
            "X-Caredesk-Signature": webhook_http.sign(endpoint.secret, body, int(time.time())),
        }
        try:
            response = webhook_http.post(
                endpoint.url,
                body,
                headers,
                timeout=conf.webhook_timeout(),
                allow_private=conf.allow_private_webhooks(),
            )
        except webhook_http.WebhookRefused as refused:
            _failed(row, report, now=now, error=f"refused: {refused}", permanent=True)
        except OSError as exc:
            _failed(row, report, now=now, error=f"{type(exc).__name__}: {exc}", permanent=False)
        else:
            if 200 <= response.status < 300:
                _sent(row, report, last_status_code=response.status)
            else:
                error = f"HTTP {response.status}: {response.snippet[:200]}"
                _failed(row, report, now=now, error=error, permanent=False, last_status_code=response.status)


def email_deliver(
    *, now: datetime | None = None, notification_id: int | None = None, limit: int | None = None
) -> Report:
    """Claim and send one batch of due e-mails (of one notification, or any)."""
    at = now or timezone.now()
    report = Report()
    rows = _claim(EmailDelivery, now=at, limit=limit or conf.batch_size(), notification_id=notification_id)
    report.claimed = len(rows)
    if rows:
        _send_emails(rows, now=at, report=report)
    return report


def webhook_deliver(
    *, now: datetime | None = None, notification_id: int | None = None, limit: int | None = None
) -> Report:
    """Claim and send one batch of due webhook deliveries (of one notification, or any)."""
    at = now or timezone.now()
    report = Report()
    rows = _claim(WebhookDelivery, now=at, limit=limit or conf.batch_size(), notification_id=notification_id)
    report.claimed = len(rows)
    if rows:
        _send_webhooks(rows, now=at, report=report)
    return report


def deliver_notification(*, notification_id: int, now: datetime | None = None) -> Report:
    """Send what is due of one notification (the task its enqueue schedules). Safe to run twice."""
    report = Report()
    limit = 10_000
    report += email_deliver(now=now, notification_id=notification_id, limit=limit)
    report += webhook_deliver(now=now, notification_id=notification_id, limit=limit)
    _log(report, scope=f"notification {notification_id}")
    return report


def deliver_due(*, now: datetime | None = None, max_rounds: int = 100) -> Report:
    """Send everything due (retries, rows whose worker died), batch after batch, then make sure a
    pass comes for the next row that will be due. Safe to run any number of times.

    Whatever makes a row wait (a claim, a retry) schedules a wake-up when it commits, but one
    wake-up serves many rows: a claim whose lease ends after an already scheduled wake-up keeps that
    one (``wakeup_ensure``). So each pass re-arms for the earliest future instant a row becomes
    claimable (a retry's ``due_at``, a lease's end; two index look-ups per table), and a wake-up that
    came too early for some rows schedules the next one for them."""
    report = Report()
    for _ in range(max_rounds):
        batch = Report()
        batch += email_deliver(now=now)
        batch += webhook_deliver(now=now)
        report += batch
        if batch.claimed == 0:
            more_due = False
            break
    else:
        more_due = True  # more is due than one pass takes on: another pass, at once
    at = now or timezone.now()
    upcoming = None
    if _wakeups_possible():  # not with the immediate backend of the tests: nothing to schedule
        upcoming = at if more_due else _next_claimable(at)
    if upcoming is not None:
        with transaction.atomic():
            wakeup_ensure(at=upcoming, now=at)
    _log(report, scope="due")
    return report


def _next_claimable(now: datetime) -> datetime | None:
    """The earliest instant after ``now`` at which a waiting row becomes claimable."""
    instants = []
    for model in (EmailDelivery, WebhookDelivery):
        rows = model._default_manager
        instants += [
            rows.filter(status=DeliveryStatus.QUEUED, due_at__gt=now).aggregate(at=Min("due_at"))["at"],
            rows.filter(status=DeliveryStatus.SENDING, lease_until__gt=now).aggregate(at=Min("lease_until"))["at"],
        ]
    return min((i for i in instants if i is not None), default=None)


def _log(report: Report, *, scope: str) -> None:
    if report.claimed:
        logger.info("notifications delivered", extra={"scope": scope, **report.__dict__})
