"""DOMAIN.md "Maintenance" (Table 2) and "Clocks" (wall-clock rule): planned occurrences.

Expected instants are written out by hand from the table and the zones' known offsets, never
computed with the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance import WindowRule, occurrences
from tests.unit.maintenance.support import shipped_rules, spans, z

# A winter week, Monday 2027-01-11 00:00Z to Monday 2027-01-18 00:00Z.
WEEK = (z("2027-01-11 00:00"), z("2027-01-18 00:00"))


def test_outbound_engagement_tue_thu_00_03_and_sun_00_05_est() -> None:
    assert spans(occurrences(shipped_rules("outbound_engagement"), *WEEK)) == [
        ("2027-01-12 05:00", "2027-01-12 08:00"),
        ("2027-01-14 05:00", "2027-01-14 08:00"),
        ("2027-01-17 05:00", "2027-01-17 10:00"),
    ]


@pytest.mark.parametrize("service", ["premier_edition", "social_analytics"])
def test_tue_wed_thu_22_05_est_crosses_midnight_into_the_next_day(service: str) -> None:
    found = occurrences(shipped_rules(service), *WEEK)
    assert spans(found) == [
        ("2027-01-13 03:00", "2027-01-13 10:00"),
        ("2027-01-14 03:00", "2027-01-14 10:00"),
        ("2027-01-15 03:00", "2027-01-15 10:00"),
    ]
    assert {o.service for o in found} == {service}
    assert all(o.duration == timedelta(hours=7) and o.source == "planned" for o in found)


def test_pureengage_cloud_tue_thu_00_06_in_the_deployment_local_time() -> None:
    assert spans(occurrences(shipped_rules("pureengage_cloud"), *WEEK, deployment_tz="America/New_York")) == [
        ("2027-01-12 05:00", "2027-01-12 11:00"),
        ("2027-01-14 05:00", "2027-01-14 11:00"),
    ]
    assert spans(occurrences(shipped_rules("pureengage_cloud"), *WEEK, deployment_tz=ZoneInfo("Asia/Tokyo"))) == [
        ("2027-01-11 15:00", "2027-01-11 21:00"),
        ("2027-01-13 15:00", "2027-01-13 21:00"),
    ]


def test_est_is_the_fixed_zone_utc_minus_5_all_year_no_dst_shift_in_july() -> None:
    july = (z("2027-07-12 00:00"), z("2027-07-19 00:00"))
    assert spans(occurrences(shipped_rules("outbound_engagement"), *july)) == [
        ("2027-07-13 05:00", "2027-07-13 08:00"),
        ("2027-07-15 05:00", "2027-07-15 08:00"),
        ("2027-07-18 05:00", "2027-07-18 10:00"),
    ]
    assert spans(occurrences(shipped_rules("premier_edition"), *july))[0] == ("2027-07-14 03:00", "2027-07-14 10:00")


def test_occurrences_are_whole_and_unclipped_one_starting_before_from_is_included() -> None:
    # Wednesday 00:00-01:00 EST sits inside Tuesday's 22:00-05:00 window.
    found = occurrences(shipped_rules("premier_edition"), z("2027-01-13 05:00"), z("2027-01-13 06:00"))
    assert spans(found) == [("2027-01-13 03:00", "2027-01-13 10:00")]


def test_overlap_is_half_open_an_occurrence_ending_at_from_or_starting_at_to_is_not_included() -> None:
    rules = shipped_rules("outbound_engagement")
    assert occurrences(rules, z("2027-01-12 08:00"), z("2027-01-14 05:00")) == []
    assert spans(occurrences(rules, z("2027-01-12 07:59"), z("2027-01-14 05:01"))) == [
        ("2027-01-12 05:00", "2027-01-12 08:00"),
        ("2027-01-14 05:00", "2027-01-14 08:00"),
    ]


def test_an_empty_interval_overlaps_nothing() -> None:
    assert occurrences(shipped_rules("premier_edition"), z("2027-01-13 05:00"), z("2027-01-13 05:00")) == []


def test_occurrences_of_several_services_come_in_time_order() -> None:
    rules = (*shipped_rules("premier_edition"), *shipped_rules("outbound_engagement"))
    found = occurrences(rules, z("2027-01-12 00:00"), z("2027-01-13 12:00"))
    assert [(o.service, f"{o.start:%d %H:%M}") for o in found] == [
        ("outbound_engagement", "12 05:00"),
        ("premier_edition", "13 03:00"),
    ]
    starts = [o.start for o in occurrences(rules, *WEEK)]
    assert starts == sorted(starts)


def test_inputs_in_any_offset_mean_the_same_instants() -> None:
    plus_one = timezone(timedelta(hours=1))
    a = occurrences(shipped_rules("premier_edition"), *WEEK)
    b = occurrences(shipped_rules("premier_edition"), WEEK[0].astimezone(plus_one), WEEK[1].astimezone(plus_one))
    assert a == b
    assert all(o.start.tzinfo is UTC and o.end.tzinfo is UTC for o in a)


# --- PureEngage Cloud in its deployment zone across DST weeks -------------------------------

DST_WEEKS = [
    # New York: clocks go forward Sunday 2027-03-14 (EST -5 -> EDT -4).
    (
        "America/New_York",
        ("2027-03-08 00:00", "2027-03-22 00:00"),
        [
            ("2027-03-09 05:00", "2027-03-09 11:00"),
            ("2027-03-11 05:00", "2027-03-11 11:00"),
            ("2027-03-16 04:00", "2027-03-16 10:00"),
            ("2027-03-18 04:00", "2027-03-18 10:00"),
        ],
    ),
    # New York: clocks go back Sunday 2026-11-01 (EDT -4 -> EST -5).
    (
        "America/New_York",
        ("2026-10-26 00:00", "2026-11-09 00:00"),
        [
            ("2026-10-27 04:00", "2026-10-27 10:00"),
            ("2026-10-29 04:00", "2026-10-29 10:00"),
            ("2026-11-03 05:00", "2026-11-03 11:00"),
            ("2026-11-05 05:00", "2026-11-05 11:00"),
        ],
    ),
    # London: forward Sunday 2027-03-28 (GMT +0 -> BST +1).
    (
        "Europe/London",
        ("2027-03-22 00:00", "2027-04-02 00:00"),
        [
            ("2027-03-23 00:00", "2027-03-23 06:00"),
            ("2027-03-25 00:00", "2027-03-25 06:00"),
            ("2027-03-29 23:00", "2027-03-30 05:00"),
            ("2027-03-31 23:00", "2027-04-01 05:00"),
        ],
    ),
    # London: back Sunday 2026-10-25 (BST +1 -> GMT +0).
    (
        "Europe/London",
        ("2026-10-19 00:00", "2026-10-30 00:00"),
        [
            ("2026-10-19 23:00", "2026-10-20 05:00"),
            ("2026-10-21 23:00", "2026-10-22 05:00"),
            ("2026-10-27 00:00", "2026-10-27 06:00"),
            ("2026-10-29 00:00", "2026-10-29 06:00"),
        ],
    ),
    # Sydney: forward Sunday 2026-10-04 (AEST +10 -> AEDT +11).
    (
        "Australia/Sydney",
        ("2026-09-28 00:00", "2026-10-09 00:00"),
        [
            ("2026-09-28 14:00", "2026-09-28 20:00"),
            ("2026-09-30 14:00", "2026-09-30 20:00"),
            ("2026-10-05 13:00", "2026-10-05 19:00"),
            ("2026-10-07 13:00", "2026-10-07 19:00"),
        ],
    ),
    # Sydney: back Sunday 2027-04-04 (AEDT +11 -> AEST +10).
    (
        "Australia/Sydney",
        ("2027-03-29 00:00", "2027-04-09 00:00"),
        [
            ("2027-03-29 13:00", "2027-03-29 19:00"),
            ("2027-03-31 13:00", "2027-03-31 19:00"),
            ("2027-04-05 14:00", "2027-04-05 20:00"),
            ("2027-04-07 14:00", "2027-04-07 20:00"),
        ],
    ),
    # Kolkata: +05:30 all year; the New York DST week changes nothing there.
    (
        "Asia/Kolkata",
        ("2027-03-08 00:00", "2027-03-19 00:00"),
        [
            ("2027-03-08 18:30", "2027-03-09 00:30"),
            ("2027-03-10 18:30", "2027-03-11 00:30"),
            ("2027-03-15 18:30", "2027-03-16 00:30"),
            ("2027-03-17 18:30", "2027-03-18 00:30"),
        ],
    ),
]


@pytest.mark.parametrize(("zone", "interval", "expected"), DST_WEEKS)
def test_pureengage_cloud_follows_the_deployment_zone_across_dst_weeks(
    zone: str, interval: tuple[str, str], expected: list[tuple[str, str]]
) -> None:
    found = occurrences(shipped_rules("pureengage_cloud"), z(interval[0]), z(interval[1]), deployment_tz=zone)
    assert spans(found) == expected
    for occurrence in found:
        local_start = occurrence.start.astimezone(ZoneInfo(zone))
        assert (local_start.strftime("%a %H:%M"), occurrence.duration) in {
            ("Tue 00:00", timedelta(hours=6)),
            ("Thu 00:00", timedelta(hours=6)),
        }


# --- a window on the DST night itself (a rule on the transition's weekday) -----------------


def sunday(start: str, end: str) -> WindowRule:
    return WindowRule("pureengage_cloud", (6,), time.fromisoformat(start), time.fromisoformat(end), "deployment")


def saturday(start: str, end: str) -> WindowRule:
    return WindowRule("pureengage_cloud", (5,), time.fromisoformat(start), time.fromisoformat(end), "deployment")


@pytest.mark.parametrize(
    ("zone", "day", "expected", "hours"),
    [
        ("America/New_York", "2027-03-14", ("2027-03-14 05:00", "2027-03-14 10:00"), 5),
        ("America/New_York", "2026-11-01", ("2026-11-01 04:00", "2026-11-01 11:00"), 7),
        ("Europe/London", "2027-03-28", ("2027-03-28 00:00", "2027-03-28 05:00"), 5),
        ("Europe/London", "2026-10-25", ("2026-10-24 23:00", "2026-10-25 06:00"), 7),
        ("Australia/Sydney", "2026-10-04", ("2026-10-03 14:00", "2026-10-03 19:00"), 5),
        ("Australia/Sydney", "2027-04-04", ("2027-04-03 13:00", "2027-04-03 20:00"), 7),
    ],
)
def test_a_dst_change_shortens_or_lengthens_a_window_in_real_time(
    zone: str, day: str, expected: tuple[str, str], hours: int
) -> None:
    (found,) = occurrences(
        [sunday("00:00", "06:00")],
        z(f"{day} 00:00") - timedelta(hours=14),
        z(f"{day} 00:00") + timedelta(hours=14),
        deployment_tz=zone,
    )
    assert spans([found]) == [expected]
    assert found.duration == timedelta(hours=hours)


def test_a_window_starting_in_a_skipped_hour_starts_when_the_clock_jumps() -> None:
    # New York 2027-03-14: 02:00 EST jumps to 03:00 EDT at 07:00Z; 02:30 never shows.
    (found,) = occurrences(
        [sunday("02:30", "05:00")], z("2027-03-13 00:00"), z("2027-03-16 00:00"), deployment_tz="America/New_York"
    )
    assert spans([found]) == [("2027-03-14 07:00", "2027-03-14 09:00")]


def test_a_window_ending_in_a_skipped_hour_ends_when_the_clock_jumps() -> None:
    (found,) = occurrences(
        [saturday("22:00", "02:30")], z("2027-03-13 00:00"), z("2027-03-16 00:00"), deployment_tz="America/New_York"
    )
    assert spans([found]) == [("2027-03-14 03:00", "2027-03-14 07:00")]


def test_a_window_wholly_inside_a_skipped_hour_does_not_occur() -> None:
    assert (
        occurrences(
            [sunday("02:10", "02:40")], z("2027-03-13 00:00"), z("2027-03-16 00:00"), deployment_tz="America/New_York"
        )
        == []
    )


def test_a_window_ending_in_a_repeated_hour_runs_to_the_last_time_the_clock_shows_its_end() -> None:
    # New York 2026-11-01: 01:00-02:00 happens twice (EDT, then EST). 01:30 EST is 06:30Z.
    (found,) = occurrences(
        [saturday("22:00", "01:30")], z("2026-10-31 00:00"), z("2026-11-03 00:00"), deployment_tz="America/New_York"
    )
    assert spans([found]) == [("2026-11-01 02:00", "2026-11-01 06:30")]


def test_a_window_starting_in_a_repeated_hour_starts_the_first_time_the_clock_shows_it() -> None:
    (found,) = occurrences(
        [sunday("01:30", "03:00")], z("2026-10-31 00:00"), z("2026-11-03 00:00"), deployment_tz="America/New_York"
    )
    assert spans([found]) == [("2026-11-01 05:30", "2026-11-01 08:00")]


def test_a_zone_whose_clocks_skip_midnight_starts_a_midnight_window_at_the_jump() -> None:
    # Havana 2027-03-14: clocks go from 00:00 CST (-5) to 01:00 CDT (-4) at 05:00Z.
    (found,) = occurrences(
        [sunday("00:00", "06:00")], z("2027-03-13 00:00"), z("2027-03-16 00:00"), deployment_tz="America/Havana"
    )
    assert spans([found]) == [("2027-03-14 05:00", "2027-03-14 10:00")]


def test_a_clock_set_back_to_exactly_a_windows_end_does_not_reopen_it() -> None:
    # Havana 2026-11-01: 01:00 CDT goes back to 00:00 CST at 05:00Z, so Sunday 00:00 shows twice;
    # the Saturday window ends when the clock first reaches Sunday 00:00 (04:00Z) and the Sunday
    # window starts there: neither swallows the other's hour.
    both = [saturday("00:00", "00:00"), sunday("00:00", "06:00")]  # 00:00-00:00 is a whole day
    found = occurrences(both, z("2026-10-31 00:00"), z("2026-11-02 00:00"), deployment_tz="America/Havana")
    assert spans(found) == [("2026-10-31 04:00", "2026-11-01 04:00"), ("2026-11-01 04:00", "2026-11-01 11:00")]
    assert [o.duration for o in found] == [timedelta(hours=24), timedelta(hours=7)]


# --- New Year and leap days -------------------------------------------------------------------

# Local EST days Monday 2026-12-28 to Tuesday 2027-01-05, inclusive.
NEW_YEAR_EST = (datetime.fromisoformat("2026-12-28T00:00-05:00"), datetime.fromisoformat("2027-01-06T00:00-05:00"))


def test_outbound_engagement_around_new_year() -> None:
    assert spans(occurrences(shipped_rules("outbound_engagement"), *NEW_YEAR_EST)) == [
        ("2026-12-29 05:00", "2026-12-29 08:00"),
        ("2026-12-31 05:00", "2026-12-31 08:00"),
        ("2027-01-03 05:00", "2027-01-03 10:00"),
        ("2027-01-05 05:00", "2027-01-05 08:00"),
    ]


@pytest.mark.parametrize("service", ["premier_edition", "social_analytics"])
def test_a_window_crossing_local_new_years_midnight_belongs_to_new_years_eve(service: str) -> None:
    found = occurrences(shipped_rules(service), *NEW_YEAR_EST)
    assert spans(found) == [
        ("2026-12-30 03:00", "2026-12-30 10:00"),
        ("2026-12-31 03:00", "2026-12-31 10:00"),
        ("2027-01-01 03:00", "2027-01-01 10:00"),  # Thu 2026-12-31 22:00 EST to Fri 2027-01-01 05:00 EST
        ("2027-01-06 03:00", "2027-01-06 10:00"),  # Tue 2027-01-05 22:00 EST
    ]
    # Asked from 2027-01-01 05:00 EST, New Year's Eve's window is still there, whole.
    late = occurrences(shipped_rules(service), z("2027-01-01 09:00"), z("2027-01-02 00:00"))
    assert spans(late) == [("2027-01-01 03:00", "2027-01-01 10:00")]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (
            "America/New_York",
            [
                ("2026-12-29 05:00", "2026-12-29 11:00"),
                ("2026-12-31 05:00", "2026-12-31 11:00"),
                ("2027-01-05 05:00", "2027-01-05 11:00"),
            ],
        ),
        (
            "Australia/Sydney",
            [
                ("2026-12-28 13:00", "2026-12-28 19:00"),
                ("2026-12-30 13:00", "2026-12-30 19:00"),
                ("2027-01-04 13:00", "2027-01-04 19:00"),
            ],
        ),
        (
            "Asia/Kolkata",
            [
                ("2026-12-28 18:30", "2026-12-29 00:30"),
                ("2026-12-30 18:30", "2026-12-31 00:30"),
                ("2027-01-04 18:30", "2027-01-05 00:30"),
            ],
        ),
        (
            "Pacific/Kiritimati",
            [
                ("2026-12-28 10:00", "2026-12-28 16:00"),
                ("2026-12-30 10:00", "2026-12-30 16:00"),
                ("2027-01-04 10:00", "2027-01-04 16:00"),
            ],
        ),
    ],
)
def test_pureengage_cloud_around_new_year_in_deployment_zones(zone: str, expected: list[tuple[str, str]]) -> None:
    found = occurrences(
        shipped_rules("pureengage_cloud"), z("2026-12-28 00:00"), z("2027-01-06 00:00"), deployment_tz=zone
    )
    assert spans(found) == expected


def test_a_leap_day_is_an_ordinary_tuesday() -> None:
    # 2028-02-29 is a Tuesday.
    leap = (z("2028-02-28 00:00"), z("2028-03-02 00:00"))
    assert spans(occurrences(shipped_rules("pureengage_cloud"), *leap, deployment_tz="America/New_York")) == [
        ("2028-02-29 05:00", "2028-02-29 11:00"),
    ]
    assert spans(occurrences(shipped_rules("premier_edition"), *leap)) == [
        ("2028-03-01 03:00", "2028-03-01 10:00"),  # Tue 2028-02-29 22:00 EST to Wed 2028-03-01 05:00 EST
    ]


def test_a_24_hour_window_crossing_midnight_is_found_from_the_next_day() -> None:
    whole_day = WindowRule("x", (1,), time(23, 0), time(23, 0), "EST")  # Tue 23:00 to Wed 23:00 EST
    found = occurrences([whole_day], z("2027-01-14 03:59"), z("2027-01-14 04:00"))
    assert spans(found) == [("2027-01-13 04:00", "2027-01-14 04:00")]


# --- refusals -----------------------------------------------------------------------------------


def test_the_deployment_zone_is_required_for_pureengage_cloud() -> None:
    with pytest.raises(ValidationFailed, match="deployment's local time") as caught:
        occurrences(shipped_rules("pureengage_cloud"), *WEEK)
    assert "deployment_tz" in caught.value.errors
    # ... even when asked for an empty interval: the answer never depends on the interval's length.
    with pytest.raises(ValidationFailed):
        occurrences(shipped_rules("pureengage_cloud"), WEEK[0], WEEK[0])


def test_the_deployment_zone_is_not_needed_for_est_services() -> None:
    assert len(occurrences(shipped_rules("premier_edition"), *WEEK)) == 3


def test_an_unknown_deployment_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="unknown time zone 'America/Gotham'") as caught:
        occurrences(shipped_rules("premier_edition"), *WEEK, deployment_tz="America/Gotham")
    assert caught.value.errors == {"deployment_tz": "unknown time zone 'America/Gotham'"}


def test_an_unknown_rule_zone_is_refused() -> None:
    rule = WindowRule("x", (1,), time(0), time(1), "Atlantis/Capital")
    with pytest.raises(ValidationFailed, match="unknown time zone"):
        occurrences([rule], *WEEK)


def test_an_interval_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="before it starts") as caught:
        occurrences(shipped_rules("premier_edition"), WEEK[1], WEEK[0])
    assert caught.value.errors == {"end": "before start"}


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="aware") as caught:
        occurrences(shipped_rules("premier_edition"), datetime(2027, 1, 11), WEEK[1])
    assert "start" in caught.value.errors


def test_the_last_representable_days_still_work() -> None:
    found = occurrences(shipped_rules("premier_edition"), z("9999-12-28 00:00"), z("9999-12-31 23:59"))
    assert spans(found)[-1] == ("9999-12-31 03:00", "9999-12-31 10:00")


@pytest.mark.parametrize(
    ("rule", "start", "end"),
    [
        # Friday 9999-12-31 22:00 EST would end in the year 10000.
        (WindowRule("x", (4,), time(22), time(5), "EST"), "9999-12-31 00:00", "9999-12-31 12:00"),
        (WindowRule("x", (4,), time(22), time(5), "EST"), "0001-01-01 00:00", "0001-01-02 00:00"),
    ],
)
def test_an_occurrence_beyond_the_representable_years_is_refused(rule: WindowRule, start: str, end: str) -> None:
    with pytest.raises(ValidationFailed, match="years 1-9999"):
        occurrences([rule], z(start), z(end))
