"""DOMAIN.md "Clocks", property-based: the calendar agrees with a minute-walking reference.

Random calendars in zones with DST (New York, London, Sydney) and a half-hour offset (Kolkata),
with split shifts, overnight periods, ``24:00`` ends and holidays, queried around the 2026 DST
changes, a year end and the 2028 leap day. Reference comparisons use minute-aligned instants and
amounts of whole minutes, bounded so the reference walks at most a few weeks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from caredesk.domain.sla.calendar import BusinessCalendar
from tests.unit.sla.reference import DAYS, ReferenceCalendar

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
# Interesting UTC instants: DST changes of the four zones in 2026, a year end, a leap day.
ANCHORS = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York spring forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York fall back
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # London spring forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # London fall back
    datetime(2026, 4, 4, 16, tzinfo=UTC),  # Sydney fall back
    datetime(2026, 10, 3, 16, tzinfo=UTC),  # Sydney spring forward
    datetime(2026, 12, 31, 12, tzinfo=UTC),  # year end
    datetime(2028, 2, 29, 12, tzinfo=UTC),  # leap day
]
QUARTER_HOURS = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]
MINUTES = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]

clock = st.one_of(st.sampled_from(QUARTER_HOURS), st.sampled_from(MINUTES))
end_clock = st.one_of(clock, st.just("24:00"))
period = st.tuples(clock, end_clock).map(list)


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(ANCHORS))
    hours = {day: draw(st.lists(period, max_size=3)) for day in DAYS}
    if not any(hours.values()):
        hours["mon"] = [["09:00", "17:00"]]
    holidays = draw(
        st.lists(st.integers(-4, 4).map(lambda d: (anchor + timedelta(days=d)).date().isoformat()), max_size=3)
    )
    data: dict[str, Any] = {"timezone": zone, "hours": hours, "holidays": holidays}
    if draw(st.booleans()):
        data["holiday_country"] = {"Europe/London": "GB", "Australia/Sydney": "AU", "Asia/Kolkata": "IN"}.get(
            zone, "US"
        )
    data["_anchor"] = anchor
    return data


def split(data: dict[str, Any]) -> tuple[BusinessCalendar, ReferenceCalendar, datetime]:
    data = dict(data)
    anchor = data.pop("_anchor")
    return BusinessCalendar.from_dict(data), ReferenceCalendar(data), anchor


def weekly_minutes(calendar: BusinessCalendar) -> int:
    return int(calendar.business_day_seconds * sum(1 for d in DAYS if calendar.to_dict()["hours"].get(d)) // 60)


@settings(max_examples=150, deadline=None)
@given(data=calendars(), offset=st.integers(-3 * 1440, 3 * 1440), minutes=st.integers(0, 100_000))
def test_add_is_the_earliest_instant_at_which_the_business_time_has_elapsed(
    data: dict[str, Any], offset: int, minutes: int
) -> None:
    calendar, reference, anchor = split(data)
    start = anchor + timedelta(minutes=offset)
    minutes = minutes % (min(weekly_minutes(calendar), 900) + 1)
    assert calendar.add(start, minutes * 60) == reference.add(start, minutes * 60)


@settings(max_examples=150, deadline=None)
@given(data=calendars(), offset=st.integers(-3 * 1440, 3 * 1440), span=st.integers(-60, 4 * 1440))
def test_business_time_is_real_time_inside_periods_of_non_holiday_days(
    data: dict[str, Any], offset: int, span: int
) -> None:
    calendar, reference, anchor = split(data)
    start = anchor + timedelta(minutes=offset)
    end = start + timedelta(minutes=span)
    assert calendar.elapsed(start, end) == reference.elapsed(start, end)


@settings(max_examples=100, deadline=None)
@given(data=calendars(), offsets=st.lists(st.integers(-3 * 1440, 3 * 1440), min_size=1, max_size=20))
def test_contains_agrees_with_the_wall_clock_rule(data: dict[str, Any], offsets: list[int]) -> None:
    calendar, reference, anchor = split(data)
    for offset in offsets:
        instant = anchor + timedelta(minutes=offset)
        assert calendar.contains(instant) == reference.contains(instant), instant


@settings(max_examples=150, deadline=None)
@given(
    data=calendars(),
    offset=st.integers(-20 * 86400, 20 * 86400),
    seconds=st.integers(0, 40 * 86400),
)
def test_adding_then_measuring_gives_back_the_amount(data: dict[str, Any], offset: int, seconds: int) -> None:
    calendar, _, anchor = split(data)
    start = anchor + timedelta(seconds=offset)
    due = calendar.add(start, seconds)
    assert calendar.elapsed(start, due) == seconds
    if seconds:
        # Earliest: one microsecond before the due, the amount has not yet elapsed.
        assert calendar.elapsed(start, due - timedelta(microseconds=1)) < seconds


@settings(max_examples=100, deadline=None)
@given(
    data=calendars(),
    offset=st.integers(-20 * 86400, 20 * 86400),
    microseconds=st.integers(0, 10**12),
)
def test_fractional_amounts_round_trip_to_the_microsecond(data: dict[str, Any], offset: int, microseconds: int) -> None:
    calendar, _, anchor = split(data)
    start = anchor + timedelta(seconds=offset, microseconds=microseconds % 997)
    amount = microseconds / 1_000_000
    assert abs(calendar.elapsed(start, calendar.add(start, amount)) - amount) <= 1e-6


@settings(max_examples=150, deadline=None)
@given(
    data=calendars(),
    offsets=st.tuples(st.integers(-10 * 86400, 10 * 86400), st.integers(-10 * 86400, 10 * 86400)),
    amounts=st.tuples(st.integers(0, 20 * 86400), st.integers(0, 20 * 86400)),
)
def test_due_is_monotone_in_start_and_amount(
    data: dict[str, Any], offsets: tuple[int, int], amounts: tuple[int, int]
) -> None:
    calendar, _, anchor = split(data)
    early, late = sorted(anchor + timedelta(seconds=o) for o in offsets)
    small, big = sorted(amounts)
    assert calendar.add(early, small) <= calendar.add(late, small)
    assert calendar.add(early, small) <= calendar.add(early, big)
    assert calendar.elapsed(early, late + timedelta(seconds=big)) >= calendar.elapsed(
        late, late + timedelta(seconds=big)
    )
    assert calendar.elapsed(early, late) <= calendar.elapsed(early, late + timedelta(seconds=small))


@settings(max_examples=50, deadline=None)
@given(
    data=calendars(),
    offsets=st.lists(st.integers(-30 * 86400, 30 * 86400), min_size=1, max_size=50),
    amounts=st.lists(st.integers(0, 30 * 86400), min_size=1, max_size=50),
)
def test_batch_api_gives_the_one_at_a_time_answers(
    data: dict[str, Any], offsets: list[int], amounts: list[int]
) -> None:
    calendar, _, anchor = split(data)
    n = min(len(offsets), len(amounts))
    starts = np.array([anchor.timestamp() + o for o in offsets[:n]], dtype=np.int64)
    secs = np.array(amounts[:n], dtype=np.float64)
    ends = starts + secs.astype(np.int64) - 3600
    dues = calendar.add_many(starts, secs)
    spent = calendar.elapsed_many(starts, ends)
    for k in range(n):
        start = datetime.fromtimestamp(int(starts[k]), UTC)
        assert dues[k] == calendar.add(start, float(secs[k])).timestamp()
        assert spent[k] == calendar.elapsed(start, datetime.fromtimestamp(int(ends[k]), UTC))


@settings(max_examples=100, deadline=None)
@given(data=calendars(), offset=st.integers(-3 * 1440, 3 * 1440), span=st.integers(0, 8 * 1440))
def test_open_intervals_are_exactly_the_business_time(data: dict[str, Any], offset: int, span: int) -> None:
    calendar, reference, anchor = split(data)
    start = anchor + timedelta(minutes=offset)
    end = start + timedelta(minutes=span)
    intervals = list(calendar.open_intervals(start, end))
    assert sum((b - a).total_seconds() for a, b in intervals) == calendar.elapsed(start, end)
    for a, b in intervals:
        assert start <= a < b <= end
        assert reference.contains(a)
        assert reference.contains(b - timedelta(minutes=1))
    for (_, b), (a, _) in pairwise(intervals):
        assert b < a
        assert not reference.contains(b)
