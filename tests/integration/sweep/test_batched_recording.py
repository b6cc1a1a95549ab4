"""The sweep records a batch of alerts in a fixed number of statements (issue 5, performance goal),
and the batched timeline appender it uses writes the very chains that appending one event at a time
writes (DOMAIN.md "Timeline": append-only and hash-chained; ``caredesk audit verify`` holds).

Tenant A's cases (Care for Cloud, High) opened at 10:00 New York: response due 16:00, warning 14:30."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from caredesk.cases import services as case_services
from caredesk.cases.models import Case, CaseEvent
from caredesk.cases.timeline import NewCaseEvent, audit_verify, case_event_append, case_events_append_many
from caredesk.notifications.models import EmailDelivery
from caredesk.sweep.services import sweep_run
from tests.conftest import World
from tests.integration.sweep.support import kinds, ny, open_case

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _chains(case_ids: list[int], after_id: int) -> list[tuple[Any, ...]]:
    """Everything the chain stands on, of the events written after ``after_id``."""
    return list(
        CaseEvent.objects.filter(case_id__in=case_ids, pk__gt=after_id)
        .order_by("case_id", "seq")
        .values_list(
            "case_id",
            "seq",
            "prev_hash",
            "hash",
            "at",
            "actor_id",
            "actor_role",
            "channel",
            "kind",
            "internal",
            "data",
            "sla",
        )
    )


def _written_by(append: Any, specs: list[NewCaseEvent], case_ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows ``append`` writes for ``specs``, rolled back afterwards."""
    last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            append(specs)
            written = _chains(case_ids, last)
            raise _Rollback
    except _Rollback:
        pass
    return written


def _one_by_one(specs: list[NewCaseEvent]) -> None:
    for s in specs:
        case_event_append(
            case=s.case,
            actor=s.actor,
            kind=s.kind,
            at=s.at,
            channel=s.channel,
            data=s.data,
            sla=s.sla,
            internal=s.internal,
        )


def test_the_batched_appender_writes_the_chains_appending_one_by_one_writes(world: World) -> None:
    at = ny("2026-11-16 10:00")
    first, second = open_case(world, at=at), open_case(world, at=at)
    empty = Case.objects.get(pk=first.pk)
    empty.pk = None
    empty.save()  # a case whose timeline is still empty: its first link names the genesis hash
    later = at + timedelta(minutes=5)
    specs = [
        NewCaseEvent(case=first, actor=None, kind="sla_warning", at=later, channel="system", internal=True),
        NewCaseEvent(
            case=empty, actor=world.agent, kind="comment", at=later, channel="portal", data={"b": "é", "a": 1}
        ),
        NewCaseEvent(case=second, actor=world.a.dcs[0], kind="comment", at=later, channel="api", data={"n": [1, 2]}),
        NewCaseEvent(case=first, actor=None, kind="sla_breached", at=later, channel="system", data={"t": "r"}),
        NewCaseEvent(case=empty, actor=None, kind="x", at=later, channel="system", sla={"kind": "paused", "at": "z"}),
        NewCaseEvent(case=first, actor=world.manager, kind="note", at=later, channel="portal", internal=True),
    ]
    ids = [first.pk, second.pk, empty.pk]
    head = first.events.count()
    batched = _written_by(lambda s: case_events_append_many(events=s), specs, ids)
    assert batched == _written_by(_one_by_one, specs, ids)
    assert [row[1] for row in batched if row[0] == first.pk] == [head + 1, head + 2, head + 3]
    assert next(row[1:3] for row in batched if row[0] == empty.pk) == (1, "0" * 64)
    assert len(batched) == len(specs)

    with CaptureQueriesContext(connection) as queries:
        case_events_append_many(events=specs)
    assert len(queries) == 2  # the chain heads, one insert
    report = audit_verify()
    assert report.ok, report.broken


def _open_batch(world: World, n: int, at: Any) -> list[Case]:
    cases = [open_case(world, at=at + timedelta(seconds=i)) for i in range(n)]
    for case in cases[::2]:
        case_services.case_assign(actor=world.manager, case_id=case.pk, assignee_id=world.agent.pk, now=at)
    return cases


def _sweep_queries(now: Any) -> tuple[list[str], dict[str, int]]:
    with CaptureQueriesContext(connection) as queries:
        result = sweep_run(now=now)
    return [q["sql"] for q in queries.captured_queries], {k: result.counts[k] for k in ("warning", "breached")}


def test_a_sweep_records_its_alerts_in_the_same_number_of_queries_whatever_their_number(world: World) -> None:
    monday, tuesday = ny("2026-11-16 10:00"), ny("2026-11-17 10:00")
    sweep_run(now=monday)  # the sweep's state row exists: every sweep below starts alike
    few = _open_batch(world, 2, monday)
    few_queries, few_counts = _sweep_queries(monday + timedelta(hours=6, minutes=30))
    many = _open_batch(world, 12, tuesday)
    many_queries, many_counts = _sweep_queries(tuesday + timedelta(hours=6, minutes=30))

    assert few_counts == {"warning": 2, "breached": 2} and many_counts == {"warning": 12, "breached": 12}
    assert len(many_queries) == len(few_queries), (len(few_queries), len(many_queries))
    assert sum(q.startswith('UPDATE "cases_casetarget"') for q in many_queries) == 1  # one batch, one update
    for case in few + many:  # each case's events in the order its targets crossed
        assert kinds(case, "sla_") == ["sla_warning", "sla_breached"]
    assigned = many[0]
    expected = {world.agent.pk, world.manager.pk}
    for alert in ("warning", "breached"):
        key = f"sla_{alert}:{assigned.pk}:response"
        assert set(EmailDelivery.objects.filter(dedupe_key=key).values_list("recipient_id", flat=True)) == expected
    report = audit_verify()
    assert report.ok, report.broken
