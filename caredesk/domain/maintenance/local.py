"""Occurrences in the viewer's time zone: local start and end, always with the zone named.

Invariants
- Converting never changes an instant: ``LocalInterval.start`` and ``end`` are the same instants as
  the UTC ones, expressed in the zone (aware datetimes, so the offset of each end is its own: a
  window that spans a DST change shows a different offset at each end).
- ``zone`` is the IANA key when there is one ("America/New_York", "EST"), else the tzinfo's own
  name ("UTC"); a label never shows a time without its zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from caredesk.domain.maintenance.rules import resolve_zone
from caredesk.domain.maintenance.windows import Occurrence, as_utc

__all__ = ["LocalInterval", "LocalOccurrence", "local_interval", "to_zone", "zone_name"]


def zone_name(tz: tzinfo) -> str:
    """The name a viewer is shown for ``tz``."""
    if isinstance(tz, ZoneInfo) and tz.key:
        return tz.key
    return tz.tzname(None) or str(tz)


@dataclass(frozen=True, slots=True)
class LocalInterval:
    """``[start, end)`` shown in ``zone``."""

    start: datetime
    end: datetime
    zone: str

    def label(self) -> str:
        """``"Tue 2027-01-05 00:00 EST to 06:00 EST (America/New_York)"``; the end's date is
        written too when it is not the start's."""
        start = f"{self.start:%a %Y-%m-%d %H:%M} {self.start.tzname()}"
        if self.end.date() == self.start.date():
            end = f"{self.end:%H:%M} {self.end.tzname()}"
        else:
            end = f"{self.end:%a %Y-%m-%d %H:%M} {self.end.tzname()}"
        return f"{start} to {end} ({self.zone})"


@dataclass(frozen=True, slots=True)
class LocalOccurrence:
    """An occurrence with its start and end in a viewer's zone."""

    occurrence: Occurrence
    local: LocalInterval

    @property
    def start(self) -> datetime:
        return self.local.start

    @property
    def end(self) -> datetime:
        return self.local.end

    @property
    def zone(self) -> str:
        return self.local.zone

    def label(self) -> str:
        return self.local.label()


def local_interval(start: datetime, end: datetime, tz: str | tzinfo) -> LocalInterval:
    """``[start, end)`` (aware instants) shown in ``tz`` (an IANA key or a tzinfo)."""
    zone = resolve_zone(tz, field="tz")
    return LocalInterval(as_utc(start, "start").astimezone(zone), as_utc(end, "end").astimezone(zone), zone_name(zone))


def to_zone(occurrence: Occurrence, tz: str | tzinfo) -> LocalOccurrence:
    """``occurrence`` in the viewer's zone ``tz``."""
    return LocalOccurrence(occurrence, local_interval(occurrence.start, occurrence.end, tz))
