"""The conflict finder's arithmetic: maintenance occurrences that overlap working hours.

Working hours arrive as UTC intervals (a business calendar's open intervals, the working hours
recorded on an account's recent cases, or both): any iterable of aware ``(start, end)`` pairs, in
any order, possibly overlapping or touching. This module knows nothing of calendars.

Invariants
- Working intervals are normalised first: empty ones dropped, the rest sorted and merged where they
  overlap or touch, so an overlap is never reported twice or in pieces that share an end.
- A ``Conflict`` is an occurrence with at least one overlap of positive length; its ``overlaps`` are
  the half-open intersections ``[max(starts), min(ends))``, in time order, and never empty.
- ``suggest_start`` proposes the earliest start at or after ``not_before`` at which the
  occurrence's whole duration is free of working time, searching no later than ``not_after``; the
  caller must pass working intervals that cover the searched stretch (outside them, time is free).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance.local import LocalInterval, local_interval
from caredesk.domain.maintenance.windows import Occurrence, as_utc

__all__ = ["Conflict", "Interval", "conflicts", "normalise_intervals", "suggest_start"]

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Conflict:
    """An occurrence and the parts of it that fall in working time (UTC)."""

    occurrence: Occurrence
    overlaps: tuple[Interval, ...]

    @property
    def overlap_total(self) -> timedelta:
        return sum((end - start for start, end in self.overlaps), timedelta())

    def in_zone(self, tz: str | tzinfo) -> tuple[LocalInterval, ...]:
        """The overlaps as the impacted users read them: local time in ``tz``, zone named."""
        return tuple(local_interval(start, end, tz) for start, end in self.overlaps)


def normalise_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """Sorted, merged, non-empty UTC intervals; an interval that ends before it starts is refused."""
    cleaned: list[Interval] = []
    for position, (start, end) in enumerate(intervals):
        start_u = as_utc(start, f"working_intervals[{position}].start")
        end_u = as_utc(end, f"working_intervals[{position}].end")
        if end_u < start_u:
            raise ValidationFailed(
                "a working interval ends before it starts",
                errors={f"working_intervals[{position}]": "end before start"},
            )
        if end_u > start_u:
            cleaned.append((start_u, end_u))
    cleaned.sort()
    merged: list[Interval] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def conflicts(
    occurrences: Iterable[Occurrence], working_intervals: Iterable[tuple[datetime, datetime]]
) -> list[Conflict]:
    """Each occurrence that overlaps working time, with the overlaps, in the occurrences' order."""
    working = normalise_intervals(working_intervals)
    starts = [start for start, _ in working]
    found: list[Conflict] = []
    for occurrence in occurrences:
        overlaps: list[Interval] = []
        # Intervals are sorted and disjoint: skip those ending before the occurrence by bisection
        # (ends are sorted too), then walk until one starts after it.
        index = _first_ending_after(working, occurrence.start)
        while index < len(working) and starts[index] < occurrence.end:
            # Never empty: this interval ends after the occurrence starts and starts before it ends.
            overlaps.append((max(working[index][0], occurrence.start), min(working[index][1], occurrence.end)))
            index += 1
        if overlaps:
            found.append(Conflict(occurrence, tuple(overlaps)))
    return found


def _first_ending_after(working: list[Interval], instant: datetime) -> int:
    lo, hi = 0, len(working)
    while lo < hi:
        mid = (lo + hi) // 2
        if working[mid][1] <= instant:
            lo = mid + 1
        else:
            hi = mid
    return lo


def suggest_start(
    occurrence: Occurrence,
    working_intervals: Iterable[tuple[datetime, datetime]],
    *,
    not_before: datetime,
    not_after: datetime,
) -> datetime | None:
    """The earliest start in ``[not_before, not_after]`` at which ``occurrence``'s duration
    overlaps no working time, or None: the proposed time of a reschedule-request draft."""
    earliest = as_utc(not_before, "not_before")
    latest = as_utc(not_after, "not_after")
    duration = occurrence.duration
    candidate = earliest
    for start, end in normalise_intervals(working_intervals):
        if end <= candidate:
            continue
        if candidate + duration <= start or candidate > latest:
            break
        candidate = end
    return candidate if candidate <= latest else None
