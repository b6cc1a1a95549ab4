"""What an iCalendar (RFC 5545) feed says about each occurrence: one VEVENT's properties.

The domain decides the content; the feed adapter outside the domain serialises it with the
``icalendar`` library (the domain may not import it): for each ``CalendarEvent``,
``for name, value in event.properties(): vevent.add(name, value)``.

Invariants
- ``UID`` is stable across feed refreshes and identifies the *planned* occurrence:
  ``maintenance-<service>-<scope>-<planned start, UTC basic format>@<uid_domain>``. A moved occurrence
  keeps its planned occurrence's UID and raises ``SEQUENCE`` to 1, so a subscribed client moves the
  event instead of showing both. ``scope`` (e.g. ``"account-42"``) keeps two accounts' occurrences
  apart in a reseller-wide feed, since a move applies to one account only.
- A notice's UID is built from its ``ref`` (the caller's id), else from service, start and end.
- ``DTSTART``/``DTEND``/``DTSTAMP`` are UTC; ``DTSTAMP`` is the ``now`` the caller passes (the
  domain never reads the clock).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from caredesk.domain.maintenance.windows import Occurrence, as_utc

__all__ = ["CalendarEvent", "calendar_events"]

_UID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _stamp(instant: datetime) -> str:
    return f"{instant:%Y%m%dT%H%M%SZ}"


def _iso(instant: datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%M:%SZ}"


def _safe(text: str) -> str:
    return _UID_UNSAFE.sub("_", text) or "_"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """The content of one VEVENT."""

    uid: str
    stamp: datetime
    start: datetime
    end: datetime
    summary: str
    description: str
    sequence: int
    categories: tuple[str, ...]
    status: str = "CONFIRMED"
    transparency: str = "OPAQUE"

    def properties(self) -> list[tuple[str, object]]:
        """``(RFC 5545 property name, value)`` pairs in the order to add them."""
        return [
            ("UID", self.uid),
            ("DTSTAMP", self.stamp),
            ("DTSTART", self.start),
            ("DTEND", self.end),
            ("SUMMARY", self.summary),
            ("DESCRIPTION", self.description),
            ("SEQUENCE", self.sequence),
            ("STATUS", self.status),
            ("TRANSP", self.transparency),
            ("CATEGORIES", list(self.categories)),
        ]


def _event(occurrence: Occurrence, *, scope: str, uid_domain: str, stamp: datetime, label: str) -> CalendarEvent:
    if occurrence.source == "notice":
        notice = occurrence.notice
        emergency = notice is not None and notice.emergency
        ref = (
            notice.ref
            if notice is not None and notice.ref
            else (f"{occurrence.service}-{_stamp(occurrence.start)}-{_stamp(occurrence.end)}")
        )
        kind = "Emergency maintenance" if emergency else "Unplanned maintenance"
        reason = notice.reason if notice is not None else ""
        return CalendarEvent(
            uid=f"notice-{_safe(ref)}@{uid_domain}",
            stamp=stamp,
            start=occurrence.start,
            end=occurrence.end,
            summary=f"{kind}: {label}",
            description=reason,
            sequence=0,
            categories=("Maintenance", "Emergency" if emergency else "Unplanned"),
        )
    planned = occurrence.planned_start
    uid = f"maintenance-{_safe(occurrence.service)}-{_safe(scope)}-{_stamp(planned)}@{uid_domain}"
    if occurrence.source == "moved":
        return CalendarEvent(
            uid=uid,
            stamp=stamp,
            start=occurrence.start,
            end=occurrence.end,
            summary=f"Planned maintenance (rescheduled): {label}",
            description=f"Rescheduled at your request from {_iso(planned)}.",
            sequence=1,
            categories=("Maintenance", "Rescheduled"),
        )
    return CalendarEvent(
        uid=uid,
        stamp=stamp,
        start=occurrence.start,
        end=occurrence.end,
        summary=f"Planned maintenance: {label}",
        description="Daily planned maintenance window (Support Guide, section 3, Table 2).",
        sequence=0,
        categories=("Maintenance", "Planned"),
    )


def calendar_events(
    occurrences: Iterable[Occurrence],
    *,
    scope: str,
    uid_domain: str,
    now: datetime,
    labels: Mapping[str, str] | None = None,
) -> list[CalendarEvent]:
    """One event per occurrence, in the given order; ``labels`` maps a service id to its display
    name (the policy's ``label``; the id itself when missing)."""
    stamp = as_utc(now, "now")
    names = labels or {}
    return [
        _event(
            occurrence,
            scope=scope,
            uid_domain=uid_domain,
            stamp=stamp,
            label=names.get(occurrence.service, occurrence.service),
        )
        for occurrence in occurrences
    ]
