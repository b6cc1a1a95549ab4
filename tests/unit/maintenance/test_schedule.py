"""DOMAIN.md "Maintenance": in a window at an instant, per-account reschedules, maintenance notices."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance import (
    Move,
    Notice,
    Occurrence,
    WindowRule,
    in_window,
    merge_schedule,
    occurrences,
    schedule,
)
from tests.unit.maintenance.support import shipped_rules, spans, z

OUTBOUND = shipped_rules("outbound_engagement")  # Tue 2027-01-12 05:00-08:00Z is one occurrence
PUREENGAGE = shipped_rules("pureengage_cloud")
TICK = timedelta(microseconds=1)


# --- in a window at t ---------------------------------------------------------------------------


def test_a_window_holds_its_start_instant() -> None:
    found = in_window(OUTBOUND, z("2027-01-12 05:00"))
    assert found is not None
    assert (found.start, found.end, found.source) == (z("2027-01-12 05:00"), z("2027-01-12 08:00"), "planned")
    assert found.contains(z("2027-01-12 05:00")) and not found.contains(z("2027-01-12 08:00"))


def test_a_window_holds_its_last_microsecond_but_not_its_end() -> None:
    assert in_window(OUTBOUND, z("2027-01-12 08:00") - TICK) is not None
    assert in_window(OUTBOUND, z("2027-01-12 08:00")) is None


def test_the_instant_before_a_window_is_outside_it() -> None:
    assert in_window(OUTBOUND, z("2027-01-12 05:00") - TICK) is None


def test_an_instant_after_midnight_is_in_the_window_that_started_the_day_before() -> None:
    found = in_window(shipped_rules("premier_edition"), z("2027-01-13 09:59"))  # Wed 04:59 EST
    assert found is not None and found.start == z("2027-01-13 03:00")


def test_in_window_uses_the_deployment_zone_for_pureengage_cloud() -> None:
    at = z("2027-01-12 04:00")  # Tue 04:00 in London, Mon 23:00 in New York
    assert in_window(PUREENGAGE, at, deployment_tz="Europe/London") is not None
    assert in_window(PUREENGAGE, at, deployment_tz="America/New_York") is None
    with pytest.raises(ValidationFailed, match="deployment"):
        in_window(PUREENGAGE, at)


def test_in_a_repeated_hour_the_window_is_one_unbroken_interval() -> None:
    # A Saturday 22:00-01:30 window in New York on 2026-10-31/11-01 runs to 01:30 EST (06:30Z),
    # so 01:45 EDT (05:45Z) is inside it although the wall clock then reads past 01:30.
    rule = WindowRule("x", (5,), time(22), time(1, 30), "deployment")
    assert in_window([rule], z("2026-11-01 05:45"), deployment_tz="America/New_York") is not None
    assert in_window([rule], z("2026-11-01 06:30"), deployment_tz="America/New_York") is None


# --- reschedules (moves) --------------------------------------------------------------------------

MOVE = Move("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-12 20:00"))


def test_a_moved_occurrence_keeps_its_duration_at_the_new_start() -> None:
    assert in_window(OUTBOUND, z("2027-01-12 06:00"), moves=[MOVE]) is None
    found = in_window(OUTBOUND, z("2027-01-12 20:00"), moves=[MOVE])
    assert found is not None
    assert (found.source, found.moved_from, found.end) == ("moved", z("2027-01-12 05:00"), z("2027-01-12 23:00"))
    assert found.planned_start == z("2027-01-12 05:00")
    assert in_window(OUTBOUND, z("2027-01-12 23:00"), moves=[MOVE]) is None


def test_a_move_applies_only_to_the_account_that_asked_for_it() -> None:
    # Another account passes its own (empty) moves and keeps the planned occurrence.
    assert in_window(OUTBOUND, z("2027-01-12 06:00"), moves=[]) is not None


def test_an_occurrence_moved_into_an_interval_from_outside_it_is_listed() -> None:
    far = Move("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-20 15:00"))
    found = schedule(OUTBOUND, z("2027-01-18 00:00"), z("2027-01-25 00:00"), moves=[far])
    assert [(o.source, f"{o.start:%m-%d %H:%M}", f"{o.end:%m-%d %H:%M}") for o in found] == [
        ("planned", "01-19 05:00", "01-19 08:00"),
        ("moved", "01-20 15:00", "01-20 18:00"),
        ("planned", "01-21 05:00", "01-21 08:00"),
        ("planned", "01-24 05:00", "01-24 10:00"),
    ]
    week_of_the_original = schedule(OUTBOUND, z("2027-01-11 00:00"), z("2027-01-18 00:00"), moves=[far])
    assert spans(week_of_the_original) == [
        ("2027-01-14 05:00", "2027-01-14 08:00"),
        ("2027-01-17 05:00", "2027-01-17 10:00"),
    ]


def test_a_move_must_name_a_planned_occurrence() -> None:
    wrong = Move("outbound_engagement", z("2027-01-12 06:00"), z("2027-01-12 20:00"))
    with pytest.raises(ValidationFailed, match="no planned occurrence") as caught:
        in_window(OUTBOUND, z("2027-01-12 20:00"), moves=[wrong])
    assert "moves[0].original_start" in caught.value.errors


def test_an_occurrence_cannot_be_moved_twice() -> None:
    again = Move("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-13 20:00"))
    with pytest.raises(ValidationFailed, match="moved twice") as caught:
        schedule(OUTBOUND, z("2027-01-11 00:00"), z("2027-01-18 00:00"), moves=[MOVE, again])
    assert "moves[1]" in caught.value.errors


def test_a_pureengage_move_is_found_in_the_deployment_zone() -> None:
    move = Move("pureengage_cloud", z("2027-01-12 05:00"), z("2027-01-16 05:00"))  # Tue 00:00 EST -> Sat
    found = in_window(PUREENGAGE, z("2027-01-16 10:59"), deployment_tz="America/New_York", moves=[move])
    assert found is not None and found.source == "moved" and found.duration == timedelta(hours=6)


def test_merge_schedule_replaces_moved_occurrences_and_adds_notices_in_time_order() -> None:
    planned = occurrences(OUTBOUND, z("2027-01-11 00:00"), z("2027-01-18 00:00"))
    notice = Notice("outbound_engagement", z("2027-01-13 01:00"), z("2027-01-13 02:00"), "database patch")
    outside = Move("outbound_engagement", z("2027-01-19 05:00"), z("2027-01-12 12:00"))
    merged = merge_schedule(planned, [MOVE, outside], [notice])
    assert [(o.source, f"{o.start:%m-%d %H:%M}") for o in merged] == [
        ("moved", "01-12 20:00"),
        ("notice", "01-13 01:00"),
        ("planned", "01-14 05:00"),
        ("planned", "01-17 05:00"),
    ]


# --- unplanned and emergency notices --------------------------------------------------------------

NOTICE = Notice(
    "premier_edition", z("2027-01-15 14:00"), z("2027-01-15 16:30"), "storage failover", emergency=True, ref="n-7"
)


def test_a_notice_is_a_window_for_everyone_using_the_service() -> None:
    found = in_window(shipped_rules("premier_edition"), z("2027-01-15 15:00"), notices=[NOTICE])
    assert found is not None
    assert found.source == "notice" and found.notice == NOTICE and found.rule is None
    assert in_window(shipped_rules("premier_edition"), z("2027-01-15 16:30"), notices=[NOTICE]) is None


def test_a_notice_of_another_service_does_not_count_when_the_service_is_named() -> None:
    rules = (*OUTBOUND, *shipped_rules("premier_edition"))
    at = z("2027-01-15 15:00")
    assert in_window(rules, at, notices=[NOTICE], service="outbound_engagement") is None
    assert in_window(rules, at, notices=[NOTICE], service="premier_edition") is not None


def test_a_notice_and_a_planned_window_can_overlap_the_earlier_start_is_reported() -> None:
    early = Notice("outbound_engagement", z("2027-01-12 04:00"), z("2027-01-12 06:00"), "hotfix")
    found = in_window(OUTBOUND, z("2027-01-12 05:30"), notices=[early])
    assert found is not None and found.source == "notice"
    listed = schedule(OUTBOUND, z("2027-01-12 00:00"), z("2027-01-13 00:00"), notices=[early])
    assert [o.source for o in listed] == ["notice", "planned"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (z("2027-01-15 16:00"), z("2027-01-15 16:00"), "end"),
        (z("2027-01-15 16:00"), z("2027-01-15 15:00"), "end"),
    ],
)
def test_a_notice_must_end_after_it_starts(start: object, end: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Notice("premier_edition", start, end, "x")  # type: ignore[arg-type]
    assert field in caught.value.errors


def test_notices_and_moves_need_aware_instants() -> None:
    with pytest.raises(ValidationFailed):
        Notice("premier_edition", datetime(2027, 1, 15, 14), z("2027-01-15 16:00"), "x")
    with pytest.raises(ValidationFailed):
        Move("premier_edition", z("2027-01-15 14:00"), datetime(2027, 1, 15, 14))


def test_an_empty_interval_has_no_effective_occurrences_even_with_moves_and_notices() -> None:
    notice = Notice("outbound_engagement", z("2027-01-12 04:00"), z("2027-01-12 06:00"), "hotfix")
    at = z("2027-01-12 05:30")
    assert schedule(OUTBOUND, at, at, moves=[MOVE], notices=[notice]) == []


def test_an_occurrence_is_never_empty() -> None:
    with pytest.raises(ValidationFailed, match="end after it starts"):
        Occurrence("outbound_engagement", z("2027-01-12 05:00"), z("2027-01-12 05:00"))
