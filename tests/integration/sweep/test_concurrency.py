"""Any number of workers may sweep at once (issue 5, items 1 and 6): threads with their own
PostgreSQL connections run sweeps at the same instant, and every alert exists once, with one
timeline event and one notification per recipient. SQLite serialises writers and shares one
in-memory test database between threads, so these run on PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from caredesk.cases.models import CaseEvent
from caredesk.notifications.models import EmailDelivery
from caredesk.sweep import targets
from caredesk.sweep.escalation import Audience
from caredesk.sweep.models import SweepAlert
from caredesk.sweep.services import sweep_run
from tests.conftest import World
from tests.integration.sweep.support import ny, open_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and separate connections"),
]

T0 = ny("2026-11-16 10:00")
UNTIL = ny("2026-11-20 12:00")  # past each response and restoration warning and due


def _at_once(work: Callable[[str], Any], n: int = 2) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait()
            results.append(work(name))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def _one_event_per_alert(world: World, n_cases: int) -> None:
    assert SweepAlert.objects.count() == 4 * n_cases
    events = Counter((e.case_id, e.data["target"], e.kind) for e in CaseEvent.objects.filter(kind__startswith="sla_"))
    assert len(events) == 4 * n_cases and set(events.values()) == {1}
    per_recipient = Counter(
        EmailDelivery.objects.filter(dedupe_key__startswith="sla_").values_list("dedupe_key", "recipient_id")
    )
    assert per_recipient and set(per_recipient.values()) == {1}
    assert {r for _, r in per_recipient} == {world.manager.pk}


def test_two_sweeps_at_once_record_one_event_per_target(world: World) -> None:
    n = 12
    for i in range(n):
        open_case(world, at=T0 + timedelta(seconds=i))
    results = _at_once(lambda name: sweep_run(now=UNTIL, batch_size=5, worker=name), n=3)
    assert sum(r.counts["warning"] + r.counts["breached"] for r in results) == 4 * n
    assert any(r.finished for r in results)
    _one_event_per_alert(world, n)


def test_recorders_racing_on_the_same_crossings_take_each_alert_key_once(world: World) -> None:
    # Without the sweep's row lock: both read the same crossings and both try to record them.
    n = 10
    for i in range(n):
        open_case(world, at=T0 + timedelta(seconds=i))
    batch = targets.crossings_next(after=None, warn_until=UNTIL, until=UNTIL, limit=1000)
    assert len(batch.crossings) == 4 * n and not batch.more

    def record(name: str) -> Counter[str]:
        with transaction.atomic():
            return targets.crossings_record(
                batch.crossings, warn_until=UNTIL, until=UNTIL, now=UNTIL, audience=Audience()
            )

    results = _at_once(record)
    recorded = sum((r["warning"] + r["breached"] for r in results), 0)
    assert recorded == 4 * n
    assert sum(r["already_recorded"] + r["skipped"] for r in results) == 4 * n  # the loser's share
    _one_event_per_alert(world, n)
