"""Maintenance windows (guide section 3, DOMAIN.md "Maintenance"): pure arithmetic, no I/O.

- ``rules``: ``WindowRule`` and ``parse_maintenance_rows`` (the policy's maintenance table).
- ``windows``: ``occurrences`` (planned, whole and unclipped, DST-correct), ``Move``, ``Notice``,
  ``merge_schedule``, ``schedule`` and ``in_window``.
- ``local``: occurrences in the viewer's time zone, the zone always named.
- ``conflicts``: occurrences that overlap working hours, and a free start for a reschedule draft.
- ``ical``: the content of each iCalendar event (the feed adapter serialises it).

All instants are aware and returned in UTC; intervals are half-open ``[start, end)``.
"""

from caredesk.domain.maintenance.conflicts import Conflict, conflicts, suggest_start
from caredesk.domain.maintenance.ical import CalendarEvent, calendar_events
from caredesk.domain.maintenance.local import LocalInterval, LocalOccurrence, to_zone
from caredesk.domain.maintenance.rules import DEPLOYMENT, WindowRule, parse_maintenance_rows
from caredesk.domain.maintenance.windows import (
    Move,
    Notice,
    Occurrence,
    in_window,
    merge_schedule,
    occurrences,
    schedule,
)

__all__ = [
    "DEPLOYMENT",
    "CalendarEvent",
    "Conflict",
    "LocalInterval",
    "LocalOccurrence",
    "Move",
    "Notice",
    "Occurrence",
    "WindowRule",
    "calendar_events",
    "conflicts",
    "in_window",
    "merge_schedule",
    "occurrences",
    "parse_maintenance_rows",
    "schedule",
    "suggest_start",
    "to_zone",
]
