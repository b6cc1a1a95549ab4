"""API contract of the maintenance router: schedules in the viewer's zone with the zone named, "in
a window at t", reschedule requests and decisions, notices, feeds behind secret URLs, the conflict
finder's one-click draft, role checks, and bad input answered 422 with field errors, creating nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import icalendar
import pytest
import vobject
from django.test import Client

from caredesk.maintenance.models import CalendarFeed, MaintenanceNotice, RescheduleRequest
from tests.conftest import World
from tests.integration.maintenance.support import Outbox, add_account

pytestmark = pytest.mark.django_db

WEEK = "from=2027-01-04T00:00:00Z&to=2027-01-11T00:00:00Z"


def schedule_url(world: World, query: str = WEEK) -> str:
    return f"/api/maintenance/accounts/{world.a.account.pk}/schedule?{query}"


def test_a_dc_sees_every_window_in_its_own_zone_with_the_zone_named(world: World) -> None:
    dc = world.a.dcs[0]
    dc.timezone = "Asia/Tokyo"
    dc.save(update_fields=["timezone"])
    body = world.client(dc).get(schedule_url(world)).json()
    assert body["zone"] == "Asia/Tokyo" and len(body["occurrences"]) == 5
    first = body["occurrences"][0]
    assert first == {
        "account_id": world.a.account.pk, "service": "pureengage_cloud", "label": "PureEngage Cloud",
        "source": "planned", "start": "2027-01-05T14:00:00+09:00", "end": "2027-01-05T20:00:00+09:00",
        "zone": "Asia/Tokyo", "display": "Tue 2027-01-05 14:00 JST to 20:00 JST (Asia/Tokyo)",
        "start_utc": "2027-01-05T05:00:00Z", "end_utc": "2027-01-05T11:00:00Z",
        "planned_start": "2027-01-05T05:00:00Z", "moved_from": None, "reschedule_id": None, "notice_id": None,
        "emergency": None, "reason": None,
    }  # fmt: skip
    # Any zone on request: New Year in Berlin, where Premier's New Year's Eve window ends on 1 January.
    body = (
        world.client(dc)
        .get(schedule_url(world, "from=2026-12-31T12:00:00Z&to=2027-01-02T00:00:00Z&tz=Europe/Berlin"))
        .json()
    )
    assert [o["display"] for o in body["occurrences"]] == ["Fri 2027-01-01 04:00 CET to 11:00 CET (Europe/Berlin)"]


def test_any_iso_offset_names_the_same_instant_on_every_database(world: World) -> None:
    """ISO 8601 allows offsets to +/-23:59, PostgreSQL reads literals only to +/-15:59: the same week
    written with +20:00 and -23:30 gives the same schedule (and the request's transaction goes on),
    and a notice written with such an offset is stored at its instant."""
    api = world.client(world.a.dcs[0])
    utc = api.get(schedule_url(world)).json()["occurrences"]
    shifted = "from=2027-01-04T20:00:00%2B20:00&to=2027-01-10T00:30:00-23:30"
    answer = api.get(schedule_url(world, shifted))
    assert answer.status_code == 200, answer.content
    assert answer.json()["occurrences"] == utc and len(utc) == 5
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    far = timezone(timedelta(hours=21, minutes=45))
    body = {
        "service": "pureengage_cloud",
        "start": start.astimezone(far).isoformat(),
        "end": (start + timedelta(hours=2)).astimezone(far).isoformat(),
        "reason": "Emergency patch",
        "emergency": True,
    }
    created = world.client(world.agent).post("/api/maintenance/notices", body)
    assert created.status_code == 201, created.content
    stored = MaintenanceNotice.objects.get(pk=created.json()["id"])
    assert (stored.start, stored.end) == (start, start + timedelta(hours=2))
    # Past Python's range once in UTC: refused as the client's error, nothing else breaks.
    beyond = api.get(schedule_url(world, "from=0001-01-01T00:00:00%2B20:00&to=0001-01-02T00:00:00Z"))
    assert beyond.status_code == 422 and beyond.json()["error"]["code"] == "out_of_range"
    assert api.get(schedule_url(world)).json()["occurrences"] == utc


def test_a_reseller_schedule_covers_its_accounts_only(world: World) -> None:
    second = add_account(world, world.a, "Second", services=["social_analytics"])
    api = world.client(world.a.staff)
    body = api.get(f"/api/maintenance/resellers/{world.a.reseller.pk}/schedule?{WEEK}").json()
    assert {o["account_id"] for o in body["occurrences"]} == {world.a.account.pk, second.pk}
    assert any(o["label"] == "Genesys Social Analytics (Second / Ops)" for o in body["occurrences"])
    assert api.get(f"/api/maintenance/resellers/{world.b.reseller.pk}/schedule?{WEEK}").status_code == 404


def test_is_the_service_in_a_window_at_an_instant(world: World) -> None:
    api = world.client(world.a.dcs[0])
    url = f"/api/maintenance/accounts/{world.a.account.pk}/in-window"
    inside = api.get(f"{url}?service=pureengage_cloud&at=2027-01-05T05:30:00Z&tz=America/New_York").json()
    assert inside["in_window"] is True and inside["occurrence"]["display"] == (
        "Tue 2027-01-05 00:00 EST to 06:00 EST (America/New_York)"
    )
    outside = api.get(f"{url}?service=pureengage_cloud&at=2027-01-05T11:00:00Z").json()
    assert outside == {
        "account_id": world.a.account.pk,
        "service": "pureengage_cloud",
        "at": "2027-01-05T11:00:00Z",
        "in_window": False,
        "occurrence": None,
    }
    missing = api.get(url)
    assert missing.status_code == 422 and "service" in missing.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2027-01-11T00:00:00Z&to=2027-01-04T00:00:00Z", "to"),
        ("from=2027-01-04T00:00:00&to=2027-01-11T00:00:00Z", "from"),
        (f"{WEEK}&tz=Mars/Olympus_Mons", "tz"),
        ("from=yesterday", "from"),
    ],
)
def test_bad_schedule_questions_answer_422_with_the_field(world: World, query: str, field: str) -> None:
    response = world.client(world.a.dcs[0]).get(schedule_url(world, query))
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.content


def next_premier(world: World) -> str:
    """The start of the next Premier Edition occurrence at least two days away (UTC)."""
    start = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) + timedelta(days=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = world.client(world.a.dcs[0]).get(schedule_url(world, f"from={start}&to={end}&tz=UTC")).json()
    return next(
        o["planned_start"] for o in body["occurrences"] if o["service"] == "premier_edition" and o["start"] > start
    )


def plus_days(instant: str, days: int) -> str:
    return (datetime.fromisoformat(instant) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_dc_asks_customer_care_accepts_and_the_window_moves(world: World, outbox: Outbox) -> None:
    planned = next_premier(world)
    dc = world.client(world.a.dcs[0])
    body = {
        "account_id": world.a.account.pk,
        "service": "premier_edition",
        "planned_start": planned,
        "proposed_start": plus_days(planned, 3),
        "reason": "Inventory count",
    }
    created = dc.post("/api/maintenance/reschedules", body)
    assert created.status_code == 201, created.content
    request = created.json()
    assert request["status"] == "pending" and request["proposed_end"] == plus_days(request["planned_end"], 3)
    assert world.client(world.a.staff).get(f"/api/maintenance/reschedules/{request['id']}").status_code == 200
    assert world.client(world.b.dcs[0]).get(f"/api/maintenance/reschedules/{request['id']}").status_code == 404
    assert dc.post(f"/api/maintenance/reschedules/{request['id']}/accept", {}).status_code == 403
    accepted = world.client(world.agent).post(f"/api/maintenance/reschedules/{request['id']}/accept", {"note": "OK"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = world.client(world.manager).post(f"/api/maintenance/reschedules/{request['id']}/decline", {"reason": "x"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    events = dc.get(f"/api/maintenance/reschedules/{request['id']}/events").json()
    assert [e["kind"] for e in events] == ["reschedule_requested", "reschedule_accepted"]
    assert events[1]["prev_hash"] == events[0]["hash"]
    moved = dc.get(schedule_url(world, f"from={plus_days(planned, 2)}&to={plus_days(planned, 4)}&tz=UTC")).json()
    assert [
        (o["source"], o["start_utc"], o["moved_from"], o["reschedule_id"])
        for o in moved["occurrences"]
        if o["service"] == "premier_edition" and o["source"] == "moved"
    ] == [("moved", plus_days(planned, 3), planned, request["id"])]
    assert [r["id"] for r in dc.get("/api/maintenance/reschedules?status=accepted").json()] == [request["id"]]
    theirs = world.client(world.b.dcs[0]).get("/api/maintenance/reschedules").json()
    assert [r["account_id"] for r in theirs] == [world.b.account.pk]  # their own request only
    assert [c["event_kind"] for c in outbox.calls] == ["reschedule_requested", "reschedule_decided"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"colour": "blue"}, "colour"),
        ({"planned_start": "soon"}, "planned_start"),
        ({"service": "nope"}, "service"),
        ({"proposed_start": "2020-01-01T00:00:00Z"}, "proposed_start"),
    ],
)
def test_bad_reschedule_requests_answer_422_and_create_nothing(
    world: World, outbox: Outbox, change: dict[str, Any], field: str
) -> None:
    planned = next_premier(world)
    body = {
        "account_id": world.a.account.pk,
        "service": "premier_edition",
        "planned_start": planned,
        "proposed_start": plus_days(planned, 3),
        "reason": "Inventory count",
        **change,
    }
    response = world.client(world.a.dcs[0]).post("/api/maintenance/reschedules", body)
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.content
    assert not RescheduleRequest.objects.filter(account=world.a.account).exists() and outbox.calls == []


def test_staff_cannot_ask_and_a_decline_needs_a_reason(world: World, outbox: Outbox) -> None:
    planned = next_premier(world)
    body = {
        "account_id": world.a.account.pk,
        "service": "premier_edition",
        "planned_start": planned,
        "proposed_start": plus_days(planned, 3),
        "reason": "Inventory count",
    }
    assert world.client(world.a.staff).post("/api/maintenance/reschedules", body).status_code == 403
    assert world.client(world.agent).post("/api/maintenance/reschedules", body).status_code == 403
    request = world.client(world.a.dcs[1]).post("/api/maintenance/reschedules", body).json()
    url = f"/api/maintenance/reschedules/{request['id']}/decline"
    refused = world.client(world.manager).post(url, {"reason": " "})
    assert refused.status_code == 422 and refused.json()["error"]["fields"] == {"reason": "required"}
    assert world.client(world.manager).post(url, {}).status_code == 422
    declined = world.client(world.manager).post(url, {"reason": "Security patch cannot wait"})
    assert (
        declined.json()["status"] == "declined" and declined.json()["decision_reason"] == "Security patch cannot wait"
    )


def test_customer_care_posts_a_notice_that_every_affected_dc_sees(world: World, outbox: Outbox) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    body = {
        "service": "pureengage_cloud",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "reason": "Emergency patch",
        "emergency": True,
    }
    assert world.client(world.a.dcs[0]).post("/api/maintenance/notices", body).status_code == 403
    created = world.client(world.agent).post("/api/maintenance/notices", body)
    assert created.status_code == 201, created.content
    notice = created.json()
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    window = f"from={start.strftime(fmt)}&to={(start + timedelta(hours=1)).strftime(fmt)}"
    for tenant in (world.a, world.b):
        api = world.client(tenant.dcs[0])
        assert [n["id"] for n in api.get("/api/maintenance/notices").json()] == [notice["id"]]
        found = api.get(f"/api/maintenance/accounts/{tenant.account.pk}/schedule?{window}").json()["occurrences"]
        assert [
            (o["source"], o["notice_id"], o["emergency"], o["reason"]) for o in found if o["source"] == "notice"
        ] == [("notice", notice["id"], True, "Emergency patch")]
    assert sorted(c["reseller_id"] for c in outbox.of("maintenance_notice_posted")) == sorted(
        [world.a.reseller.pk, world.b.reseller.pk]
    )
    cancelled = world.client(world.manager).post(f"/api/maintenance/notices/{notice['id']}/cancel", {"reason": "Moved"})
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"] is not None
    assert (
        world.client(world.manager).post(f"/api/maintenance/notices/{notice['id']}/cancel", {"reason": "x"}).status_code
        == 409
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": "2020-01-01T00:00:00Z"}, "end"),
        ({"service": "x"}, "service"),
        ({"reason": ""}, "reason"),
        ({"emergency": "very"}, "emergency"),
        ({"start": "2030-01-01T00:00:00"}, "start"),
    ],
)
def test_bad_notices_answer_422_and_create_nothing(world: World, change: dict[str, Any], field: str) -> None:
    body = {
        "service": "premier_edition",
        "start": "2030-01-01T00:00:00Z",
        "end": "2030-01-01T02:00:00Z",
        "reason": "Patch",
        **change,
    }
    response = world.client(world.agent).post("/api/maintenance/notices", body)
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.content
    assert not MaintenanceNotice.objects.filter(service="premier_edition").exists()


def test_a_feed_url_is_shown_once_serves_text_calendar_and_can_be_rotated_and_revoked(world: World) -> None:
    dc = world.client(world.a.dcs[0])
    assert world.client(world.a.staff).post("/api/maintenance/feeds", {}).status_code == 403
    created = dc.post("/api/maintenance/feeds", {"account_id": world.a.account.pk})
    assert created.status_code == 201, created.content
    feed = created.json()
    assert feed["url"].startswith("http://testserver/feeds/cdf_") and feed["url"].endswith(".ics")
    assert feed["webcal_url"] == "webcal://" + feed["url"].removeprefix("http://")
    path = feed["url"].removeprefix("http://testserver")
    response = Client().get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    second = vobject.readOne(response.content.decode())
    assert len(parsed.walk("VEVENT")) == len(second.vevent_list) > 40  # 30 weeks, five windows a week
    listed = dc.get("/api/maintenance/feeds").json()
    assert [f["prefix"] for f in listed] == [feed["prefix"]] and "url" not in listed[0]
    assert dc.post("/api/maintenance/feeds", {"account_id": world.a.account.pk}).status_code == 409
    rotated = dc.post(f"/api/maintenance/feeds/{feed['id']}/rotate").json()
    assert Client().get(path).status_code == 404
    new_path = rotated["url"].removeprefix("http://testserver")
    assert Client().get(new_path).status_code == 200
    assert dc.delete(f"/api/maintenance/feeds/{feed['id']}").json()["revoked_at"] is not None
    assert Client().get(new_path).status_code == 404
    assert dc.get("/api/maintenance/feeds").json() == []
    assert CalendarFeed.objects.filter(pk=feed["id"]).exclude(digest__contains="cdf_").exists()


def test_the_conflict_finders_draft_is_a_ready_reschedule_request(world: World, outbox: Outbox) -> None:
    calendar = {
        "timezone": "Asia/Kolkata",
        "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
    account = add_account(world, world.a, "Mumbai", calendar=calendar, services=["premier_edition"])
    dc = world.client(world.a.dcs[0])
    report = dc.get(f"/api/maintenance/accounts/{account.pk}/conflicts?weeks=2&tz=Asia/Kolkata").json()
    assert report["account_id"] == account.pk and report["sources"][0]["timezone"] == "Asia/Kolkata"
    assert len(report["conflicts"]) >= 4
    conflict = next(c for c in report["conflicts"] if c["draft"] and c["draft"]["proposed_start"])
    assert conflict["overlap_minutes"] == 390  # 09:00-15:30 India time of a 7-hour night window
    assert conflict["overlaps"][0]["display"].endswith("IST (Asia/Kolkata)")
    assert conflict["occurrence"]["zone"] == "Asia/Kolkata"
    created = dc.post("/api/maintenance/reschedules", conflict["draft"])
    assert created.status_code == 201, created.content
    bad = dc.get(f"/api/maintenance/accounts/{account.pk}/conflicts?weeks=99")
    assert bad.status_code == 422 and "weeks" in bad.json()["error"]["fields"]
