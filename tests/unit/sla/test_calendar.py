"""DOMAIN.md "Clocks": the business calendar, rule by rule, on hand-computed examples."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from caredesk.domain.errors import InvalidCalendar
from caredesk.domain.sla.calendar import BusinessCalendar

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
H = 3600.0


def cal(**data: object) -> BusinessCalendar:
    return BusinessCalendar.from_dict({"timezone": "America/New_York", **data})


def z(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------------- the calendar itself


def test_vendor_default_calendar_is_mon_to_fri_nine_to_five_without_holidays() -> None:
    default = BusinessCalendar.default("America/New_York")
    assert default == BusinessCalendar.from_dict({"timezone": "America/New_York"})
    assert default.to_dict()["hours"] == {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert default.to_dict()["holidays"] == []
    assert default.to_dict()["holiday_country"] is None
    # Christmas Day 2026 (a Friday) is an ordinary business day without holidays.
    assert default.elapsed(datetime(2026, 12, 25, 9, tzinfo=NY), datetime(2026, 12, 25, 17, tzinfo=NY)) == 8 * H


def test_business_day_is_weekly_hours_divided_by_weekdays_with_any_period() -> None:
    assert cal().business_day_seconds == 8 * H
    split = cal(hours={"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "sat": [["10:00", "12:00"]]})
    assert split.business_day_seconds == (7 + 2) / 2 * H
    overnight_sunday = cal(hours={"sun": [["22:00", "02:00"]]})
    assert overnight_sunday.business_day_seconds == 4 * H


def test_business_day_length_may_be_set_explicitly() -> None:
    assert cal(business_day_hours=7.5).business_day_seconds == 7.5 * H
    assert cal(business_day_hours=7.5).to_dict()["business_day_hours"] == 7.5


def test_overlapping_periods_count_once() -> None:
    overlapping = cal(hours={"mon": [["09:00", "13:00"], ["12:00", "17:00"]]})
    assert overlapping.business_day_seconds == 8 * H
    assert overlapping.elapsed(z("2026-03-02T00:00:00-05:00"), z("2026-03-03T00:00:00-05:00")) == 8 * H


def test_calendar_round_trips_through_its_dict() -> None:
    data = {
        "timezone": "Europe/London",
        "hours": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "fri": [["22:00", "06:00"]]},
        "holidays": ["2026-12-25", "2026-12-24"],
        "holiday_country": "GB",
        "holiday_subdivision": "SCT",
        "business_day_hours": 8,
    }
    built = BusinessCalendar.from_dict(data)
    again = BusinessCalendar.from_dict(built.to_dict())
    assert again == built
    assert hash(again) == hash(built)
    assert again.to_dict()["holidays"] == ["2026-12-24", "2026-12-25"]
    assert again.timezone == "Europe/London"


def test_invalid_calendar_lists_every_problem_by_field_path() -> None:
    with pytest.raises(InvalidCalendar) as info:
        BusinessCalendar.from_dict(
            {
                "timezone": "Mars/Olympus",
                "hours": {"mon": [["9:00", "17:00"], ["09:00", "25:00"], "x"], "funday": []},
                "holidays": ["2026-02-30", 5],
                "holiday_country": "XX",
                "business_day_hours": -1,
                "colour": "blue",
            }
        )
    errors = info.value.errors
    assert set(errors) == {
        "timezone",
        "hours.mon[0]",
        "hours.mon[1]",
        "hours.mon[2]",
        "hours.funday",
        "holidays[0]",
        "holidays[1]",
        "holiday_country",
        "business_day_hours",
        "colour",
    }
    assert "Mars/Olympus" in errors["timezone"]
    for path in errors:
        assert path in info.value.message


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({}, "timezone"),
        ({"timezone": "America/New_York", "hours": {"mon": []}}, "hours"),
        ({"timezone": "America/New_York", "hours": {"mon": [["24:00", "08:00"]]}}, "hours.mon[0]"),
        ({"timezone": "America/New_York", "holiday_subdivision": "CA"}, "holiday_subdivision"),
        ({"timezone": "America/New_York", "holiday_country": "US", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"timezone": "America/New_York", "business_day_hours": True}, "business_day_hours"),
        ({"timezone": "America/New_York", "business_day_hours": 25}, "business_day_hours"),
        ({"timezone": "America/New_York", "holidays": "2026-12-25"}, "holidays"),
        ({"timezone": "America/New_York", "hours": [["09:00", "17:00"]]}, "hours"),
    ],
)
def test_invalid_calendar_names_the_faulty_field(data: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidCalendar) as info:
        BusinessCalendar.from_dict(data)
    assert path in info.value.errors


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        cal().add(datetime(2026, 3, 2, 9), 60)
    with pytest.raises(ValueError, match="aware"):
        cal().elapsed(datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 2, 10))


def test_negative_business_seconds_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        cal().add(datetime(2026, 3, 2, 9, tzinfo=UTC), -1)
    with pytest.raises(ValueError, match="negative"):
        cal().add_many(np.array([0.0]), np.array([-1.0]))


# ---------------------------------------------------------------------- periods


def test_period_is_half_open_start_counts_end_does_not() -> None:
    c = cal()
    assert c.contains(z("2026-03-02T09:00:00-05:00"))
    assert not c.contains(z("2026-03-02T17:00:00-05:00"))
    assert c.contains(z("2026-03-02T16:59:59-05:00"))
    assert not c.contains(z("2026-03-02T08:59:59-05:00"))


def test_split_shift_has_a_gap_that_does_not_count() -> None:
    c = cal(hours={"mon": [["09:00", "12:00"], ["13:00", "17:00"]]})
    assert c.add(z("2026-03-02T11:00:00-05:00"), 2 * H) == z("2026-03-02T19:00:00Z")  # 14:00 local
    assert not c.contains(z("2026-03-02T12:30:00-05:00"))


def test_period_whose_end_is_not_after_its_start_crosses_midnight() -> None:
    night = cal(hours={"fri": [["22:00", "06:00"]]})
    friday_2200 = z("2026-03-06T22:00:00-05:00")
    assert night.contains(z("2026-03-07T05:59:00-05:00"))  # Saturday morning, Friday's period
    assert night.elapsed(friday_2200, z("2026-03-07T12:00:00-05:00")) == 8 * H
    assert night.add(friday_2200, 8 * H) == z("2026-03-07T11:00:00Z")
    whole_day = cal(hours={"wed": [["00:00", "00:00"]]})
    assert whole_day.elapsed(z("2026-03-04T00:00:00-05:00"), z("2026-03-06T00:00:00-05:00")) == 24 * H


def test_24_00_is_allowed_as_an_end_and_means_next_midnight() -> None:
    evening = cal(hours={"mon": [["18:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    monday_1800 = z("2026-03-02T18:00:00-05:00")
    assert evening.elapsed(monday_1800, z("2026-03-03T12:00:00-05:00")) == 8 * H
    assert evening.add(monday_1800, 6 * H) == z("2026-03-03T05:00:00Z")  # exactly midnight local
    # Back to back across midnight: one uninterrupted stretch.
    assert list(evening.open_intervals(monday_1800, z("2026-03-03T12:00:00-05:00"))) == [
        (z("2026-03-02T23:00:00Z"), z("2026-03-03T07:00:00Z"))
    ]


def test_half_hour_offset_zone_keeps_periods_in_local_time() -> None:
    india = BusinessCalendar.from_dict({"timezone": "Asia/Kolkata"})
    monday = datetime(2026, 3, 2, 12, tzinfo=KOLKATA)
    assert india.add(monday, 5 * H) == z("2026-03-02T11:30:00Z")  # 17:00 IST
    assert india.add(monday, 6 * H) == z("2026-03-03T04:30:00Z")  # Tue 10:00 IST
    assert not india.contains(z("2026-03-02T03:29:59Z"))
    assert india.contains(z("2026-03-02T03:30:00Z"))


# ---------------------------------------------------------------------- holidays


def test_holiday_date_cancels_the_periods_that_start_on_it() -> None:
    c = cal(holidays=["2026-03-03"])
    assert c.elapsed(z("2026-03-03T00:00:00-05:00"), z("2026-03-04T00:00:00-05:00")) == 0
    assert c.add(z("2026-03-02T16:00:00-05:00"), 2 * H) == z("2026-03-04T15:00:00Z")  # Wed 10:00


def test_holiday_keeps_the_overnight_period_that_started_the_day_before() -> None:
    nights = BusinessCalendar.from_dict(
        {
            "timezone": "Asia/Kolkata",
            "hours": {d: [["22:00", "06:00"]] for d in ("mon", "tue", "wed")},
            "holidays": ["2026-03-03"],
        }
    )
    monday_noon = datetime(2026, 3, 2, 12, tzinfo=KOLKATA)
    wednesday_noon = datetime(2026, 3, 4, 12, tzinfo=KOLKATA)
    # Monday 22:00 - Tuesday 06:00 counts although Tuesday is a holiday; Tuesday's night does not.
    assert nights.elapsed(monday_noon, wednesday_noon) == 8 * H
    assert nights.contains(datetime(2026, 3, 3, 5, tzinfo=KOLKATA))
    assert not nights.contains(datetime(2026, 3, 3, 23, tzinfo=KOLKATA))


def test_country_holidays_come_from_the_holidays_package() -> None:
    us = cal(holiday_country="US")
    # Thanksgiving 2026 is Thursday 26 November.
    assert us.elapsed(datetime(2026, 11, 26, tzinfo=NY), datetime(2026, 11, 27, tzinfo=NY)) == 0
    assert cal().elapsed(datetime(2026, 11, 26, tzinfo=NY), datetime(2026, 11, 27, tzinfo=NY)) == 8 * H


def test_country_subdivision_holidays_apply() -> None:
    # 2026-01-02 is a bank holiday in Scotland only.
    scotland = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "SCT"}
    )
    england = BusinessCalendar.from_dict({"timezone": "Europe/London", "holiday_country": "GB"})
    day = (datetime(2026, 1, 2, tzinfo=LONDON), datetime(2026, 1, 3, tzinfo=LONDON))
    assert scotland.elapsed(*day) == 0
    assert england.elapsed(*day) == 8 * H


def test_explicit_and_country_holidays_combine_across_the_year_end() -> None:
    c = cal(holiday_country="US", holidays=["2026-12-31"])
    # Wed 30 Dec 16:00 + 2bh: Dec 31 explicit holiday, Jan 1 New Year, weekend -> Mon 4 Jan 10:00.
    assert c.add(z("2026-12-30T16:00:00-05:00"), 2 * H) == z("2027-01-04T15:00:00Z")


def test_leap_day_is_an_ordinary_business_day() -> None:
    c = cal(holiday_country="US")
    assert c.add(z("2028-02-28T16:00:00-05:00"), 2 * H) == z("2028-02-29T15:00:00Z")
    assert c.elapsed(datetime(2028, 2, 29, tzinfo=NY), datetime(2028, 3, 1, tzinfo=NY)) == 8 * H


# ---------------------------------------------------------------------- business time and DST


def test_time_outside_periods_is_not_counted_saturday_case_starts_accruing_at_monday_opening() -> None:
    c = cal()
    saturday = z("2026-03-07T11:00:00-05:00")
    assert c.elapsed(saturday, z("2026-03-09T09:00:00-04:00")) == 0
    assert c.add(saturday, 2 * H) == z("2026-03-09T15:00:00Z")  # Monday 11:00 EDT
    assert c.add(saturday, 1) == z("2026-03-09T13:00:01Z")


def test_due_instant_can_fall_exactly_on_closing_time_not_next_opening() -> None:
    c = cal()
    assert c.add(z("2026-03-03T09:00:00-05:00"), 8 * H) == z("2026-03-03T22:00:00Z")  # 17:00 EST
    assert c.add(z("2026-03-03T16:00:00-05:00"), H) == z("2026-03-03T22:00:00Z")
    assert c.add(z("2026-03-03T16:00:00-05:00"), H + 1) == z("2026-03-04T14:00:01Z")


def test_due_instant_is_the_earliest_instant_and_zero_is_the_start() -> None:
    c = cal()
    sunday = z("2026-03-08T12:00:00-04:00")
    assert c.add(sunday, 0) == sunday
    assert c.add(sunday, 0).tzinfo is UTC
    assert c.add(z("2026-03-09T09:00:00-04:00"), 0.5) == z("2026-03-09T13:00:00.500000Z")


def test_period_shortened_by_spring_forward_is_shorter() -> None:
    sunday = cal(hours={"sun": [["01:00", "05:00"]]})
    day = (datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY))
    assert sunday.elapsed(*day) == 3 * H
    assert sunday.add(day[0], 3 * H) == z("2026-03-08T09:00:00Z")  # 05:00 EDT


def test_period_starting_in_skipped_hour_starts_when_the_clock_jumps() -> None:
    sunday = cal(hours={"sun": [["02:30", "04:00"]]})
    assert not sunday.contains(z("2026-03-08T06:59:59Z"))  # 01:59:59 EST
    assert sunday.contains(z("2026-03-08T07:00:00Z"))  # 03:00 EDT, the jump
    assert sunday.add(datetime(2026, 3, 8, tzinfo=NY), 1) == z("2026-03-08T07:00:01Z")
    assert sunday.elapsed(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == H


def test_period_lengthened_by_fall_back_is_longer() -> None:
    sunday = cal(hours={"sun": [["01:00", "03:00"]]})
    day = (datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY))
    assert sunday.elapsed(*day) == 3 * H
    assert list(sunday.open_intervals(*day)) == [(z("2026-11-01T05:00:00Z"), z("2026-11-01T08:00:00Z"))]


def test_fall_back_repeats_wall_times_so_a_period_can_come_in_two_pieces() -> None:
    # Wall times 00:00-01:30 occur from 00:00 EDT to 01:30 EDT and again from 01:00 to 01:30 EST.
    sunday = cal(hours={"sun": [["00:00", "01:30"]]})
    day = (datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY))
    assert list(sunday.open_intervals(*day)) == [
        (z("2026-11-01T04:00:00Z"), z("2026-11-01T05:30:00Z")),
        (z("2026-11-01T06:00:00Z"), z("2026-11-01T06:30:00Z")),
    ]
    assert sunday.elapsed(*day) == 2 * H


@pytest.mark.parametrize(
    ("zone", "day", "length_hours"),
    [
        ("Europe/London", date(2026, 3, 29), 23),  # 01:00 GMT -> 02:00 BST
        ("Europe/London", date(2026, 10, 25), 25),
        ("Australia/Sydney", date(2026, 4, 5), 25),  # 03:00 AEDT -> 02:00 AEST
        ("Australia/Sydney", date(2026, 10, 4), 23),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Asia/Kolkata", date(2026, 3, 29), 24),
    ],
)
def test_business_time_is_real_elapsed_time_on_dst_days(zone: str, day: date, length_hours: int) -> None:
    always = BusinessCalendar.from_dict({"timezone": zone, "hours": {"sun": [["00:00", "24:00"]]}})
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=tz)
    assert always.elapsed(start, end) == length_hours * H


def test_nine_to_five_keeps_local_hours_across_dst() -> None:
    c = cal()
    friday_1600 = z("2026-03-06T16:00:00-05:00")
    assert c.add(friday_1600, 2 * H) == z("2026-03-09T14:00:00Z")  # Monday 10:00 EDT
    assert c.elapsed(friday_1600, z("2026-03-09T10:00:00-04:00")) == 2 * H


def test_any_input_zone_is_accepted_and_output_is_utc() -> None:
    c = cal()
    in_sydney = datetime(2026, 3, 3, 2, tzinfo=SYDNEY)  # = Mon 2 Mar 10:00 EST
    out = c.add(in_sydney, H)
    assert out == z("2026-03-02T16:00:00Z")
    assert out.tzinfo is UTC


# ---------------------------------------------------------------------- intervals and batch


def test_open_intervals_are_clipped_and_in_order() -> None:
    c = cal()
    got = list(c.open_intervals(z("2026-03-06T12:00:00-05:00"), z("2026-03-09T12:00:00-04:00")))
    assert got == [
        (z("2026-03-06T17:00:00Z"), z("2026-03-06T22:00:00Z")),
        (z("2026-03-09T13:00:00Z"), z("2026-03-09T16:00:00Z")),
    ]
    assert list(c.open_intervals(z("2026-03-09T12:00:00Z"), z("2026-03-06T12:00:00Z"))) == []


def test_open_intervals_span_several_years() -> None:
    c = cal(holiday_country="US")
    got = list(c.open_intervals(datetime(2025, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)))
    total = sum((b - a).total_seconds() for a, b in got)
    assert total == c.elapsed(datetime(2025, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
    assert all(a < b for a, b in got)
    assert all(got[n][1] < got[n + 1][0] for n in range(len(got) - 1))


def test_batch_api_agrees_with_one_at_a_time() -> None:
    c = cal(holiday_country="US")
    rng = np.random.default_rng(7)
    starts = rng.integers(int(z("2025-01-01T00:00:00Z").timestamp()), int(z("2029-01-01T00:00:00Z").timestamp()), 5000)
    amounts = rng.choice(np.array([0, 900, 7200, 14400, 28800, 5 * 28800, 30 * 28800, 0.25]), 5000)
    ends = starts + rng.integers(-86400, 60 * 86400, 5000)
    dues = c.add_many(starts, amounts)
    spent = c.elapsed_many(starts, ends)
    for n in range(5000):
        start = datetime.fromtimestamp(int(starts[n]), UTC)
        assert dues[n] == c.add(start, float(amounts[n])).timestamp()
        assert spent[n] == c.elapsed(start, datetime.fromtimestamp(int(ends[n]), UTC))
    assert c.add_many(starts[:3], 7200.0).shape == (3,)
    assert c.add_many(np.array([], dtype=np.int64), 1.0).shape == (0,)


def test_add_far_beyond_the_compiled_years_extends_the_calendar() -> None:
    c = cal(holiday_country="US")
    start = z("2026-01-05T09:00:00-05:00")
    due = c.add(start, 1000 * 8 * H)  # about four years of business days
    assert due.year == 2030  # ~240 business days a year with US holidays
    assert c.elapsed(start, due) == 1000 * 8 * H
    assert c.add_many(np.array([start.timestamp()]), 1000 * 8 * H)[0] == due.timestamp()


def test_instants_far_apart_in_time_each_get_their_own_table() -> None:
    c = cal()
    assert c.add(z("2026-03-02T09:00:00-05:00"), H) == z("2026-03-02T15:00:00Z")
    assert c.add(z("2426-03-02T09:00:00-05:00"), H) == z("2426-03-02T15:00:00Z")
    assert c.add(z("2026-03-02T09:00:00-05:00"), H) == z("2026-03-02T15:00:00Z")
    with pytest.raises(ValueError, match="years"):
        c.elapsed(z("2026-03-02T09:00:00Z"), z("2426-03-02T09:00:00Z"))
    with pytest.raises(ValueError):
        c.add(z("9999-12-01T09:00:00Z"), H)


def test_calendar_pickles_as_its_definition_without_its_compiled_tables() -> None:
    import copy
    import pickle

    c = cal(holiday_country="US", holidays=["2026-03-03"])
    c.add(z("2026-03-02T16:00:00-05:00"), 2 * H)  # compiles some years
    again = pickle.loads(pickle.dumps(c))
    assert again == c
    assert len(pickle.dumps(c)) < 1000
    assert again.add(z("2026-03-02T16:00:00-05:00"), 2 * H) == z("2026-03-04T15:00:00Z")
    assert copy.deepcopy(c) == c


def test_open_intervals_do_not_break_a_period_at_the_utc_year_end() -> None:
    always = cal(hours={day: [["00:00", "24:00"]] for day in ("thu", "fri")})
    # Thursday 31 Dec 2026 and Friday 1 Jan 2027 (New York): one stretch across the UTC year end.
    got = list(always.open_intervals(z("2026-12-31T12:00:00Z"), z("2027-01-01T12:00:00Z")))
    assert got == [(z("2026-12-31T12:00:00Z"), z("2027-01-01T12:00:00Z"))]
