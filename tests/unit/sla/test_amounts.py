"""DOMAIN.md "Clocks": SLA amounts, their two clocks, and the guide's amounts as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from caredesk.domain.errors import InvalidAmount
from caredesk.domain.sla.amounts import Amount, add_amount, elapsed_on_clock, parse_amount
from caredesk.domain.sla.calendar import BusinessCalendar

NY = ZoneInfo("America/New_York")
US = BusinessCalendar.from_dict({"timezone": "America/New_York", "holiday_country": "US"})
# Tuesday 3 March 2026, 10:00 EST; New York springs forward on Sunday 8 March.
START = datetime(2026, 3, 3, 10, tzinfo=NY)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Every amount in the guide's Table 1 and post-mortem/incident-report deadlines, from START.
GUIDE = [
    ("15m", False, 900, "2026-03-03T15:15:00Z"),
    ("4h", False, 4 * 3600, "2026-03-03T19:00:00Z"),
    ("6h", False, 6 * 3600, "2026-03-03T21:00:00Z"),
    ("2bh", True, 2 * 3600, "2026-03-03T17:00:00Z"),  # 12:00 EST
    ("4bh", True, 4 * 3600, "2026-03-03T19:00:00Z"),
    ("6bh", True, 6 * 3600, "2026-03-03T21:00:00Z"),
    ("1bd", True, 8 * 3600, "2026-03-04T15:00:00Z"),  # Wed 10:00 EST
    ("2bd", True, 16 * 3600, "2026-03-05T15:00:00Z"),
    ("3bd", True, 24 * 3600, "2026-03-06T15:00:00Z"),
    ("4bd", True, 32 * 3600, "2026-03-09T14:00:00Z"),  # Mon 10:00 EDT
    ("5bd", True, 40 * 3600, "2026-03-10T14:00:00Z"),
    ("10bd", True, 80 * 3600, "2026-03-17T14:00:00Z"),
    ("15bd", True, 120 * 3600, "2026-03-24T14:00:00Z"),
    ("30bd", True, 240 * 3600, "2026-04-14T14:00:00Z"),
]


@pytest.mark.parametrize(("text", "business", "seconds", "due"), GUIDE)
def test_guide_amounts_parse_and_fall_due_on_their_clock(text: str, business: bool, seconds: int, due: str) -> None:
    amount = parse_amount(text)
    assert amount is not None
    assert amount.business is business
    assert amount.seconds(US) == seconds
    assert str(amount) == text
    assert add_amount(US, START, amount) == z(due)
    assert elapsed_on_clock(US, START, z(due), business=business) == seconds


def test_dash_means_not_applicable() -> None:
    assert parse_amount("-") is None
    assert parse_amount(" - ") is None


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("90bm", Decimal(90), "bm"), ("1.5bd", Decimal("1.5"), "bd"), ("0.25h", Decimal("0.25"), "h"), ("0m", 0, "m")],
)
def test_decimal_amounts_are_allowed(text: str, value: Decimal, unit: str) -> None:
    assert parse_amount(text) == Amount(Decimal(value), unit)


def test_one_and_a_half_business_days_is_twelve_business_hours_on_nine_to_five() -> None:
    amount = parse_amount("1.5bd")
    assert amount is not None
    assert amount.seconds(US) == 12 * 3600
    assert add_amount(US, START, amount) == z("2026-03-04T19:00:00Z")  # Wed 14:00 EST


def test_business_day_amount_uses_the_calendars_business_day_length() -> None:
    short_days = BusinessCalendar.from_dict({"timezone": "UTC", "business_day_hours": 6})
    amount = parse_amount("2bd")
    assert amount is not None
    assert amount.seconds(short_days) == 12 * 3600
    split = BusinessCalendar.from_dict(
        {"timezone": "UTC", "hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "12:00"]]}}
    )
    assert amount.seconds(split) == 10 * 3600  # (7 + 3) / 2 days, twice


@pytest.mark.parametrize("text", ["-2bd", "-15m", "-0.5bh"])
def test_negative_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidAmount, match="negative"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["", "bd", "2", "2 days", "2BD", "2bd!", "1e3m", "2.bd", "1,5bd", "∞h", "NaNh"])
def test_garbage_amounts_are_refused_with_the_expected_notation(text: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_amount(text)
    assert "expected" in info.value.message
    assert "amount" in info.value.errors


def test_amount_objects_refuse_negative_values_and_unknown_units() -> None:
    with pytest.raises(InvalidAmount):
        Amount(Decimal(-1), "h")
    with pytest.raises(InvalidAmount):
        Amount(Decimal(1), "d")
    with pytest.raises(InvalidAmount):
        Amount(float("nan"), "h")
    assert str(Amount(1.5, "bd")) == "1.5bd"
    assert str(Amount(2.0, "h")) == "2h"


def test_str_gives_the_notation_back() -> None:
    for text in ("15m", "4h", "90bm", "6bh", "2bd", "1.5bd", "0.125bh"):
        amount = parse_amount(text)
        assert amount is not None
        assert str(amount) == text
        assert parse_amount(str(amount)) == amount


def test_24x7_amounts_count_absolute_time_across_a_dst_change() -> None:
    saturday_night = datetime(2026, 3, 7, 23, tzinfo=NY)  # EST; the clock jumps at 02:00
    amount = parse_amount("4h")
    assert amount is not None
    due = add_amount(US, saturday_night, amount)
    assert due == z("2026-03-08T08:00:00Z")  # 04:00 EDT on the wall, four real hours later
    assert due.tzinfo is UTC
    assert elapsed_on_clock(US, saturday_night, due, business=False) == 4 * 3600
    assert elapsed_on_clock(US, due, saturday_night, business=False) == 0


def test_24x7_amounts_ignore_the_calendar_entirely() -> None:
    amount = parse_amount("15m")
    assert amount is not None
    christmas = datetime(2026, 12, 25, 3, tzinfo=NY)
    assert add_amount(US, christmas, amount) == z("2026-12-25T08:15:00Z")


def test_business_amounts_skip_closed_time_and_holidays() -> None:
    amount = parse_amount("2bh")
    assert amount is not None
    christmas_eve = datetime(2026, 12, 24, 16, tzinfo=NY)  # Thursday; Friday 25th is a holiday
    assert add_amount(US, christmas_eve, amount) == z("2026-12-28T15:00:00Z")
    assert elapsed_on_clock(US, christmas_eve, z("2026-12-28T15:00:00Z"), business=True) == 7200
