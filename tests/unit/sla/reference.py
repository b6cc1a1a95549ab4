"""A slow, obviously-correct business calendar that walks time one minute at a time.

It reads DOMAIN.md "Clocks" literally and shares no code with caredesk.domain.sla.calendar:
an instant is business time when its local wall-clock time (zoneinfo, naive) lies inside a
period ``[start, end)`` of a non-holiday local date, where a period belongs to the date it starts
on, an end not after its start is on the next date, and ``"24:00"`` is the next midnight.

Minute-aligned UTC instants only: every period boundary and every zone offset change of the test
zones lies on a whole minute, so membership is constant within each UTC minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_package

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = timedelta(minutes=1)


class ReferenceCalendar:
    def __init__(self, cal: dict[str, Any]) -> None:
        self.zone = ZoneInfo(cal["timezone"])
        hours = cal.get("hours")
        if hours is None:
            hours = {d: [["09:00", "17:00"]] for d in DAYS[:5]}
        self.periods: dict[int, list[tuple[timedelta, timedelta]]] = {}
        for n, name in enumerate(DAYS):
            spans = []
            for start_text, end_text in hours.get(name) or []:
                start = _clock(start_text)
                end = _clock(end_text)
                if end <= start:
                    end += timedelta(days=1)
                spans.append((start, end))
            self.periods[n] = spans
        self.explicit = {date.fromisoformat(d) for d in cal.get("holidays") or []}
        self.country = cal.get("holiday_country")
        self.subdivision = cal.get("holiday_subdivision")
        self._country_days: dict[int, set[date]] = {}

    def is_holiday(self, day: date) -> bool:
        if day in self.explicit:
            return True
        if self.country is None:
            return False
        if day.year not in self._country_days:
            table = holidays_package.country_holidays(self.country, subdiv=self.subdivision, years=day.year)
            self._country_days[day.year] = set(table)
        return day in self._country_days[day.year]

    def contains(self, instant: datetime) -> bool:
        wall = instant.astimezone(self.zone).replace(tzinfo=None)
        for day in (wall.date(), wall.date() - timedelta(days=1)):
            if self.is_holiday(day):
                continue
            midnight = datetime(day.year, day.month, day.day)
            for start, end in self.periods[day.weekday()]:
                if midnight + start <= wall < midnight + end:
                    return True
        return False

    def add(self, start: datetime, seconds: int, limit_days: int = 400) -> datetime:
        """Earliest minute boundary by which ``seconds`` (a multiple of 60) have elapsed."""
        assert seconds % 60 == 0 and seconds >= 0
        t = start.astimezone(UTC)
        assert t.second == 0 and t.microsecond == 0
        counted = 0
        stop = t + timedelta(days=limit_days)
        while counted < seconds:
            if self.contains(t):
                counted += 60
            t += MINUTE
            if t > stop:
                raise RuntimeError("reference walked too far")
        return t

    def elapsed(self, start: datetime, end: datetime) -> int:
        t = start.astimezone(UTC)
        end = end.astimezone(UTC)
        total = 0
        while t < end:
            if self.contains(t):
                total += 60
            t += MINUTE
        return total


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))
