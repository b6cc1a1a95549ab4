"""DOMAIN.md "Maintenance": occurrences in any time zone, flagged against working hours, and as
iCalendar events that real parsers accept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance import (
    CalendarEvent,
    Move,
    Notice,
    Occurrence,
    calendar_events,
    conflicts,
    merge_schedule,
    occurrences,
    schedule,
    suggest_start,
    to_zone,
)
from caredesk.domain.maintenance.conflicts import normalise_intervals
from tests.unit.maintenance.support import shipped_rules, z

# --- the viewer's time zone -----------------------------------------------------------------------


def test_an_occurrence_is_shown_in_the_viewers_zone_with_the_zone_named() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    shown = to_zone(found, "Asia/Kolkata")
    assert (shown.start.isoformat(), shown.end.isoformat()) == (
        "2027-01-12T10:30:00+05:30",
        "2027-01-12T13:30:00+05:30",
    )
    assert shown.zone == "Asia/Kolkata"
    assert shown.label() == "Tue 2027-01-12 10:30 IST to 13:30 IST (Asia/Kolkata)"
    assert shown.occurrence is found and shown.start == found.start


def test_a_window_across_midnight_names_both_dates() -> None:
    found = occurrences(shipped_rules("premier_edition"), z("2027-01-01 00:00"), z("2027-01-01 04:00"))
    assert to_zone(found[0], "EST").label() == "Thu 2026-12-31 22:00 EST to Fri 2027-01-01 05:00 EST (EST)"


def test_a_window_across_a_dst_change_shows_each_end_with_its_own_offset() -> None:
    # Outbound Engagement, Sun 2027-03-14 00:00-05:00 EST (05:00-10:00Z); New York jumps at 07:00Z.
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-03-14 00:00"), z("2027-03-15 00:00"))
    assert to_zone(found, "America/New_York").label() == "Sun 2027-03-14 00:00 EST to 06:00 EDT (America/New_York)"


def test_a_fixed_offset_viewer_zone_is_named_too() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    assert to_zone(found, UTC).zone == "UTC"
    assert to_zone(found, timezone(timedelta(hours=2))).label().endswith("(UTC+02:00)")


def test_an_unknown_viewer_zone_is_refused() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    with pytest.raises(ValidationFailed, match="unknown time zone"):
        to_zone(found, "Europe/Atlantis")


# --- conflicts with working hours ----------------------------------------------------------------


def office_hours(zone: str, first: date, days: int, opens: time, closes: time) -> Iterator[tuple[datetime, datetime]]:
    """Mon-Fri opening hours as UTC intervals: what a business calendar's open_intervals yields."""
    tz = ZoneInfo(zone)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() < 5:
            yield (
                datetime.combine(day, opens, tz).astimezone(UTC),
                datetime.combine(day, closes, tz).astimezone(UTC),
            )


def test_an_occurrence_overlapping_working_hours_is_a_conflict_with_the_overlap_in_local_time() -> None:
    # Deployment in Kolkata: Tue 00:00-06:00 IST is Mon 18:30Z to Tue 00:30Z; users work
    # 09:00-17:00 in New York (14:00-22:00Z in January).
    found = occurrences(
        shipped_rules("pureengage_cloud"), z("2027-01-11 00:00"), z("2027-01-18 00:00"), deployment_tz="Asia/Kolkata"
    )
    clashes = conflicts(found, office_hours("America/New_York", date(2027, 1, 11), 7, time(9), time(17)))
    assert [(c.occurrence.start, c.overlaps) for c in clashes] == [
        (z("2027-01-11 18:30"), ((z("2027-01-11 18:30"), z("2027-01-11 22:00")),)),
        (z("2027-01-13 18:30"), ((z("2027-01-13 18:30"), z("2027-01-13 22:00")),)),
    ]
    assert clashes[0].overlap_total == timedelta(hours=3, minutes=30)
    assert [i.label() for i in clashes[0].in_zone("America/New_York")] == [
        "Mon 2027-01-11 13:30 EST to 17:00 EST (America/New_York)"
    ]


def test_an_occurrence_outside_working_hours_is_no_conflict() -> None:
    found = occurrences(shipped_rules("premier_edition"), z("2027-01-11 00:00"), z("2027-01-18 00:00"))
    assert conflicts(found, office_hours("America/New_York", date(2027, 1, 11), 7, time(9), time(17))) == []


def test_a_window_touching_working_hours_at_one_instant_is_no_conflict() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    assert conflicts([found], [(z("2027-01-12 08:00"), z("2027-01-12 16:00"))]) == []
    assert conflicts([found], [(z("2027-01-12 00:00"), z("2027-01-12 05:00"))]) == []


def test_working_hours_from_several_sources_are_merged_before_overlaps_are_taken() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    working = [
        (z("2027-01-12 07:00"), z("2027-01-12 09:00")),  # a case's recorded working hours
        (z("2027-01-12 04:00"), z("2027-01-12 05:30")),
        (z("2027-01-12 05:30"), z("2027-01-12 06:00")),  # touches the one before
        (z("2027-01-12 06:30"), z("2027-01-12 06:30")),  # empty
        (z("2027-01-12 07:30"), z("2027-01-12 07:45")),  # inside another
    ]
    (clash,) = conflicts([found], reversed(working))
    assert clash.overlaps == (
        (z("2027-01-12 05:00"), z("2027-01-12 06:00")),
        (z("2027-01-12 07:00"), z("2027-01-12 08:00")),
    )
    assert normalise_intervals(working) == [
        (z("2027-01-12 04:00"), z("2027-01-12 06:00")),
        (z("2027-01-12 07:00"), z("2027-01-12 09:00")),
    ]


def test_a_working_interval_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        conflicts([], [(z("2027-01-12 09:00"), z("2027-01-12 08:00"))])
    assert "working_intervals[0]" in caught.value.errors


def test_moved_occurrences_and_notices_are_checked_too() -> None:
    move = Move("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-12 15:00"))
    notice = Notice("outbound_engagement", z("2027-01-13 16:00"), z("2027-01-13 17:00"), "patch")
    effective = schedule(
        shipped_rules("outbound_engagement"),
        z("2027-01-11 00:00"),
        z("2027-01-18 00:00"),
        moves=[move],
        notices=[notice],
    )
    clashes = conflicts(effective, office_hours("America/New_York", date(2027, 1, 11), 7, time(9), time(17)))
    assert [(c.occurrence.source, c.overlap_total) for c in clashes] == [
        ("moved", timedelta(hours=3)),
        ("notice", timedelta(hours=1)),
    ]


def test_a_reschedule_draft_proposes_the_earliest_start_free_of_working_hours() -> None:
    found = occurrences(
        shipped_rules("pureengage_cloud"), z("2027-01-11 00:00"), z("2027-01-12 00:00"), deployment_tz="Asia/Kolkata"
    )
    working = list(office_hours("America/New_York", date(2027, 1, 11), 14, time(9), time(17)))
    proposal = suggest_start(found[0], working, not_before=z("2027-01-11 12:00"), not_after=z("2027-01-18 00:00"))
    # 6 hours do not fit before Monday's 14:00Z opening; Monday closes at 22:00Z.
    assert proposal == z("2027-01-11 22:00")
    assert suggest_start(found[0], working, not_before=z("2027-01-11 02:00"), not_after=z("2027-01-18 00:00")) == z(
        "2027-01-11 02:00"
    )
    assert suggest_start(found[0], working, not_before=z("2027-01-11 12:00"), not_after=z("2027-01-11 20:00")) is None


def test_a_reschedule_draft_skips_gaps_too_short_for_the_window() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    working = [
        (z("2027-01-12 00:00"), z("2027-01-12 10:00")),
        (z("2027-01-12 12:00"), z("2027-01-12 20:00")),  # the 2-hour gap before it is too short for 3 hours
    ]
    assert suggest_start(found, working, not_before=z("2027-01-12 00:00"), not_after=z("2027-01-13 00:00")) == z(
        "2027-01-12 20:00"
    )


# --- iCalendar -----------------------------------------------------------------------------------

NOW = z("2027-01-10 12:00")
LABELS = {"outbound_engagement": "Outbound Engagement (including Mobile Marketing)"}


def effective_week() -> list[Occurrence]:
    move = Move("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-12 20:00"))
    notice = Notice(
        "outbound_engagement",
        z("2027-01-13 01:00"),
        z("2027-01-13 02:00"),
        "Emergency patch; carriers, SIP trunks\nsecond line",
        emergency=True,
        ref="42",
    )
    return schedule(
        shipped_rules("outbound_engagement"),
        z("2027-01-11 00:00"),
        z("2027-01-18 00:00"),
        moves=[move],
        notices=[notice],
    )


def feed(events: list[CalendarEvent]) -> bytes:
    """What the feed adapter does with the domain's events: one VEVENT per event, via the library."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//caredesk//maintenance//EN")
    cal.add("VERSION", "2.0")
    for event in events:
        vevent = icalendar.Event()
        for name, value in event.properties():
            vevent.add(name, value)
        cal.add_component(vevent)
    return bytes(cal.to_ical())


def test_calendar_events_carry_stable_uids_and_a_moved_occurrence_keeps_its_planned_uid() -> None:
    events = calendar_events(effective_week(), scope="account-7", uid_domain="caredesk.example", now=NOW, labels=LABELS)
    assert [(e.uid, e.sequence, e.summary) for e in events] == [
        (
            "maintenance-outbound_engagement-account-7-20270112T050000Z@caredesk.example",
            1,
            "Planned maintenance (rescheduled): Outbound Engagement (including Mobile Marketing)",
        ),
        (
            "notice-42@caredesk.example",
            0,
            "Emergency maintenance: Outbound Engagement (including Mobile Marketing)",
        ),
        (
            "maintenance-outbound_engagement-account-7-20270114T050000Z@caredesk.example",
            0,
            "Planned maintenance: Outbound Engagement (including Mobile Marketing)",
        ),
        (
            "maintenance-outbound_engagement-account-7-20270117T050000Z@caredesk.example",
            0,
            "Planned maintenance: Outbound Engagement (including Mobile Marketing)",
        ),
    ]
    assert "2027-01-12T05:00:00Z" in events[0].description
    again = calendar_events(effective_week(), scope="account-7", uid_domain="caredesk.example", now=NOW)
    assert [e.uid for e in again] == [e.uid for e in events]
    other_account = calendar_events(effective_week(), scope="account-8", uid_domain="caredesk.example", now=NOW)
    assert {e.uid for e in other_account}.isdisjoint(e.uid for e in events if e.uid.startswith("maintenance-"))


def test_a_notice_without_a_ref_gets_a_uid_from_its_service_and_times() -> None:
    notice = Notice("premier_edition", z("2027-01-13 01:00"), z("2027-01-13 02:00"), "planned upgrade")
    (event,) = calendar_events(
        merge_schedule([], [], [notice]),
        scope="reseller-1",
        uid_domain="caredesk.example",
        now=NOW,
    )
    assert event.uid == "notice-premier_edition-20270113T010000Z-20270113T020000Z@caredesk.example"
    assert event.summary == "Unplanned maintenance: premier_edition"
    assert event.categories == ("Maintenance", "Unplanned")


def test_the_feed_parses_back_with_icalendar_and_with_vobject() -> None:
    events = calendar_events(effective_week(), scope="account-7", uid_domain="caredesk.example", now=NOW, labels=LABELS)
    text = feed(events)
    assert text.startswith(b"BEGIN:VCALENDAR\r\n")

    parsed = icalendar.Calendar.from_ical(text)
    vevents = list(parsed.walk("VEVENT"))
    assert [str(v["UID"]) for v in vevents] == [e.uid for e in events]
    assert [v.decoded("DTSTART") for v in vevents] == [e.start for e in events]
    assert [v.decoded("DTEND") for v in vevents] == [e.end for e in events]
    assert str(vevents[1]["DESCRIPTION"]) == "Emergency patch; carriers, SIP trunks\nsecond line"

    other = vobject.readOne(text.decode("utf-8"))
    by_uid = {v.uid.value: v for v in other.vevent_list}
    assert set(by_uid) == {e.uid for e in events}
    moved = by_uid[events[0].uid]
    assert moved.dtstart.value == z("2027-01-12 20:00") and moved.dtend.value == z("2027-01-12 23:00")
    assert moved.sequence.value == "1"
    assert by_uid["notice-42@caredesk.example"].description.value.endswith("second line")


def test_dtstamp_is_the_now_passed_in() -> None:
    (event, *_) = calendar_events(effective_week(), scope="a", uid_domain="d", now=NOW)
    assert event.stamp == NOW
    with pytest.raises(ValidationFailed):
        calendar_events(effective_week(), scope="a", uid_domain="d", now=datetime(2027, 1, 10, 12))


def test_a_reschedule_draft_ignores_working_hours_before_the_earliest_start() -> None:
    (found,) = occurrences(shipped_rules("outbound_engagement"), z("2027-01-12 00:00"), z("2027-01-13 00:00"))
    working = [(z("2027-01-11 09:00"), z("2027-01-11 17:00")), (z("2027-01-12 09:00"), z("2027-01-12 17:00"))]
    assert suggest_start(found, working, not_before=z("2027-01-12 07:00"), not_after=z("2027-01-13 00:00")) == z(
        "2027-01-12 17:00"
    )
