"""Time-zone offsets and public holidays, as plain numbers for the business-calendar tables.

Concept: a zone's UTC offset is a step function of the UTC instant. ``offset_steps`` returns it
as ``(times, offsets)``: ``offsets[k]`` is the offset (seconds east of UTC) in force from
``times[k]`` (inclusive, POSIX seconds) until ``times[k + 1]``; ``times[0]`` is ``-inf``.
``country_holidays`` returns the local dates (proleptic ordinals) that the ``holidays`` package
lists for a country (and subdivision) in one year.

Invariants: both results are computed once per (zone, year) or (country, subdivision, year) and
cached for the life of the process; they depend only on the bundled tz and holidays data. Offset
changes are found to the exact second (tz data never changes offsets inside a second).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["country_holidays", "offset_steps", "validate_country"]

_SAMPLE = 12 * 3600  # since 1970 no zone changes its offset twice within six days
_EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()


def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    assert off is not None
    return int(off.total_seconds())


@lru_cache(maxsize=4096)
def _year_steps(zone_name: str, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Offset at the start of UTC ``year`` and every change ``(instant, new offset)`` in it."""
    zone = ZoneInfo(zone_name)
    lo = (datetime(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86400
    hi = (datetime(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86400
    first = previous = _offset(zone, lo)
    changes: list[tuple[int, int]] = []
    t = lo
    while t < hi:
        nxt = min(t + _SAMPLE, hi)
        off = _offset(zone, nxt) if nxt < hi else _offset(zone, hi - 1)
        if off != previous:
            # Bisect to the first second that has the new offset.
            a, b = t, nxt if nxt < hi else hi - 1
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == previous:
                    a = mid
                else:
                    b = mid
            changes.append((b, off))
            previous = off
        t = nxt
    return first, tuple(changes)


def offset_steps(zone_name: str, lo: int, hi: int) -> tuple[list[float], list[int]]:
    """The offset step function of ``zone_name`` over UTC instants ``[lo, hi)`` (POSIX seconds).

    ``times[0]`` is ``-inf`` so that a bisect always lands on a step; the last step runs to
    ``+inf`` (callers only ask about ``[lo, hi)``).
    """
    first_year = datetime.fromtimestamp(lo, UTC).year
    last_year = datetime.fromtimestamp(hi, UTC).year
    start_offset, _ = _year_steps(zone_name, first_year)
    times: list[float] = [float("-inf")]
    offsets: list[int] = [start_offset]
    for year in range(first_year, last_year + 1):
        for instant, off in _year_steps(zone_name, year)[1]:
            if off != offsets[-1]:
                times.append(float(instant))
                offsets.append(off)
    return times, offsets


def validate_country(country: str, subdivision: str | None) -> str | None:
    """None if the ``holidays`` package knows the country (and subdivision), else a message."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=4096)
def country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[int]:
    """Ordinals of the public holidays of ``country`` (and ``subdivision``) in ``year``."""
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(day.toordinal() for day in table if day.year == year)
