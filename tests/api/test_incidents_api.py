"""API contract of the post-incident router (/api/post-mortems, /api/incident-reports): shapes,
role checks (Customer Care works, a Designated Contact requests, staff read), tenant scoping,
ETag/If-Match on reports, the PDF download, and a constant number of queries per list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caredesk.cases import services as case_services
from caredesk.incidents.models import PostMortem
from tests.conftest import World, case_payload
from tests.integration.incidents.pdftext import pdf_text
from tests.integration.sweep.support import critical_case, ny, resolve

pytestmark = pytest.mark.django_db


def resolved_post_mortem(world: World) -> PostMortem:
    payload = case_payload(world.a.account)
    payload["first_observed_at"] = datetime.fromisoformat(payload["first_observed_at"])
    case = case_services.case_open(actor=world.a.dcs[0], payload=payload)
    case_services.case_resolve(actor=world.agent, case_id=case.pk, code="workaround", summary="Rerouted the trunks.")
    return PostMortem.objects.get(case=case)


def test_post_mortems_are_listed_per_tenant_and_customer_care_sees_all(world: World) -> None:
    pm = resolved_post_mortem(world)
    mine = world.client(world.a.dcs[0]).get("/api/post-mortems")
    assert mine.status_code == 200
    assert [row["id"] for row in mine.json()] == [pm.pk]
    row = mine.json()[0]
    assert row["status"] == "due" and row["severity"] == 2 and row["case_id"] == pm.case_id
    assert datetime.fromisoformat(row["due_at"]) == pm.due_at
    assert set(row) >= {"resolved_at", "meeting_at", "held_at", "root_cause_analysis", "not_applicable_reason"}
    staff = world.client(world.a.staff).get(f"/api/post-mortems/{pm.pk}")
    assert staff.status_code == 200
    care = world.client(world.agent).get("/api/post-mortems?status=due&status=held").json()
    assert {r["id"] for r in care} >= {pm.pk, world.b.extra_ids["post_mortem_id"]}
    assert world.client(world.agent).get("/api/post-mortems?status=nope").status_code == 422
    other = world.client(world.b.dcs[0]).get(f"/api/post-mortems/{pm.pk}")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert world.client(world.csm).get(f"/api/post-mortems/{pm.pk}").status_code == 200  # the account's CSM


def test_customer_care_schedules_and_holds_and_resellers_may_not(world: World) -> None:
    pm = resolved_post_mortem(world)
    meeting = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    body = {"meeting_at": meeting.isoformat()}
    assert world.client(world.a.dcs[0]).post(f"/api/post-mortems/{pm.pk}/schedule", body).status_code == 403
    assert world.client(world.a.staff).post(f"/api/post-mortems/{pm.pk}/schedule", body).status_code == 403
    r = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/schedule", body)
    assert r.status_code == 200 and r.json()["status"] == "scheduled"
    assert datetime.fromisoformat(r.json()["meeting_at"]) == meeting
    bad = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/schedule", {"meeting_at": "2020-01-01T00:00:00Z"})
    assert bad.status_code == 422 and "meeting_at" in bad.json()["error"]["fields"]
    unknown = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/held", {"rca": "x"})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"]["rca"] == "unknown field"
    r = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/held", {"notes": "Met with the DC."})
    assert r.status_code == 200 and r.json()["status"] == "held" and r.json()["held_at"]
    again = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/not-applicable", {"reason": "late"})
    assert again.status_code == 409


def test_a_critical_post_mortem_answers_422_without_a_root_cause_analysis(world: World) -> None:
    case = critical_case(world, at=ny("2026-11-16 10:00"))
    resolve(world, case, at=ny("2026-11-16 12:00"))
    pm = PostMortem.objects.get(case=case)
    r = world.client(world.manager).post(f"/api/post-mortems/{pm.pk}/held", {})
    assert r.status_code == 422 and "root_cause_analysis" in r.json()["error"]["fields"]
    r = world.client(world.manager).post(f"/api/post-mortems/{pm.pk}/held", {"root_cause_analysis": "Expired cert."})
    assert r.status_code == 200 and r.json()["root_cause_analysis"] == "Expired cert."


def test_not_applicable_with_a_reason(world: World) -> None:
    pm = resolved_post_mortem(world)
    assert (
        world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/not-applicable", {"reason": " "}).status_code == 422
    )
    r = world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/not-applicable", {"reason": "Duplicate of #1."})
    assert r.status_code == 200 and r.json()["status"] == "not_applicable"


def test_the_incident_report_flow_over_the_api_ends_in_a_pdf(world: World) -> None:
    pm = resolved_post_mortem(world)
    dc, agent = world.client(world.a.dcs[0]), world.client(world.agent)
    early = dc.post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": "Please send it."})
    assert early.status_code == 409
    assert agent.post(f"/api/post-mortems/{pm.pk}/held", {}).status_code == 200
    assert (
        world.client(world.a.staff).post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": "x"}).status_code
        == 403
    )
    assert dc.post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": " "}).status_code == 422
    r = dc.post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": "Please send it in writing."})
    assert r.status_code == 201, r.content
    report = r.json()
    rid = report["id"]
    assert (
        report["status"] == "requested"
        and report["summary"] is None
        and report["request"] == "Please send it in writing."
    )
    assert dc.post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": "again"}).status_code == 409
    draft = agent.get(f"/api/incident-reports/{rid}")
    assert draft.status_code == 200 and draft["ETag"] == '"1"' and "case opened" in draft.json()["timeline"]
    assert dc.patch(f"/api/incident-reports/{rid}", {"summary": "mine"}).status_code == 403
    r = agent.patch(
        f"/api/incident-reports/{rid}",
        {"summary": "Trunk group A dropped calls.", "root_cause": "A carrier (maintenance) change."},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 200 and r["ETag"] == '"2"'
    assert agent.patch(f"/api/incident-reports/{rid}", {"summary": "x"}, HTTP_IF_MATCH='"1"').status_code == 412
    incomplete = agent.post(f"/api/incident-reports/{rid}/publish")
    assert incomplete.status_code == 422 and set(incomplete.json()["error"]["fields"]) == {"remediation"}
    assert dc.get(f"/api/incident-reports/{rid}/pdf").status_code == 409
    assert (
        agent.patch(f"/api/incident-reports/{rid}", {"remediation": "Carrier changes are now announced."}).status_code
        == 200
    )
    published = agent.post(f"/api/incident-reports/{rid}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    seen = dc.get(f"/api/incident-reports/{rid}").json()
    assert seen["summary"] == "Trunk group A dropped calls." and seen["published_at"]
    assert [x["id"] for x in dc.get("/api/incident-reports").json()] == [rid]
    pdf = dc.get(f"/api/incident-reports/{rid}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert "Trunk group A dropped calls." in text and "A carrier \\(maintenance\\) change." not in text
    assert "A carrier (maintenance) change." in text and "Carrier changes are now announced." in text
    assert world.client(world.b.dcs[0]).get(f"/api/incident-reports/{rid}/pdf").status_code == 404
    assert agent.patch(f"/api/incident-reports/{rid}", {"summary": "edit"}).status_code == 409


def test_lists_cost_the_same_number_of_queries_however_long(world: World) -> None:
    agent = world.client(world.agent)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent.get(path).status_code == 200
        return len(ctx.captured_queries)

    agent.get("/api/post-mortems")  # the token's first use of the day is recorded once
    before = (queries("/api/post-mortems"), queries("/api/incident-reports"))
    for _ in range(3):
        pm = resolved_post_mortem(world)
        world.client(world.agent).post(f"/api/post-mortems/{pm.pk}/held", {})
        world.client(world.a.dcs[0]).post(f"/api/post-mortems/{pm.pk}/incident-report", {"request": "Please."})
    assert (queries("/api/post-mortems"), queries("/api/incident-reports")) == before
