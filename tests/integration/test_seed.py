"""bench/seed.py writes what the services would have written: whole hash chains, and clocks equal to
the application's own replay of each case's timeline; the application can go on working a
seeded case; and on PostgreSQL a load that builds the indexes and keys after its COPYs leaves the
schema exactly as the migrations made it, and a top-up into a seeded database still works."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from bench.seed import seed
from caredesk.cases import services
from caredesk.cases.clocks import clock_state, next_due
from caredesk.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseTarget, Comment
from caredesk.cases.timeline import audit_verify
from caredesk.domain.sla.clocks import TargetKind
from caredesk.tenancy.models import User

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def seeded() -> dict[str, Any]:
    return seed(cases=120, resellers=3, accounts_per=2, agents=4, batch=50, now=NOW, analyze=False)


def test_seed_writes_every_table_it_reports(seeded: dict[str, Any]) -> None:
    assert Case.objects.count() == 120
    assert seeded["rows"]["cases_case"] == 120
    assert CaseEvent.objects.count() == seeded["rows"]["cases_caseevent"] > 3 * 120
    assert CaseTarget.objects.count() == 3 * 120
    assert Comment.objects.count() == seeded["rows"]["cases_comment"] > 0
    assert Comment.objects.filter(internal=True).exists()
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"new", "closed"} <= statuses and statuses & {"open", "awaiting_reseller", "restored"}


def test_every_seeded_timeline_verifies(seeded: dict[str, Any]) -> None:
    report = audit_verify()
    assert report.events == CaseEvent.objects.count() and report.case_chains == 120
    assert report.broken == []


def test_seeded_clocks_are_the_engines_replay_of_the_timeline(seeded: dict[str, Any]) -> None:
    _assert_clocks_are_the_replay()


def _assert_clocks_are_the_replay() -> None:
    for case in Case.objects.select_related("policy").order_by("id"):
        last_sla = CaseEvent.objects.filter(case=case, sla__isnull=False).order_by("-seq").first()
        assert last_sla is not None
        state = clock_state(case, as_of=last_sla.at)
        assert case.sla == state.to_json(), case.pk
        assert case.next_due_at == next_due(state)
        stored = {t.kind: t for t in CaseTarget.objects.filter(case=case)}
        for kind in TargetKind:
            clock = state.targets[kind]
            row = stored[kind.value]
            assert (row.state, row.due_at, row.met_at, row.warning_at) == (
                clock.state.value,
                clock.due,
                clock.met_at,
                clock.warning_at,
            ), (case.pk, kind)
            assert row.reseller_id == case.reseller_id
    open_due = Case.objects.filter(status__in=OPEN_STATUSES, next_due_at__isnull=False)
    assert open_due.exists()


def test_the_application_keeps_working_a_seeded_case(seeded: dict[str, Any]) -> None:
    case = Case.objects.filter(status="new").order_by("id").first()
    assert case is not None
    agent = User.objects.filter(role="care_agent").first()
    assert agent is not None
    before = CaseEvent.objects.filter(case=case).count()
    services.case_comment(actor=agent, case_id=case.pk, body="Looking into it now.")
    added = CaseEvent.objects.filter(case=case, seq__gt=before)
    comment = added.filter(kind="comment_added").get()
    assert comment.sla and comment.sla["type"] == "responded"
    assert sorted(added.values_list("seq", flat=True)) == list(range(before + 1, before + 1 + added.count()))
    assert audit_verify().ok
    case.refresh_from_db()
    assert case.status == "open" and case.sla["targets"]["response"]["met_at"]


def _schema() -> dict[str, list[tuple[Any, ...]]]:
    """What the catalog says of every index and constraint of the public schema, by name."""
    queries = {
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "index flags": """SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisunique,
                                 i.indisprimary, i.indisexclusion, i.indimmediate, i.indisclustered, i.indisvalid,
                                 i.indisready, i.indislive, i.indnullsnotdistinct, c.reloptions
                            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'""",
        "constraints": """SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid),
                                 c.condeferrable, c.condeferred, c.convalidated, c.conindid::regclass::text,
                                 c.confrelid::regclass::text
                            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                           WHERE n.nspname = 'public'""",
        "triggers": """SELECT tgrelid::regclass::text, tgconstraint::regclass::text IS NOT NULL, tgenabled,
                              pg_get_triggerdef(oid)
                         FROM pg_trigger WHERE tgrelid::regclass::text NOT LIKE 'pg_%'""",
    }
    schema = {}
    with connection.cursor() as cur:
        for name, sql in queries.items():
            cur.execute(sql)
            schema[name] = sorted(cur.fetchall(), key=repr)
    return schema


def _without_oids(schema: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    # A foreign key's system triggers are named after oids ("RI_ConstraintTrigger_a_16390"): compare
    # what they do and on which table, not the name a rebuilt key's triggers get.
    import re

    def plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(re.sub(r"RI_ConstraintTrigger_\w_\d+", "RI", v) if isinstance(v, str) else v for v in row)

    return {k: sorted((plain(row) for row in rows), key=repr) for k, rows in schema.items()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the deferred indexes and keys are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_load_that_builds_indexes_and_keys_afterwards_leaves_the_migrated_schema() -> None:
    migrated = _schema()
    assert any("case_open_due" in str(row) for row in migrated["indexes"])  # a partial index is among them

    fresh = seed(cases=240, resellers=3, accounts_per=2, agents=4, batch=40, jobs=2, now=NOW)
    assert fresh["deferred"] > 40, fresh  # the case tables' indexes and keys were dropped and rebuilt
    assert _without_oids(_schema()) == _without_oids(migrated)

    top_up = seed(cases=80, resellers=2, accounts_per=2, agents=2, batch=40, jobs=2, now=NOW)
    assert top_up["deferred"] == 0  # the case tables held rows: loaded through their indexes
    forced = seed(cases=80, resellers=2, accounts_per=2, agents=2, batch=40, jobs=1, now=NOW, defer="always")
    assert forced["deferred"] == fresh["deferred"]
    assert _without_oids(_schema()) == _without_oids(migrated)

    assert Case.objects.count() == 400
    report = audit_verify()
    assert report.broken == [] and report.case_chains == 400
    _assert_clocks_are_the_replay()
