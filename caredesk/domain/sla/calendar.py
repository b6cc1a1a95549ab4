"""Business calendars: when the business clock runs, and arithmetic on it (DOMAIN.md "Clocks").

Concept. A ``BusinessCalendar`` is an IANA time zone, for each weekday a list of periods
``[start, end)`` in local wall-clock time (several = split shift; an end not after its start
crosses midnight into the next day; ``"24:00"`` is allowed as an end), and holidays (explicit
local dates and/or a country and subdivision whose public holidays the ``holidays`` package
knows). A holiday is a whole local date on which no period that *starts* on it counts.

Business time is the real elapsed time of the instants whose local wall-clock time lies inside a
period of a non-holiday day. So a period that a DST change shortens is shorter, one that it
lengthens is longer (and on a fall-back night it may even be two pieces of UTC time), and a
period that starts inside a skipped hour starts when the clock jumps. Overlapping periods count
once.

Invariants.
- ``add(start, s)`` is the earliest instant at which ``s`` business seconds have elapsed since
  ``start``: it may be exactly a closing time, never the next opening; ``add(start, 0)`` is
  ``start``. ``elapsed(start, add(start, s)) == s`` and both are monotone (non-decreasing) in each
  argument. Outputs are aware UTC datetimes (or POSIX seconds for the batch API).
- Negative or NaN amounts are refused (``ValueError``); naive datetimes are refused.
- A calendar is immutable; equal CAL dictionaries give equal (and equally hashing) calendars.

Design (for speed). Each calendar lazily compiles, for a span of local years, the sorted UTC
business intervals ``[S[i], E[i])`` (integer POSIX seconds, merged) and the cumulative business
seconds ``C0[i]`` before interval ``i`` and ``C1[i]`` at its end. ``elapsed`` is two ``bisect``
lookups; ``add`` is one ``bisect`` on ``E`` and one on ``C1``, so a 30-business-day target costs
the same as a two-hour one. The table is valid on the UTC range ``[lo, hi)``, which lies at least
three days inside the compiled local years (no period of a neighbouring date can reach it); a
query outside it extends the table (rebuilt from per-year pieces that are cached). The batch API
does the same with ``numpy.searchsorted``. ``numpy`` and ``holidays`` are imported only when
needed, so the JSON-Lines tools start fast.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from caredesk.domain.errors import InvalidCalendar
from caredesk.domain.sla._calzone import country_holidays, offset_steps, validate_country

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from caredesk.domain.sla._calindex import BucketIndex

__all__ = ["DAY_NAMES", "BusinessCalendar"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 86400
_WEEK = 7 * _DAY
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MARGIN = 3 * _DAY  # > longest period reach (2 days of wall time) + largest UTC offset (26 h)
_OFFSET_REACH = 100_000  # > any UTC offset in seconds
_MIN_YEAR, _MAX_YEAR = 3, 9996  # compiled years stay well inside datetime's 1..9999
_MAX_SPAN_YEARS = 200  # one table never covers more; a query further away starts a new one
_INF = float("inf")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_KEYS = (
    "timezone",
    "hours",
    "holidays",
    "holiday_country",
    "holiday_subdivision",
    "business_day_hours",
)
_DEFAULT_HOURS: dict[str, list[list[str]]] = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class _Table(NamedTuple):
    """Compiled business intervals, valid for UTC instants in ``[lo, hi)``.

    ``S``/``E`` are interval starts/ends, ``C0``/``C1`` the business seconds before each
    interval's start/end. A sentinel interval ``[hi, inf)`` with ``C0 = total``, ``C1 = inf``
    closes every list, so a bisect never runs off the end.
    """

    lo: float
    hi: float
    S: list[float]
    E: list[float]
    C0: list[float]
    C1: list[float]
    total: float
    y0: int
    y1: int


class _Arrays(NamedTuple):
    """The table as NumPy arrays, with bucketed searches over ``E`` and ``C1``."""

    table: _Table
    S: npt.NDArray[np.float64]
    E: npt.NDArray[np.float64]
    C0: npt.NDArray[np.float64]
    C1: npt.NDArray[np.float64]
    by_time: BucketIndex
    by_business: BucketIndex


def _year_of(t: float) -> int:
    try:
        return datetime.fromtimestamp(t, UTC).year
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"instant {t!r} is outside the supported range") from exc


def _naive(name: str) -> ValueError:
    return ValueError(f"{name} must be an aware datetime (with a UTC offset), not a naive one")


def _minutes(text: str) -> int:
    if text == "24:00":
        return 24 * 60
    m = _TIME.match(text)
    assert m is not None
    return int(m.group(1)) * 60 + int(m.group(2))


class BusinessCalendar:
    """An IANA time zone, weekly periods and holidays; see the module docstring."""

    __slots__ = (
        "_arrays",
        "_bd_explicit",
        "_country",
        "_explicit",
        "_hours",
        "_key",
        "_periods",
        "_pieces",
        "_subdivision",
        "_tab",
        "_weekly",
        "_zone",
        "business_day_seconds",
        "timezone",
    )

    timezone: str
    business_day_seconds: float

    def __init__(
        self,
        timezone: str,
        hours: Mapping[str, list[list[str]]],
        holidays: frozenset[date] = frozenset(),
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        business_day_hours: float | None = None,
    ) -> None:
        """Build from already-validated parts; use ``from_dict`` for untrusted input."""
        self.timezone = timezone
        self._zone = ZoneInfo(timezone)
        self._hours = {day: tuple((p[0], p[1]) for p in hours.get(day, ())) for day in DAY_NAMES}
        self._explicit = frozenset(d.toordinal() for d in holidays)
        self._country = holiday_country
        self._subdivision = holiday_subdivision
        self._bd_explicit = business_day_hours
        periods: list[tuple[tuple[int, int], ...]] = []
        for day in DAY_NAMES:
            spans = []
            for s_text, e_text in self._hours[day]:
                s, e = _minutes(s_text) * 60, _minutes(e_text) * 60
                if e <= s:
                    e += _DAY
                spans.append((s, e))
            periods.append(tuple(spans))
        self._periods = tuple(periods)
        self._weekly = _weekly_seconds(self._periods)
        days_with_periods = sum(1 for spans in self._periods if spans)
        if business_day_hours is not None:
            self.business_day_seconds = float(business_day_hours) * 3600.0
        else:
            self.business_day_seconds = self._weekly / max(days_with_periods, 1)
        self._key = (
            timezone,
            tuple(self._hours[d] for d in DAY_NAMES),
            self._explicit,
            holiday_country,
            holiday_subdivision,
            None if business_day_hours is None else float(business_day_hours),
        )
        self._tab: _Table | None = None
        self._arrays: _Arrays | None = None
        self._pieces: dict[int, list[tuple[float, float]]] = {}

    # ------------------------------------------------------------------ construction

    @classmethod
    def default(cls, timezone: str) -> BusinessCalendar:
        """The vendor default: Mon-Fri 09:00-17:00 in ``timezone``, no holidays."""
        return cls.from_dict({"timezone": timezone})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Validate a CAL dictionary (issue 3 item 4) and build the calendar.

        Raises ``InvalidCalendar`` whose ``errors`` maps every faulty field path to a message.
        """
        errors: dict[str, str] = {}
        if not isinstance(data, Mapping):
            raise InvalidCalendar(
                "invalid calendar: expected a JSON object",
                errors={"calendar": "expected a JSON object"},
            )
        for key in data:
            if key not in _KEYS:
                errors[str(key)] = f"unknown key; expected one of {', '.join(_KEYS)}"

        timezone = data.get("timezone")
        if timezone is None:
            errors["timezone"] = "required: an IANA time zone such as 'America/New_York'"
        elif not isinstance(timezone, str) or not _zone_exists(timezone):
            errors["timezone"] = f"unknown IANA time zone {timezone!r}"

        hours = data.get("hours")
        parsed_hours: dict[str, list[list[str]]] = {}
        if hours is None:
            parsed_hours = {day: [list(p) for p in spans] for day, spans in _DEFAULT_HOURS.items()}
        elif not isinstance(hours, Mapping):
            errors["hours"] = "expected an object mapping 'mon'..'sun' to lists of periods"
        else:
            for day, spans in hours.items():
                path = f"hours.{day}"
                if day not in DAY_NAMES:
                    errors[path] = f"unknown weekday; expected one of {', '.join(DAY_NAMES)}"
                    continue
                if spans is None:
                    spans = []
                if not isinstance(spans, list):
                    errors[path] = 'expected a list of periods such as [["09:00", "17:00"]]'
                    continue
                good: list[list[str]] = []
                for n, period in enumerate(spans):
                    message = _period_problem(period)
                    if message:
                        errors[f"{path}[{n}]"] = message
                    else:
                        good.append([period[0], period[1]])
                parsed_hours[day] = good
            if not any(isinstance(s, list) and s for s in hours.values()):
                errors.setdefault("hours", "the calendar has no business hours at all")

        explicit: set[date] = set()
        listed = data.get("holidays")
        if listed is not None:
            if not isinstance(listed, list):
                errors["holidays"] = "expected a list of dates such as ['2026-12-25']"
            else:
                for n, text in enumerate(listed):
                    day_value = _parse_date(text)
                    if day_value is None:
                        errors[f"holidays[{n}]"] = f"{text!r} is not a date YYYY-MM-DD"
                    else:
                        explicit.add(day_value)

        country = data.get("holiday_country")
        subdivision = data.get("holiday_subdivision")
        if country is not None and not isinstance(country, str):
            errors["holiday_country"] = "expected a country code such as 'US'"
        if subdivision is not None and not isinstance(subdivision, str):
            errors["holiday_subdivision"] = "expected a subdivision code such as 'CA'"
        elif subdivision is not None and country is None:
            errors["holiday_subdivision"] = "a subdivision needs a holiday_country"
        if isinstance(country, str) and "holiday_country" not in errors:
            problem = validate_country(country, subdivision if isinstance(subdivision, str) else None)
            if problem:
                where = (
                    "holiday_subdivision" if subdivision is not None and "subdivision" in problem else "holiday_country"
                )
                errors[where] = f"the holidays package does not know it: {problem}"

        bd_hours = data.get("business_day_hours")
        if bd_hours is not None and (
            isinstance(bd_hours, bool) or not isinstance(bd_hours, int | float) or not 0 < bd_hours <= 24
        ):
            errors["business_day_hours"] = "expected a number of hours above 0 and at most 24"

        if errors:
            listing = "; ".join(f"{path}: {message}" for path, message in errors.items())
            raise InvalidCalendar(f"invalid calendar: {listing}", errors=errors)
        assert isinstance(timezone, str)
        return cls(
            timezone,
            parsed_hours,
            frozenset(explicit),
            country,
            subdivision,
            None if bd_hours is None else float(bd_hours),
        )

    def to_dict(self) -> dict[str, Any]:
        """The CAL dictionary; ``from_dict(cal.to_dict()) == cal``."""
        return {
            "timezone": self.timezone,
            "hours": {day: [list(p) for p in self._hours[day]] for day in DAY_NAMES if self._hours[day]},
            "holidays": [date.fromordinal(o).isoformat() for o in sorted(self._explicit)],
            "holiday_country": self._country,
            "holiday_subdivision": self._subdivision,
            "business_day_hours": self._bd_explicit,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BusinessCalendar) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"BusinessCalendar.from_dict({self.to_dict()!r})"

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        """Pickle (and copy) as the CAL dictionary; compiled tables are rebuilt on demand."""
        return (BusinessCalendar.from_dict, (self.to_dict(),))

    # ------------------------------------------------------------------ one at a time

    def add(self, start: datetime, business_seconds: float) -> datetime:
        """The earliest instant (UTC) at which ``business_seconds`` have elapsed since ``start``."""
        if start.tzinfo is None:
            raise _naive("start")
        t = start.timestamp()
        if business_seconds > 0:
            tab = self._tab
            if tab is None or not tab.lo <= t < tab.hi:
                tab = self._ensure(t, t)
            S = tab.S
            C0 = tab.C0
            i = bisect_right(tab.E, t)
            s = S[i]
            target = (C0[i] + (t - s) if t > s else C0[i]) + business_seconds
            if target > tab.total:
                return datetime.fromtimestamp(self._add_far(t, float(business_seconds)), UTC)
            C1 = tab.C1
            j = bisect_left(C1, target)
            return datetime.fromtimestamp(tab.E[j] - (C1[j] - target), UTC)
        if business_seconds == 0:
            return start.astimezone(UTC)
        raise ValueError(f"business_seconds must not be negative or NaN, got {business_seconds!r}")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds in ``[start, end)``; 0 if ``end <= start``."""
        if start.tzinfo is None:
            raise _naive("start")
        if end.tzinfo is None:
            raise _naive("end")
        a = start.timestamp()
        b = end.timestamp()
        if b <= a:
            return 0.0
        tab = self._tab
        if tab is None or not (tab.lo <= a and b < tab.hi):
            tab = self._ensure(a, b)
        S = tab.S
        E = tab.E
        C0 = tab.C0
        i = bisect_right(E, a)
        s = S[i]
        ca = C0[i] + (a - s) if a > s else C0[i]
        i = bisect_right(E, b)
        s = S[i]
        return (C0[i] + (b - s) if b > s else C0[i]) - ca

    def add_posix(self, start: float, business_seconds: float) -> float:
        """``add`` on POSIX seconds (float in, float out), for tools that never build datetimes."""
        if not business_seconds > 0:
            if business_seconds == 0:
                return start
            raise ValueError(f"business_seconds must not be negative or NaN, got {business_seconds!r}")
        if start != start:
            raise ValueError("start must not be NaN")
        tab = self._tab
        if tab is None or not tab.lo <= start < tab.hi:
            tab = self._ensure(start, start)
        i = bisect_right(tab.E, start)
        s = tab.S[i]
        target = (tab.C0[i] + (start - s) if start > s else tab.C0[i]) + business_seconds
        if target > tab.total:
            return self._add_far(start, float(business_seconds))
        C1 = tab.C1
        j = bisect_left(C1, target)
        return tab.E[j] - (C1[j] - target)

    def elapsed_posix(self, start: float, end: float) -> float:
        """``elapsed`` on POSIX seconds."""
        if not end > start:
            if end != end or start != start:
                raise ValueError("instants must not be NaN")
            return 0.0
        tab = self._tab
        if tab is None or not (tab.lo <= start and end < tab.hi):
            tab = self._ensure(start, end)
        S, E, C0 = tab.S, tab.E, tab.C0
        i = bisect_right(E, start)
        s = S[i]
        ca = C0[i] + (start - s) if start > s else C0[i]
        i = bisect_right(E, end)
        s = S[i]
        return (C0[i] + (end - s) if end > s else C0[i]) - ca

    def contains(self, instant: datetime) -> bool:
        """Whether the business clock runs at ``instant``."""
        if instant.tzinfo is None:
            raise _naive("instant")
        t = instant.timestamp()
        tab = self._tab
        if tab is None or not tab.lo <= t < tab.hi:
            tab = self._ensure(t, t)
        return tab.S[bisect_right(tab.E, t)] <= t

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The business intervals clipped to ``[start, end)``, in order, as UTC datetimes.

        Adjacent periods (a split shift with no gap, midnight-crossing days) come out merged.
        """
        if start.tzinfo is None:
            raise _naive("start")
        if end.tzinfo is None:
            raise _naive("end")
        a = start.timestamp()
        b = end.timestamp()
        if b <= a:
            return
        # Walk a year at a time so a long range never needs one huge table; an interval that
        # runs across a step is held back and joined with its continuation.
        held: tuple[float, float] | None = None
        t = a
        while t < b:
            year_end = datetime(_year_of(t) + 1, 1, 1, tzinfo=UTC).timestamp()
            stop = min(b, year_end)
            tab = self._ensure(t, stop)
            i = bisect_right(tab.E, t)
            S, E = tab.S, tab.E
            while S[i] < stop:
                lo_i, hi_i = max(S[i], t), min(E[i], stop)
                if held is not None:
                    if held[1] == lo_i:
                        lo_i = held[0]
                    else:
                        yield (datetime.fromtimestamp(held[0], UTC), datetime.fromtimestamp(held[1], UTC))
                held = (lo_i, hi_i)
                i += 1
            t = stop
        if held is not None:
            yield (datetime.fromtimestamp(held[0], UTC), datetime.fromtimestamp(held[1], UTC))

    # ------------------------------------------------------------------ batch (POSIX seconds)

    def add_many(
        self,
        starts: npt.NDArray[Any],
        business_seconds: npt.NDArray[Any] | float,
    ) -> npt.NDArray[np.float64]:
        """``add`` over arrays of POSIX seconds (int64 or float64); returns float64 seconds."""
        import numpy as np

        t = np.asarray(starts, dtype=np.float64)
        secs = np.asarray(business_seconds, dtype=np.float64)
        t, secs = np.broadcast_arrays(t, secs)
        if t.size == 0:
            return np.array(t, dtype=np.float64)
        if np.isnan(secs).any() or (secs < 0).any():
            raise ValueError("business_seconds must not be negative or NaN")
        if np.isnan(t).any():
            raise ValueError("starts must not be NaN")
        lo_t, hi_t = float(t.min()), float(t.max())
        while True:
            arrays = self._arrays_for(lo_t, hi_t)
            S, E, C0, C1 = arrays.S, arrays.E, arrays.C0, arrays.C1
            i = arrays.by_time.search(t)
            target = C0.take(i)
            target += np.maximum(t - S.take(i), 0.0)
            target += secs
            top = float(target.max())
            if top <= arrays.table.total:
                break
            self._grow_forward(lo_t, top - arrays.table.total)
        j = arrays.by_business.search(target)
        result = E.take(j)
        result -= C1.take(j)
        result += target
        zero = secs == 0
        if zero.any():
            result[zero] = t[zero]
        return result

    def elapsed_many(self, starts: npt.NDArray[Any], ends: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """``elapsed`` over arrays of POSIX seconds (int64 or float64); returns float64 seconds."""
        import numpy as np

        a = np.asarray(starts, dtype=np.float64)
        b = np.asarray(ends, dtype=np.float64)
        a, b = np.broadcast_arrays(a, b)
        if a.size == 0:
            return np.zeros(a.shape, dtype=np.float64)
        if np.isnan(a).any() or np.isnan(b).any():
            raise ValueError("instants must not be NaN")
        later = b > a
        # Only pairs that count need to be inside the table.
        lo_t = float(np.min(a, where=later, initial=_INF))
        hi_t = float(np.max(b, where=later, initial=-_INF))
        if lo_t == _INF:
            return np.zeros(a.shape, dtype=np.float64)
        arrays = self._arrays_for(lo_t, hi_t)
        S, C0 = arrays.S, arrays.C0
        lo, hi = arrays.table.lo, arrays.table.hi
        a_c = np.clip(a, lo, hi)
        b_c = np.clip(b, lo, hi)
        i = arrays.by_time.search(a_c)
        ca = C0.take(i)
        ca += np.maximum(a_c - S.take(i), 0.0)
        i = arrays.by_time.search(b_c)
        cb = C0.take(i)
        cb += np.maximum(b_c - S.take(i), 0.0)
        cb -= ca
        cb[~later] = 0.0
        return cb

    # ------------------------------------------------------------------ compiled tables

    def _arrays_for(self, lo_t: float, hi_t: float) -> _Arrays:
        import numpy as np

        from caredesk.domain.sla._calindex import BucketIndex

        tab = self._tab
        if tab is None or not (tab.lo <= lo_t and hi_t < tab.hi):
            tab = self._ensure(lo_t, hi_t)
        arrays = self._arrays
        if arrays is None or arrays.table is not tab:
            E = np.array(tab.E, dtype=np.float64)
            C1 = np.array(tab.C1, dtype=np.float64)
            arrays = _Arrays(
                tab,
                np.array(tab.S, dtype=np.float64),
                E,
                np.array(tab.C0, dtype=np.float64),
                C1,
                BucketIndex(E, tab.lo, tab.hi, "right", 2048.0),
                BucketIndex(C1, 0.0, tab.total, "left", 1024.0),
            )
            self._arrays = arrays
        return arrays

    def _add_far(self, t: float, seconds: float) -> float:
        """``add`` whose target lies beyond the compiled table: grow it, then answer."""
        if not math.isfinite(seconds):
            raise ValueError(f"business_seconds must be finite, got {seconds!r}")
        while True:
            tab = self._ensure(t, t)
            i = bisect_right(tab.E, t)
            s = tab.S[i]
            target = (tab.C0[i] + (t - s) if t > s else tab.C0[i]) + seconds
            if target <= tab.total:
                j = bisect_left(tab.C1, target)
                return tab.E[j] - (tab.C1[j] - target)
            self._grow_forward(t, target - tab.total)

    def _grow_forward(self, t: float, missing_seconds: float) -> None:
        """Compile further years ahead so that ``missing_seconds`` more business time fits."""
        tab = self._tab
        assert tab is not None
        per_year = max(self._weekly * 48.0, 1.0)  # a pessimistic yearly yield (holidays)
        y0, y1 = tab.y0, tab.y1 + max(2, math.ceil(missing_seconds / per_year) + 1)
        if y1 - y0 > _MAX_SPAN_YEARS:
            y0 = _year_of(t) - 1
            if y1 - y0 > _MAX_SPAN_YEARS:
                raise ValueError(f"the amount reaches more than {_MAX_SPAN_YEARS} years ahead")
        self._tab = self._build(y0, y1)

    def _ensure(self, a: float, b: float) -> _Table:
        """A table whose ``[lo, hi)`` holds ``a`` and ``b`` (``a <= b``)."""
        tab = self._tab
        if tab is not None and tab.lo <= a and b < tab.hi:
            return tab
        ya, yb = _year_of(a), _year_of(b)
        want0, want1 = ya - 1, yb + 2
        if want1 - want0 > _MAX_SPAN_YEARS:
            raise ValueError(f"a range of more than {_MAX_SPAN_YEARS} years is refused")
        if tab is None:
            y0, y1 = want0, want1
        else:
            y0, y1 = min(tab.y0, want0), max(tab.y1, want1)
            if y1 - y0 > _MAX_SPAN_YEARS:
                y0, y1 = want0, want1
        tab = self._build(y0, y1)
        self._tab = tab
        return tab

    def _build(self, y0: int, y1: int) -> _Table:
        if y0 < _MIN_YEAR or y1 > _MAX_YEAR:
            raise ValueError(f"instants must lie in the years {_MIN_YEAR + 1} to {_MAX_YEAR - 2}")
        raw: list[tuple[float, float]] = []
        for year in range(y0, y1):
            raw.extend(self._year_pieces(year))
        raw.sort()
        lo = float((date(y0, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY + _MARGIN)
        hi = float((date(y1, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY - _MARGIN)
        S: list[float] = []
        E: list[float] = []
        for s, e in raw:
            if e <= lo or s >= hi:
                continue
            s = max(s, lo)
            e = min(e, hi)
            if E and s <= E[-1]:
                if e > E[-1]:
                    E[-1] = e
            else:
                S.append(s)
                E.append(e)
        C0: list[float] = []
        C1: list[float] = []
        total = 0.0
        for s, e in zip(S, E, strict=True):
            C0.append(total)
            total += e - s
            C1.append(total)
        S.append(hi)
        E.append(_INF)
        C0.append(total)
        C1.append(_INF)
        return _Table(lo, hi, S, E, C0, C1, total, y0, y1)

    def _year_pieces(self, year: int) -> list[tuple[float, float]]:
        """UTC business intervals of the periods that start on the local dates of ``year``."""
        pieces = self._pieces.get(year)
        if pieces is not None:
            return pieces
        first = date(year, 1, 1).toordinal()
        last = date(year + 1, 1, 1).toordinal()
        wall0 = (first - _EPOCH_ORDINAL) * _DAY
        wall1 = (last - _EPOCH_ORDINAL) * _DAY
        times, offsets = offset_steps(self.timezone, wall0 - _MARGIN, wall1 + _MARGIN)
        n_steps = len(times)
        holidays = set(self._explicit)
        if self._country is not None:
            holidays |= country_holidays(self._country, self._subdivision, year)
        periods = self._periods
        pieces = []
        append = pieces.append
        for ordinal in range(first, last):
            if ordinal in holidays:
                continue
            spans = periods[(ordinal - 1) % 7]  # date.fromordinal(1) is a Monday
            if not spans:
                continue
            wall = (ordinal - _EPOCH_ORDINAL) * _DAY
            for s, e in spans:
                a_wall, b_wall = wall + s, wall + e
                k = bisect_right(times, a_wall - _OFFSET_REACH) - 1
                while k < n_steps and times[k] < b_wall + _OFFSET_REACH:
                    off = offsets[k]
                    lo = max(times[k], float(a_wall - off))
                    hi = float(b_wall - off)
                    if k + 1 < n_steps and times[k + 1] < hi:
                        hi = times[k + 1]
                    if lo < hi:
                        append((lo, hi))
                    k += 1
        if len(self._pieces) > 4 * _MAX_SPAN_YEARS:
            self._pieces.clear()
        self._pieces[year] = pieces
        return pieces


def _weekly_seconds(periods: tuple[tuple[tuple[int, int], ...], ...]) -> float:
    """Nominal (wall-clock) business seconds in a week, overlaps counted once."""
    spans: list[tuple[int, int]] = []
    for weekday, day_spans in enumerate(periods):
        for s, e in day_spans:
            a, b = weekday * _DAY + s, weekday * _DAY + e
            if b > _WEEK:
                spans.append((a, _WEEK))
                spans.append((0, b - _WEEK))
            else:
                spans.append((a, b))
    spans.sort()
    total = 0
    cur_s, cur_e = -1, -1
    for s, e in spans:
        if s > cur_e:
            total += cur_e - cur_s
            cur_s, cur_e = s, e
        elif e > cur_e:
            cur_e = e
    total += cur_e - cur_s
    return float(total)


def _period_problem(period: object) -> str | None:
    if not isinstance(period, list | tuple) or len(period) != 2:
        return 'expected a period ["HH:MM", "HH:MM"]'
    start, end = period
    if not isinstance(start, str) or not _TIME.match(start):
        return f'start {start!r} is not a time "HH:MM" from 00:00 to 23:59'
    if not isinstance(end, str) or not (end == "24:00" or _TIME.match(end)):
        return f'end {end!r} is not a time "HH:MM" from 00:00 to 24:00'
    return None


def _parse_date(text: object) -> date | None:
    if not isinstance(text, str) or not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_ZONES: dict[str, bool] = {}


def _zone_exists(name: str) -> bool:
    known = _ZONES.get(name)
    if known is None:
        try:
            ZoneInfo(name)
            known = bool(name) and name not in ("localtime", "posixrules")
        except (ValueError, KeyError, OSError):
            known = False
        _ZONES[name] = known
    return known
