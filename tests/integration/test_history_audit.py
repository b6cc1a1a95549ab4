"""``caredesk audit verify`` (DOMAIN.md "The record": the timeline is tamper-evident and can be
verified): every chain is checked and the first broken link of each is named, with what is wrong
(edited, missing, reordered). Tampering is done the way an insider would, with raw SQL and
``.update()`` on the rows, so these tests run the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from caredesk.cases import services
from caredesk.cases.models import Case, CaseEvent, FeatureRequest, RequestEvent
from caredesk.cases.timeline import (
    GENESIS,
    Problem,
    audit_verify,
    case_event_content,
    event_digest,
    verify_events,
)
from tests.conftest import World, case_payload

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TABLE = CaseEvent._meta.db_table


def worked_case(world: World) -> Case:
    """A case with at least eight events: opened, acknowledged, a public comment, an internal note,
    awaiting the reseller (responded is already met, so one event), the DC's reply, restored,
    resolved (and whatever resolving sets off, such as a post-mortem opened)."""
    payload = case_payload(world.a.account)
    payload["first_observed_at"] = T0 - timedelta(hours=1)
    case = services.case_open(actor=world.a.dcs[0], payload=payload, now=T0)
    agent, dc = world.agent, world.a.dcs[0]
    services.case_acknowledge(actor=agent, case_id=case.pk, now=T0 + timedelta(minutes=5))
    services.case_comment(actor=agent, case_id=case.pk, body="Looking at the logs.", now=T0 + timedelta(minutes=9))
    services.case_comment(
        actor=agent, case_id=case.pk, body="Probably the SBC.", internal=True, now=T0 + timedelta(minutes=10)
    )
    services.case_await_reseller(actor=agent, case_id=case.pk, message="Send a HAR file", now=T0 + timedelta(hours=1))
    services.case_comment(actor=dc, case_id=case.pk, body="Attached.", now=T0 + timedelta(hours=2))
    services.case_restore(actor=agent, case_id=case.pk, summary="Failover", now=T0 + timedelta(hours=3))
    services.case_resolve(actor=agent, case_id=case.pk, code="solution", summary="Patched", now=T0 + timedelta(hours=4))
    return case


def run_verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def seqs(case: Case) -> list[int]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True))


def sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def swap_seq(case: Case, a: int, b: int) -> None:
    """Swap two events' places: the unique (case, seq) constraint needs a parking seq."""
    sql(f"UPDATE {TABLE} SET seq = %s WHERE case_id = %s AND seq = %s", [9999, case.pk, a])
    sql(f"UPDATE {TABLE} SET seq = %s WHERE case_id = %s AND seq = %s", [a, case.pk, b])
    sql(f"UPDATE {TABLE} SET seq = %s WHERE case_id = %s AND seq = %s", [b, case.pk, 9999])


# ------------------------------------------------------------------ intact


def test_every_intact_chain_verifies_and_the_command_exits_zero(world: World) -> None:
    case = worked_case(world)
    assert seqs(case) == list(range(1, len(seqs(case)) + 1)) and len(seqs(case)) >= 8
    status, out = run_verify()
    assert status == 0
    report = audit_verify()
    assert report.ok and report.case_chains == Case.objects.count() and report.request_chains >= 2
    assert f"Checked {report.events} events in {report.case_chains} case chains" in out
    assert "Every chain is intact." in out


# ------------------------------------------------------------------ edited


def test_an_edited_event_is_named_as_edited_with_its_case_and_number(world: World) -> None:
    case = worked_case(world)
    CaseEvent.objects.filter(case=case, seq=3).update(data={"body": "We never said that."})
    status, out = run_verify()
    assert status == 1
    assert f"case {case.pk}: event #3: edited: its content no longer matches its hash" in out
    assert "1 broken chain(s)" in out


@pytest.mark.parametrize(
    ("column", "value"),
    [("kind", "acknowledged"), ("at", "2026-03-01 10:00:00"), ("internal", False), ("actor_role", "care_manager")],
)
def test_raw_sql_edits_of_any_hashed_column_are_edits(world: World, column: str, value: object) -> None:
    case = worked_case(world)
    sql(f"UPDATE {TABLE} SET {column} = %s WHERE case_id = %s AND seq = %s", [value, case.pk, 4])
    [link] = audit_verify().broken
    assert (link.chain, link.seq, link.problem) == (f"case {case.pk}", 4, Problem.EDITED)


def test_an_event_rewritten_with_a_recomputed_hash_is_caught_at_the_next_link(world: World) -> None:
    case = worked_case(world)
    event = CaseEvent.objects.get(case=case, seq=5)
    event.data = {**event.data, "message": "Nothing needed"}
    event.hash = event_digest(event.prev_hash, case_event_content(event))
    CaseEvent.objects.filter(pk=event.pk).update(data=event.data, hash=event.hash)
    [link] = audit_verify().broken
    assert (link.seq, link.problem) == (5, Problem.EDITED)
    assert "re-hashed" in link.detail


def test_only_the_first_broken_link_of_a_chain_is_reported(world: World) -> None:
    case = worked_case(world)
    CaseEvent.objects.filter(case=case, seq__in=[2, 6]).update(kind="tampered")
    [link] = audit_verify().broken
    assert link.seq == 2


# ------------------------------------------------------------------ missing


def test_a_deleted_event_is_named_as_missing(world: World) -> None:
    case = worked_case(world)
    sql(f"DELETE FROM {TABLE} WHERE case_id = %s AND seq = %s", [case.pk, 4])
    status, out = run_verify()
    assert status == 1
    assert f"case {case.pk}: event #4: missing: event #4 deleted; the next event is #5" in out


def test_deleted_events_hidden_by_renumbering_are_still_missing(world: World) -> None:
    case = worked_case(world)
    CaseEvent.objects.filter(case=case, seq__in=[3, 4]).delete()
    last = seqs(case)[-1]
    for seq in range(5, last + 1):
        CaseEvent.objects.filter(case=case, seq=seq).update(seq=seq - 2)
    assert seqs(case) == list(range(1, last - 1))
    [link] = audit_verify().broken
    assert (link.seq, link.problem) == (3, Problem.MISSING)
    assert "written as #5" in link.detail


def test_deleting_the_first_event_is_missing_at_number_one(world: World) -> None:
    case = worked_case(world)
    CaseEvent.objects.filter(case=case, seq=1).delete()
    [link] = audit_verify().broken
    assert (link.chain, link.seq, link.problem) == (f"case {case.pk}", 1, Problem.MISSING)


def test_a_case_that_lost_its_whole_timeline_is_missing(world: World) -> None:
    case = worked_case(world)
    CaseEvent.objects.filter(case=case).delete()
    [link] = audit_verify().broken
    assert (link.chain, link.seq, link.problem) == (f"case {case.pk}", 1, Problem.MISSING)
    assert "every event" in link.detail


def test_deleting_the_newest_events_is_caught_against_an_anchor_of_the_heads(world: World, tmp_path: Path) -> None:
    case = worked_case(world)
    anchor = tmp_path / "heads.jsonl"
    call_command("audit", "heads", "--out", str(anchor), stderr=StringIO())
    heads = [json.loads(line) for line in anchor.read_text().splitlines()]
    last = seqs(case)[-1]
    assert {"chain": f"case {case.pk}", "seq": last, "hash": CaseEvent.objects.get(case=case, seq=last).hash} in heads
    assert run_verify("--heads", str(anchor))[0] == 0
    CaseEvent.objects.filter(case=case, seq__gte=last - 1).delete()
    assert run_verify()[0] == 0, "a truncated chain is still a valid chain"
    status, out = run_verify("--heads", str(anchor))
    assert status == 1
    gone = f"event #{last}: missing: the anchored head #{last} is gone (the chain now ends at #{last - 2})"
    assert f"case {case.pk}: {gone}" in out


def test_an_anchor_also_catches_a_rewritten_head(world: World, tmp_path: Path) -> None:
    case = worked_case(world)
    anchor = tmp_path / "heads.jsonl"
    call_command("audit", "heads", "--out", str(anchor), stderr=StringIO())
    head = CaseEvent.objects.filter(case=case).order_by("seq").last()
    assert head is not None
    head.data = {**head.data, "summary": "Nothing was wrong"}
    head.hash = event_digest(head.prev_hash, case_event_content(head))
    head.save()
    assert run_verify()[0] == 0
    status, out = run_verify("--heads", str(anchor))
    assert status == 1 and f"case {case.pk}: event #{head.seq}: edited" in out


def test_an_unreadable_anchor_exits_two(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "heads.jsonl"
    bad.write_text('{"chain": "case x"}\n')
    assert run_verify("--heads", str(bad))[0] == 2
    assert run_verify("--heads", str(tmp_path / "absent.jsonl"))[0] == 2


# ------------------------------------------------------------------ reordered


def test_two_events_swapped_by_number_are_named_as_reordered(world: World) -> None:
    case = worked_case(world)
    swap_seq(case, 3, 4)
    status, out = run_verify()
    assert status == 1
    assert f"case {case.pk}: event #3: reordered: it was written as #4, after the event now at #4" in out


def test_two_events_swapped_by_content_are_named_as_reordered(world: World) -> None:
    case = worked_case(world)
    fields = ["at", "actor_id", "actor_role", "channel", "kind", "internal", "data", "sla", "prev_hash", "hash"]
    a = CaseEvent.objects.filter(case=case, seq=5).values(*fields).get()
    b = CaseEvent.objects.filter(case=case, seq=6).values(*fields).get()
    CaseEvent.objects.filter(case=case, seq=5).update(**b)
    CaseEvent.objects.filter(case=case, seq=6).update(**a)
    [link] = audit_verify().broken
    assert (link.seq, link.problem) == (5, Problem.REORDERED)


# ------------------------------------------------------------------ request chains and many chains


def test_request_chains_are_verified_too(world: World) -> None:
    fr = FeatureRequest.objects.filter(reseller=world.b.reseller).get()
    RequestEvent.objects.filter(subject_type="feature_request", subject_id=fr.pk, seq=1).update(
        data={"title": "Something else"}
    )
    status, out = run_verify()
    assert status == 1 and f"feature_request {fr.pk}: event #1: edited" in out


def test_a_request_that_lost_its_whole_timeline_is_missing(world: World) -> None:
    fr = FeatureRequest.objects.filter(reseller=world.b.reseller).get()
    RequestEvent.objects.filter(subject_type="feature_request", subject_id=fr.pk).delete()
    [link] = audit_verify().broken
    assert (link.chain, link.problem) == (f"feature_request {fr.pk}", Problem.MISSING)


def test_every_broken_chain_is_named_once_and_the_json_output_says_the_same(world: World) -> None:
    one, two = worked_case(world), worked_case(world)
    CaseEvent.objects.filter(case=one, seq=2).update(kind="x")
    CaseEvent.objects.filter(case=two, seq=7).delete()
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", "--json", stdout=out)
    assert caught.value.returncode == 1
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[:-1] == [
        {"chain": f"case {one.pk}", "seq": 2, "problem": "edited", "detail": "its content no longer matches its hash"},
        {
            "chain": f"case {two.pk}",
            "seq": 7,
            "problem": "missing",
            "detail": "event #7 deleted; the next event is #8",
        },
    ]
    assert lines[-1]["broken_chains"] == 2 and lines[-1]["events"] == audit_verify().events


# ------------------------------------------------------------------ the classifier on its own


class Ev:
    def __init__(self, seq: int, body: str, prev: str) -> None:
        self.seq, self.body, self.prev_hash = seq, body, prev
        self.hash = event_digest(prev, self.content())

    def content(self) -> dict[str, object]:
        return {"seq": self.seq, "body": self.body}


def chain(n: int) -> list[Ev]:
    events: list[Ev] = []
    for seq in range(1, n + 1):
        events.append(Ev(seq, f"event {seq}", events[-1].hash if events else GENESIS))
    return events


def content(e: Ev) -> dict[str, object]:
    return e.content()


def test_classifier_whole_chain_and_empty_chain_are_fine() -> None:
    assert verify_events("c", chain(5), content) is None
    assert verify_events("c", [], content) is None


def test_classifier_first_event_moved_later_is_reordered() -> None:
    events = chain(3)
    first, second = events[0], events[1]
    first.seq, second.seq = 2, 1
    link = verify_events("c", [second, first, events[2]], content)
    assert link is not None and (link.seq, link.problem) == (1, Problem.REORDERED)


def test_classifier_a_chain_that_does_not_start_at_genesis_lost_its_start() -> None:
    events = chain(4)[2:]
    for position, e in enumerate(events, start=1):
        e.seq = position
        e.hash = event_digest(e.prev_hash, e.content())
    link = verify_events("c", events, content)
    assert link is not None and (link.seq, link.problem) == (1, Problem.MISSING)
