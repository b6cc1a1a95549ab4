"""iCalendar feeds (RFC 5545) behind revocable secret URLs: planned, moved and notice events over
a rolling window, read back by two independent parsers (icalendar and vobject); only a hash of the
secret is stored; rotating or revoking ends the old URL at once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest
import vobject
from django.test import Client

from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.maintenance import feeds, notice_services, services
from caredesk.maintenance.models import CalendarFeed
from tests.conftest import World
from tests.integration.maintenance.support import Outbox, add_account, z

pytestmark = pytest.mark.django_db

NOW = z("2027-01-04 12:00")


def events_by_icalendar(text: bytes) -> list[dict[str, Any]]:
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["VERSION"] == "2.0" and "caredesk" in str(calendar["PRODID"])
    return [
        {
            "uid": str(e["UID"]),
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "summary": str(e["SUMMARY"]),
            "sequence": int(e["SEQUENCE"]),
            "categories": [str(c) for c in e["CATEGORIES"].cats],
        }
        for e in calendar.walk("VEVENT")
    ]


def events_by_vobject(text: bytes) -> list[dict[str, Any]]:
    calendar = vobject.readOne(text.decode())
    return [
        {
            "uid": e.uid.value,
            "start": e.dtstart.value,
            "end": e.dtend.value,
            "summary": e.summary.value,
            "sequence": int(e.sequence.value),
        }
        for e in calendar.vevent_list
    ]


def render(feed: CalendarFeed, now: datetime = NOW) -> bytes:
    return feeds.feed_render(feed=feed, now=now)


def test_an_account_feed_holds_planned_moved_and_notice_events_that_two_parsers_agree_on(
    world: World, outbox: Outbox
) -> None:
    request = services.reschedule_request(
        actor=world.a.dcs[0],
        account_id=world.a.account.pk,
        service="premier_edition",
        planned_start=z("2027-01-06 03:00"),
        proposed_start=z("2027-01-09 03:00"),
        reason="Close",
        now=NOW,
    )
    services.reschedule_accept(actor=world.agent, reschedule_id=request.pk, now=NOW)
    notice = notice_services.notice_post(
        actor=world.agent,
        service="pureengage_cloud",
        start=z("2027-01-20 14:00"),
        end=z("2027-01-20 15:30"),
        reason="Hotfix",
        emergency=True,
        now=NOW,
    )
    feed, secret = feeds.feed_create(actor=world.a.dcs[0], account_id=world.a.account.pk, now=NOW)
    text = render(feed)
    ours, theirs = events_by_icalendar(text), events_by_vobject(text)
    assert [(e["uid"], e["start"], e["end"], e["sequence"]) for e in ours] == [
        (e["uid"], e["start"], e["end"], e["sequence"]) for e in theirs
    ]
    assert len({e["uid"] for e in ours}) == len(ours)
    # Four weeks back to 26 weeks ahead: Premier three nights a week, PureEngage two days a week.
    assert min(e["start"] for e in ours) >= z("2026-12-07 12:00") - (z("2026-12-07 12:00") - z("2026-12-07 03:00"))
    assert max(e["start"] for e in ours) < z("2027-07-05 12:00")
    assert all(e["start"].tzinfo is not None and e["start"].utcoffset().total_seconds() == 0 for e in ours)
    moved = [e for e in ours if e["sequence"] == 1]
    assert [(e["start"], e["end"]) for e in moved] == [(z("2027-01-09 03:00"), z("2027-01-09 10:00"))]
    assert (
        moved[0]["uid"]
        == f"maintenance-premier_edition-account-{world.a.account.pk}-20270106T030000Z@maintenance.caredesk"
    )
    assert "Rescheduled" in moved[0]["categories"]
    assert not [e for e in ours if e["start"] == z("2027-01-06 03:00")]  # the original slot is gone
    [emergency] = [e for e in ours if "Emergency" in e["categories"]]
    assert emergency["uid"] == f"notice-{notice.pk}@maintenance.caredesk"
    assert (emergency["start"], emergency["end"]) == (z("2027-01-20 14:00"), z("2027-01-20 15:30"))
    assert emergency["summary"] == "Emergency maintenance: PureEngage Cloud"
    # The secret itself is never stored: only its SHA-256.
    assert feed.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert not CalendarFeed.objects.filter(digest=secret).exists() and secret not in feed.prefix + feed.digest


def test_a_reseller_feed_keeps_each_accounts_occurrences_apart_and_lists_a_notice_once(
    world: World, outbox: Outbox
) -> None:
    second = add_account(world, world.a, "Second", services=["premier_edition"])
    notice_services.notice_post(
        actor=world.agent,
        service="premier_edition",
        start=z("2027-01-20 14:00"),
        end=z("2027-01-20 15:00"),
        reason="Patch",
        now=NOW,
    )
    feed, _ = feeds.feed_create(actor=world.a.dcs[1], now=NOW)
    ours = events_by_icalendar(render(feed))
    assert len({e["uid"] for e in ours}) == len(ours) == len(events_by_vobject(render(feed)))
    night = [e for e in ours if e["start"] == z("2027-01-06 03:00")]
    assert sorted(e["uid"].split("-")[3] for e in night) == sorted([str(world.a.account.pk), str(second.pk)])
    assert {e["summary"] for e in night} == {
        "Planned maintenance: Premier Edition (including Self-Service) (Account Alpha / Contact Centre)",
        "Planned maintenance: Premier Edition (including Self-Service) (Second / Ops)",
    }
    assert len([e for e in ours if "Unplanned" in e["categories"]]) == 1
    assert not [e for e in ours if "Zephyrine" in e["summary"]]


def test_the_feed_url_needs_no_login_answers_text_calendar_and_dies_when_rotated_or_revoked(
    world: World, outbox: Outbox
) -> None:
    feed, secret = feeds.feed_create(actor=world.a.dcs[0], now=NOW)
    client = Client()
    response = client.get(f"/feeds/{secret}.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    assert events_by_vobject(response.content)
    feed.refresh_from_db()
    assert feed.last_fetched_at is not None
    _, rotated = feeds.feed_rotate(actor=world.a.dcs[1], feed_id=feed.pk)
    assert client.get(f"/feeds/{secret}.ics").status_code == 404
    assert client.get(f"/feeds/{rotated}.ics").status_code == 200
    feeds.feed_revoke(actor=world.agent, feed_id=feed.pk, now=NOW)
    assert client.get(f"/feeds/{rotated}.ics").status_code == 404
    assert client.get("/feeds/cdf_not-a-secret.ics").status_code == 404
    assert client.post(f"/feeds/{rotated}.ics").status_code in (404, 405)
    with pytest.raises(InvalidTransition):
        feeds.feed_revoke(actor=world.a.dcs[0], feed_id=feed.pk, now=NOW)
    # After revoking, a new feed may be made for the same schedule.
    feeds.feed_create(actor=world.a.dcs[0], now=NOW)


def test_who_may_make_feeds_for_which_schedule(world: World) -> None:
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=world.a.staff)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=world.csm, reseller_id=world.a.reseller.pk)
    with pytest.raises(ValidationFailed) as info:
        feeds.feed_create(actor=world.a.dcs[0], account_id=world.b.account.pk)
    assert info.value.errors == {"account_id": "no such End User Account"}
    with pytest.raises(ValidationFailed) as info:
        feeds.feed_create(actor=world.a.dcs[0], reseller_id=world.b.reseller.pk)
    assert info.value.errors == {"reseller_id": "no such reseller"}
    with pytest.raises(ValidationFailed) as info:
        feeds.feed_create(actor=world.agent)
    assert "reseller_id" in info.value.errors
    assert not CalendarFeed.objects.exists()
    feed, _ = feeds.feed_create(actor=world.agent, reseller_id=world.b.reseller.pk)
    with pytest.raises(InvalidTransition):  # one live feed per schedule
        feeds.feed_create(actor=world.b.dcs[0])
    with pytest.raises(NotFound):
        feeds.feed_rotate(actor=world.a.dcs[0], feed_id=feed.pk)
    with pytest.raises(PermissionDenied):
        feeds.feed_revoke(actor=world.b.staff, feed_id=feed.pk)
    with pytest.raises(NotFound):
        feeds.feed_for_secret(secret="nope")


def test_feed_events_cross_new_year_and_a_dst_change_in_utc(world: World) -> None:
    sydney = add_account(world, world.a, "Sydney", pureengage_tz="Australia/Sydney")
    feed, _ = feeds.feed_create(actor=world.a.dcs[0], account_id=sydney.pk, now=NOW)
    starts = [e["start"] for e in events_by_vobject(render(feed, now=z("2027-03-15 00:00")))]
    # Tuesday/Thursday 00:00 in Sydney: 13:00Z while AEDT (+11), 14:00Z after the fall back on 4 April.
    assert datetime(2027, 3, 29, 13, 0, tzinfo=UTC) in starts and datetime(2027, 4, 5, 14, 0, tzinfo=UTC) in starts
    new_year = [e for e in events_by_icalendar(render(feed, now=z("2026-12-20 00:00"))) if e["start"].year == 2026]
    assert max(e["start"] for e in new_year) == z("2026-12-30 13:00")  # Thursday 31 Dec 00:00 AEDT
