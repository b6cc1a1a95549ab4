"""API contract of the history router: GET /api/cases/{id}/export and POST /api/cases/import
(DOMAIN.md "The record": a case's history can be exported and verified; issue 4 item 6: imported
with its original timestamps by a vendor admin)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caredesk.cases.models import Case, CaseEvent, CaseTarget, Comment
from caredesk.cases.timeline import GENESIS, audit_verify, canonical
from caredesk.domain.sla.policy import load_default_policy
from caredesk.domain.sla.replay import replay_request
from tests.conftest import World, case_payload

pytestmark = pytest.mark.django_db

SECRET_NOTE = "Suspect the reseller's own SBC config (do not share)."


def worked_case(world: World) -> int:
    """A case worked through the API: opened, acknowledged, a public comment, an internal note,
    awaiting the reseller, the DC's reply, restored, resolved."""
    dc, agent = world.client(world.a.dcs[0]), world.client(world.agent)
    r = dc.post("/api/cases", case_payload(world.a.account))
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    steps = [
        (agent, f"/api/cases/{cid}/acknowledge", {}),
        (agent, f"/api/cases/{cid}/comments", {"body": "Looking at it."}),
        (agent, f"/api/cases/{cid}/comments", {"body": SECRET_NOTE, "internal": True}),
        (agent, f"/api/cases/{cid}/await-reseller", {"message": "Please send a HAR file."}),
        (dc, f"/api/cases/{cid}/comments", {"body": "HAR attached."}),
        (agent, f"/api/cases/{cid}/restore", {"summary": "Failed over to the backup SBC."}),
        (agent, f"/api/cases/{cid}/resolve", {"code": "solution", "summary": "Patched the SBC."}),
    ]
    for client, path, body in steps:
        r = client.post(path, body)
        assert r.status_code in (200, 201), (path, r.content)
    return int(cid)


def export_of(world: World, user: Any, cid: int) -> dict[str, Any]:
    r = world.client(user).get(f"/api/cases/{cid}/export")
    assert r.status_code == 200, r.content
    return dict(r.json())


def counts() -> tuple[int, int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), Comment.objects.count(), CaseTarget.objects.count()


def import_as(world: World, user: Any, body: Any) -> Any:
    return world.client(user).post("/api/cases/import", body)


# ------------------------------------------------------------------ export


def test_export_is_sla_replay_input_that_answers_the_stored_clocks(world: World) -> None:
    cid = worked_case(world)
    exported = export_of(world, world.agent, cid)
    case = Case.objects.get(pk=cid)
    assert exported["format"] == "caredesk.case-export/1"
    assert (exported["id"], exported["package"], exported["policy"]) == (cid, case.package, case.policy.key)
    assert exported["calendar"] == case.calendar
    kinds = ["submitted", "responded", "awaiting_reseller", "resumed", "restored", "resolved"]
    assert [e["type"] for e in exported["events"]] == kinds
    assert exported["clocks"] == case.sla
    assert replay_request(exported, policy=load_default_policy()) == {"id": cid, **case.sla}


def test_export_timeline_carries_every_hashed_field_so_the_chain_verifies_outside_caredesk(world: World) -> None:
    cid = worked_case(world)
    exported = export_of(world, world.agent, cid)
    prev = GENESIS
    for entry in exported["timeline"]:
        content = {
            "case": exported["id"],
            "seq": entry["seq"],
            "at": entry["at"],
            "actor": entry["actor"]["id"] if entry["actor"] else None,
            "actor_role": entry["actor_role"],
            "channel": entry["channel"],
            "kind": entry["kind"],
            "internal": entry["internal"],
            "data": entry["data"],
            "sla": entry["sla"],
        }
        assert entry["prev_hash"] == prev
        assert hashlib.sha256(prev.encode() + b"\n" + canonical(content)).hexdigest() == entry["hash"]
        prev = entry["hash"]
    assert [e["seq"] for e in exported["timeline"]] == list(range(1, len(exported["timeline"]) + 1))


def test_export_holds_the_intake_fields_comments_and_people(world: World) -> None:
    cid = worked_case(world)
    exported = export_of(world, world.agent, cid)
    case = exported["case"]
    assert case["title"] == case_payload(world.a.account)["title"]
    assert case["level1"]["problem_reproduced"] is True and case["status"] == "resolved"
    assert case["opened_by"]["email"] == world.a.dcs[0].email
    assert [c["internal"] for c in exported["comments"]] == [False, True, False, False]
    assert exported["comments"][1]["author"]["email"] == world.agent.email


@pytest.mark.parametrize("who", ["designated_contact", "reseller_staff"])
def test_a_resellers_export_never_holds_internal_notes_or_internal_events(world: World, who: str) -> None:
    cid = worked_case(world)
    user = world.a.dcs[1] if who == "designated_contact" else world.a.staff
    r = world.client(user).get(f"/api/cases/{cid}/export")
    assert r.status_code == 200
    text = r.content.decode()
    assert SECRET_NOTE not in text and "internal_note_added" not in text
    exported = r.json()
    assert not any(e["internal"] for e in exported["timeline"])
    assert not any(c["internal"] for c in exported["comments"])
    assert world.agent.email not in text, "vendor staff are named without their e-mail addresses"
    # The SLA history is whole (SLA events are never internal): the same clocks replay.
    assert exported["events"] == export_of(world, world.agent, cid)["events"]
    assert replay_request(exported, policy=load_default_policy())["targets"] == exported["clocks"]["targets"]


def test_vendor_roles_that_see_the_case_get_internal_notes_in_the_export(world: World) -> None:
    cid = worked_case(world)
    for user in (world.agent, world.manager, world.admin, world.csm):
        assert SECRET_NOTE in json.dumps(export_of(world, user, cid)), user.role


def test_an_export_costs_the_same_queries_however_long_the_history(world: World) -> None:
    cid = worked_case(world)
    agent = world.client(world.agent)
    with CaptureQueriesContext(connection) as short:
        assert agent.get(f"/api/cases/{cid}/export").status_code == 200
    for n in range(6):
        agent.post(f"/api/cases/{cid}/comments", {"body": f"Follow-up {n}", "internal": n % 2 == 0})
    with CaptureQueriesContext(connection) as long:
        assert agent.get(f"/api/cases/{cid}/export").status_code == 200
    assert len(long.captured_queries) == len(short.captured_queries)


def test_another_tenants_case_is_not_found(world: World) -> None:
    r = world.client(world.b.dcs[0]).get(f"/api/cases/{worked_case(world)}/export")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# ------------------------------------------------------------------ import: the round trip


def test_admin_imports_an_export_with_its_original_instants_and_the_same_clocks(world: World) -> None:
    cid = worked_case(world)
    exported = export_of(world, world.agent, cid)
    before = counts()
    r = import_as(world, world.admin, exported)
    assert r.status_code == 201, r.content
    new = r.json()
    assert new["id"] != cid and r["ETag"] == f'"{new["version"]}"'
    original, imported = Case.objects.get(pk=cid), Case.objects.get(pk=new["id"])
    assert imported.sla == original.sla and imported.next_due_at == original.next_due_at
    for name in ("status", "severity", "reseller_id", "account_id", "package", "title", "submitted_at"):
        assert getattr(imported, name) == getattr(original, name), name
    assert (imported.restored_at, imported.resolved_at) == (original.restored_at, original.resolved_at)
    assert imported.resolution_code == "solution" and imported.opened_by_id == world.a.dcs[0].pk
    events = list(imported.events.order_by("seq"))
    old = list(original.events.order_by("seq"))
    assert [e.at for e in events[:-1]] == [e.at for e in old], "original instants"
    assert [e.kind for e in events] == [e.kind for e in old] + ["case_imported"]
    assert {e.channel for e in events} == {"import"}
    assert [e.data["imported"]["seq"] for e in events[:-1]] == [e.seq for e in old]
    assert events[-1].actor_id == world.admin.pk
    assert [e.actor_id for e in events[:-1]] == [e.actor_id for e in old]
    assert counts() == (before[0] + 1, before[1] + len(old) + 1, before[2] + 4, before[3] + 3)
    assert audit_verify().ok
    # The imported comments are linked from their events, and keep their authors and instants.
    note = imported.comments.get(internal=True)
    assert note.body == SECRET_NOTE and note.author_id == world.agent.pk
    assert imported.events.get(kind="internal_note_added").data["comment"] == note.pk
    # And the imported case exports to the same replay input.
    again = export_of(world, world.agent, imported.pk)
    assert (again["events"], again["as_of"], again["clocks"]) == (
        exported["events"],
        exported["as_of"],
        exported["clocks"],
    )


def test_the_import_answers_a_retry_with_the_same_idempotency_key_once(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    first = world.client(world.admin).post("/api/cases/import", exported, HTTP_IDEMPOTENCY_KEY="import-1")
    again = world.client(world.admin).post("/api/cases/import", exported, HTTP_IDEMPOTENCY_KEY="import-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize("who", ["agent", "manager", "csm", "dc", "staff"])
def test_only_a_vendor_admin_imports(world: World, who: str) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    user = {"agent": world.agent, "manager": world.manager, "csm": world.csm, "dc": world.a.dcs[0]}.get(
        who, world.a.staff
    )
    before = counts()
    r = import_as(world, user, exported)
    assert r.status_code == 403 and counts() == before


def test_another_helpdesks_bare_sla_history_is_imported_with_unknown_people_kept_by_name(world: World) -> None:
    t0 = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
    fields = case_payload(world.a.account, service="premier_edition", first_observed_at=t0.isoformat())
    fields.pop("severity")
    fields["opened_by"] = {"email": "gone@alpha.test", "name": "Former DC"}
    fields["assignee"] = world.agent.email
    body: dict[str, Any] = {
        "id": "OLD-4711",
        "package": "business_care_for_cloud",
        "case": fields,
        "events": [
            {"at": t0.isoformat(), "type": "submitted", "severity": 3, "actor": world.a.dcs[0].email},
            {"at": (t0 + timedelta(minutes=30)).isoformat(), "type": "responded", "actor": "someone@old-desk.example"},
            {"at": (t0 + timedelta(hours=5)).isoformat(), "type": "resolved", "actor": world.agent.email},
        ],
        "comments": [
            {
                "id": 1,
                "author": "someone@old-desk.example",
                "body": "Found it.",
                "created_at": (t0 + timedelta(hours=4)).isoformat(),
            },
            {
                "id": 2,
                "author": world.agent.email,
                "body": "Internal: root cause",
                "internal": True,
                "created_at": (t0 + timedelta(hours=4, minutes=1)).isoformat(),
            },
        ],
    }
    fields["resolution_code"] = "workaround"
    r = import_as(world, world.admin, body)
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["id"])
    assert case.status == "resolved" and case.severity == 3 and case.reseller_id == world.a.reseller.pk
    assert case.opened_by_id == world.admin.pk and case.assignee_id == world.agent.pk
    events = list(case.events.order_by("seq"))
    assert [e.kind for e in events] == [
        "case_opened",
        "responded",
        "comment_added",
        "internal_note_added",
        "resolved",
        "case_imported",
    ]
    assert events[0].actor_id == world.a.dcs[0].pk
    assert events[1].actor is None and events[1].actor_role == "system"
    assert events[1].data["imported"]["actor"] == {"email": "someone@old-desk.example"}
    assert events[2].actor is None and events[2].data["imported"]["comment_author"] == {
        "email": "someone@old-desk.example"
    }
    assert events[3].internal and events[3].actor_id == world.agent.pk
    assert events[-1].data["people"]["opened_by"] == {"email": "gone@alpha.test", "name": "Former DC"}
    assert events[-1].data["source"] == {"id": "OLD-4711"}
    comments = {c.body: c for c in case.comments.all()}
    assert comments["Found it."].author_id == world.admin.pk
    assert events[2].data["comment"] == comments["Found it."].pk
    assert case.sla["targets"]["response"]["state"] == "met"
    answer = replay_request(
        {"package": body["package"], "calendar": world.a.account.calendar, "events": body["events"]},
        policy=load_default_policy(),
    )
    assert answer.pop("id") is None and answer == case.sla


# ------------------------------------------------------------------ import: validation


def bare(world: World, **overrides: Any) -> dict[str, Any]:
    t0 = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
    fields = case_payload(world.a.account, first_observed_at=(t0 - timedelta(hours=2)).isoformat())
    fields.pop("severity")
    body: dict[str, Any] = {
        "package": "care_for_cloud",
        "case": fields,
        "events": [
            {"at": t0.isoformat(), "type": "submitted", "severity": 2},
            {"at": (t0 + timedelta(hours=1)).isoformat(), "type": "responded"},
            {"at": (t0 + timedelta(hours=2)).isoformat(), "type": "awaiting_reseller"},
            {"at": (t0 + timedelta(hours=3)).isoformat(), "type": "resumed"},
        ],
    }
    body.update(overrides)
    return body


def refused(world: World, body: Any) -> dict[str, str]:
    before = counts()
    r = import_as(world, world.admin, body)
    assert r.status_code == 422, r.content
    assert counts() == before, "nothing is half-created"
    return dict(r.json()["error"]["fields"])


def test_a_valid_bare_history_imports(world: World) -> None:
    r = import_as(world, world.admin, bare(world))
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "open"


def test_an_event_out_of_time_order_is_named_by_its_path(world: World) -> None:
    body = bare(world)
    body["events"][3]["at"] = "2026-06-02T14:30:00+00:00"
    fields = refused(world, body)
    assert "out of time order" in fields["events[3].at"]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda b: b["events"][1].pop("at"), "events[1].at", "required"),
        (lambda b: b["events"][2].update(at="2099-01-01T00:00:00Z"), "events[2].at", "future"),
        (lambda b: b["events"][2].update(at="2026-06-02 16:00"), "events[2].at", "UTC offset"),
        (lambda b: b["events"][1].update(type="escalated"), "events[1].type", "unknown event type"),
        (lambda b: b["events"][0].update(severity=1), "events[0].severity", "telephone"),
        (lambda b: b["events"][3].update(type="reopened"), "events[3]", "only a resolved case"),
        (lambda b: b["case"].update(account_id=999_999), "case.account_id", "no such"),
        (lambda b: b["case"].update(title=" "), "case.title", "required"),
        (lambda b: b["case"].update(first_observed_at="2026-06-03T00:00:00Z"), "case.first_observed_at", "submitted"),
        (lambda b: b["case"].update(status="resolved"), "case.status", "open"),
        (lambda b: b.update(package="platinum"), "package", "platinum"),
        (lambda b: b.update(package="business_care_for_cloud"), "package", "care_for_cloud"),
        (lambda b: b.update(policy="cloud-resellers@99"), "policy", "no policy version"),
        (lambda b: b.update(calendar={"timezone": "Moon/Base"}), "calendar.timezone", "unknown"),
        (lambda b: b.update(as_of="2026-06-03T00:00:00Z"), "as_of", "leave as_of out"),
        (
            lambda b: b.update(comments=[{"body": "x", "created_at": "2026-06-01T00:00:00Z"}]),
            "comments[0].created_at",
            "before",
        ),
        (lambda b: b.update(events=[]), "events", "required"),
        (lambda b: b.update(surprise=1), "surprise", "unknown field"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_created(world: World, mutate: Any, path: str, fragment: str) -> None:
    body = bare(world)
    mutate(body)
    fields = refused(world, body)
    assert path in fields, fields
    assert fragment.lower() in fields[path].lower(), fields[path]


def test_every_problem_is_reported_at_once(world: World) -> None:
    body = bare(world)
    body["events"][1]["at"] = "yesterday"
    body["case"]["users_affected"] = -1
    body["comments"] = [{"author": 42, "body": "", "created_at": "2026-06-02T15:00:00Z"}]
    fields = refused(world, body)
    assert {"events[1].at", "case.users_affected", "comments[0].author", "comments[0].body"} <= set(fields)


def test_the_accounts_reseller_is_the_tenant(world: World) -> None:
    body = bare(world)
    body["case"]["reseller_id"] = world.b.reseller.pk
    assert "case.reseller_id" in refused(world, body)


def test_people_of_another_reseller_are_refused_by_path(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    for entry in exported["timeline"]:
        entry.pop("hash")
        entry.pop("prev_hash")
    exported["timeline"][0]["actor"] = {"email": world.b.dcs[0].email}
    exported["comments"][0]["author"] = world.b.dcs[1].email
    fields = refused(world, exported)
    assert "another reseller" in fields["timeline[0].actor"]
    assert "another reseller" in fields["comments[0].author"]
    assert world.b.reseller.name not in json.dumps(fields)


def test_an_export_edited_after_it_was_written_is_refused_unless_its_hashes_are_removed(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    edited = copy.deepcopy(exported)
    edited["timeline"][2]["data"]["body"] = "We said something else."
    fields = refused(world, edited)
    assert "timeline[2].hash" in fields and "edited" in fields["timeline[2].hash"]
    for entry in edited["timeline"]:
        del entry["hash"], entry["prev_hash"]
    assert import_as(world, world.admin, edited).status_code == 201


def test_a_deleted_timeline_event_is_refused_as_missing(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    del exported["timeline"][3]
    fields = refused(world, exported)
    assert "missing" in fields["timeline[3].hash"]


def test_stored_clocks_that_the_history_does_not_replay_to_are_refused(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    exported["clocks"]["targets"]["restoration"]["state"] = "breached"
    fields = refused(world, exported)
    assert "replays to" in fields["clocks.targets.restoration.state"]


def test_an_sla_event_recorded_as_internal_is_refused(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    for entry in exported["timeline"]:
        del entry["hash"], entry["prev_hash"]
    exported["timeline"][1]["internal"] = True
    assert "never internal" in refused(world, exported)["timeline[1].internal"]


def test_events_beside_a_timeline_must_be_the_ones_it_carries(world: World) -> None:
    exported = export_of(world, world.agent, worked_case(world))
    exported["events"][1]["at"] = exported["events"][0]["at"]
    assert "differs" in refused(world, exported)["events[1]"]


def test_a_body_that_is_not_an_object_is_refused(world: World) -> None:
    r = import_as(world, world.admin, [1, 2])
    assert r.status_code == 422
