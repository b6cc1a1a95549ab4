"""Maintenance occurrences laid out for the calendar page, in the viewer's time zone.

The schedule itself comes from ``caredesk.maintenance.selectors`` (the policy's windows, moves and
notices). Here only the layout is decided: the local month's weeks (Monday first), and on which
local days an occurrence shows. An occurrence that crosses local midnight shows on every local day
it touches, marked as continuing from the day before or into the next one, so a window such as
Premier Edition's 22:00-05:00 reads right in any zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Item:
    """One occurrence as the page shows it (local start and end, where it came from)."""

    entry: Any
    service: str
    start: datetime
    end: datetime
    source: str
    account_id: int
    account: str
    moved_from: datetime | None
    continues_from_previous_day: bool = False
    continues_next_day: bool = False


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    items: list[Item]


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first local midnight of the month, first local midnight of the next month)."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """``2027-03`` -> (2027, 3); anything else is the current month."""
    if text:
        try:
            year, month = (int(part) for part in text.split("-", 1))
            if 1 <= month <= 12 and 1900 < year < 3000:
                return year, month
        except ValueError:
            pass
    return today.year, today.month


def shift_month(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def items(entries: Iterable[Any], zone: ZoneInfo, labels: dict[int, str]) -> list[Item]:
    out = []
    for entry in entries:
        occ = entry.occurrence
        out.append(
            Item(
                entry=entry,
                service=occ.service,
                start=occ.start.astimezone(zone),
                end=occ.end.astimezone(zone),
                source=occ.source,
                account_id=entry.account_id,
                account=labels.get(entry.account_id, entry.label),
                moved_from=occ.moved_from.astimezone(zone) if occ.moved_from else None,
            )
        )
    return sorted(out, key=lambda i: (i.start, i.service, i.account))


def _days_touched(item: Item) -> list[date]:
    last = (item.end - timedelta(microseconds=1)).date()
    day, days = item.start.date(), []
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def month_grid(all_items: list[Item], year: int, month: int, today: date) -> list[list[Day]]:
    """The weeks of the local month (Monday to Sunday), each day with the occurrences on it."""
    by_day: dict[date, list[Item]] = defaultdict(list)
    for item in all_items:
        touched = _days_touched(item)
        for i, day in enumerate(touched):
            by_day[day].append(
                Item(
                    **{
                        **item.__dict__,
                        "continues_from_previous_day": i > 0,
                        "continues_next_day": i < len(touched) - 1,
                    }
                )
            )
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    weeks: list[list[Day]] = []
    day = start
    while True:
        week = []
        for _ in range(7):
            week.append(Day(day=day, in_month=day.month == month, is_today=day == today, items=by_day.get(day, [])))
            day += timedelta(days=1)
        weeks.append(week)
        if day.month != month or day.year != year:
            break
    return weeks
