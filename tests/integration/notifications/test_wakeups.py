"""Who delivers a row whose task never ran or whose worker died: every way a row comes to wait
schedules a deferred pass in the transaction that makes it wait (docs/decisions/
notification-delivery.md, "Wake-ups"). Checked against django-tasks-db's queue table, the backend
production uses (the test settings use the immediate backend, which cannot defer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caredesk.notifications import conf, delivery, services
from caredesk.notifications.models import EmailDelivery, Notification
from tests.conftest import World
from tests.integration.notifications.servers import SmtpSink

pytestmark = pytest.mark.django_db

DUE = "caredesk.notifications.tasks.deliver_due_task"
ONE = "caredesk.notifications.tasks.deliver_task"


@pytest.fixture(autouse=True)
def database_queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()


def queued(path: str) -> list[datetime | None]:
    return sorted(
        (t.run_after for t in DBTaskResult.objects.filter(task_path=path)),
        key=lambda t: t or timezone.now(),
    )


def enqueue(world: World, key: str = "k:1") -> int:
    return services.notification_enqueue(
        event_kind="case_responded",
        recipients=world.a.dcs,
        subject="Case #1: a response",
        body="Hello.",
        context={},
        dedupe_key=key,
        reseller_id=None,
    )


def test_recording_queues_a_deferred_pass_with_the_rows_and_loses_it_with_them(world: World) -> None:
    before = timezone.now()
    enqueue(world)
    [run_after] = queued(ONE)  # the on-commit one never runs inside a test's transaction
    assert run_after is not None and run_after >= before + conf.lease()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(world, key="k:2")
        raise RuntimeError("the caller fails")
    assert len(queued(ONE)) == 1


def test_a_claim_queues_a_pass_for_when_its_lease_ends_and_only_one(world: World, smtp: SmtpSink) -> None:
    enqueue(world, "a")
    enqueue(world, "b")
    now = timezone.now()
    [first] = delivery._claim(EmailDelivery, now=now, limit=1, notification_id=None)
    assert queued(DUE) == [first.lease_until]
    delivery._claim(EmailDelivery, now=now + timedelta(seconds=5), limit=1, notification_id=None)
    assert queued(DUE) == [first.lease_until]  # one wake-up for both: it re-arms for this lease (below)
    # After that wake-up's time, the next claim needs a new one.
    later = now + conf.lease() + timedelta(seconds=1)
    [third] = delivery._claim(EmailDelivery, now=later, limit=1, notification_id=None)
    assert queued(DUE) == [first.lease_until, third.lease_until]


def test_a_wake_up_that_came_before_a_lease_ended_schedules_one_for_that_lease(world: World, smtp: SmtpSink) -> None:
    """Two claims share one wake-up (the first lease's end); the worker holding both dies. The
    wake-up reclaims the first row, and must leave a pass for the second, whose lease ends later:
    without it that row would wait for a task that never comes."""
    enqueue(world, "a")
    enqueue(world, "b")
    now = timezone.now()
    [first] = delivery._claim(EmailDelivery, now=now, limit=1, notification_id=None)
    [second] = delivery._claim(EmailDelivery, now=now + timedelta(seconds=5), limit=1, notification_id=None)
    assert queued(DUE) == [first.lease_until]
    report = delivery.deliver_due(now=first.lease_until)  # the wake-up runs; the worker is gone
    assert report.sent == 3 and len(smtp.received) == 3  # the first row and the two never claimed
    assert EmailDelivery.objects.get(status="sending").pk == second.pk
    assert second.lease_until in queued(DUE)  # (with one for the lease of the reclaim itself)
    later = delivery.deliver_due(now=second.lease_until)  # that pass takes the second row over
    assert later.sent == 1 and EmailDelivery.objects.filter(status="sent").count() == 4


def test_a_retry_queues_a_pass_for_its_due_time(world: World, smtp: SmtpSink) -> None:
    smtp.refuse[world.a.dcs[0].email] = "451 later"
    enqueue(world)
    notification = Notification.objects.get()
    DBTaskResult.objects.all().delete()
    delivery.deliver_notification(notification_id=notification.pk)
    retry = EmailDelivery.objects.get(recipient=world.a.dcs[0])
    assert retry.status == "queued"
    assert retry.due_at in queued(DUE)


def test_a_pass_with_more_due_than_it_takes_on_queues_another_at_once(
    world: World, smtp: SmtpSink, settings: Any
) -> None:
    settings.CAREDESK_NOTIFY_BATCH = 2
    for i in range(3):
        enqueue(world, f"m:{i}")
    DBTaskResult.objects.all().delete()
    now = timezone.now()
    delivery.deliver_due(now=now, max_rounds=1)  # one round: two of the six e-mails
    assert EmailDelivery.objects.filter(status="sent").count() == 2
    assert now in queued(DUE)
