"""A slow, obviously-correct expansion of maintenance rules that walks time one minute at a time.

It reads DOMAIN.md literally and shares no code with caredesk.domain.maintenance.windows: a UTC
minute belongs to the occurrence of rule R anchored on local date d when its wall-clock time in
R's zone (zoneinfo, naive) lies in ``[d + start, d' + end)``, where d' is d, or the next day when
the end is not after the start; d must be one of R's weekdays. An occurrence runs from its first
such minute to the end of its last one (one unbroken interval, as the domain defines it).

Minute-aligned only: every rule boundary and every offset change of the test zones lies on a
whole UTC minute, so membership is constant within each minute.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from caredesk.domain.maintenance import WindowRule

MINUTE = timedelta(minutes=1)
# No occurrence lasts longer than 24 hours plus the largest DST shift of any zone (2 hours).
MARGIN = timedelta(hours=28)


def anchor(rule: WindowRule, wall: datetime) -> date | None:
    """The local date of the rule's window that holds wall-clock time ``wall``, if any."""
    clock = wall.time()
    if rule.end > rule.start:
        day = wall.date() if rule.start <= clock < rule.end else None
    elif clock >= rule.start:
        day = wall.date()
    elif clock < rule.end:
        day = wall.date() - timedelta(days=1)
    else:
        day = None
    return day if day is not None and day.weekday() in rule.weekdays else None


def reference_occurrences(
    rules: list[WindowRule], zones: list[tzinfo], start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(service, start, end) of every occurrence overlapping ``[start, end)``, sorted."""
    first: dict[tuple[int, date], datetime] = {}
    last: dict[tuple[int, date], datetime] = {}
    minute = (start - MARGIN).replace(second=0, microsecond=0)
    stop = end + MARGIN
    while minute < stop:
        for index, (rule, zone) in enumerate(zip(rules, zones, strict=True)):
            day = anchor(rule, minute.astimezone(zone).replace(tzinfo=None))
            if day is not None:
                first.setdefault((index, day), minute)
                last[(index, day)] = minute
        minute += MINUTE
    found = [
        (rules[key[0]].service, first[key], last[key] + MINUTE)
        for key in first
        if first[key] < end and last[key] + MINUTE > start and start < end
    ]
    return sorted(found)
