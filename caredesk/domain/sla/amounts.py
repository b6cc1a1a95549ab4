"""SLA amounts such as ``15m``, ``4h``, ``90bm``, ``6bh`` and ``2bd`` (DOMAIN.md "Clocks").

Concept. An ``Amount`` is a non-negative decimal number and a unit. ``m`` and ``h`` run on the
24x7 clock (absolute elapsed time); ``bm``, ``bh`` and ``bd`` run on the business clock of a
``BusinessCalendar``, where one ``bd`` is the calendar's business-day length (weekly business
hours / weekdays with any period, unless the calendar sets it). ``-`` in a policy means "not
applicable" and parses to ``None``.

Invariants. ``str()`` gives the notation back (``parse_amount(str(a)) == a``; ``".5bd"`` is
written ``"0.5bd"``); negative
amounts and anything else that does not parse raise ``InvalidAmount`` (a ``ValidationFailed``
with ``errors={"amount": message}``). 24x7 arithmetic is done in UTC, never in wall time, so
``4h`` across a DST change is four real hours. Outputs are aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from caredesk.domain.errors import InvalidAmount

if TYPE_CHECKING:
    from caredesk.domain.sla.calendar import BusinessCalendar

__all__ = ["UNITS", "Amount", "add_amount", "elapsed_on_clock", "parse_amount"]

# unit -> (seconds per unit on its clock, or None for "business days", business clock?)
UNITS: dict[str, tuple[int | None, bool]] = {
    "m": (60, False),
    "h": (3600, False),
    "bm": (60, True),
    "bh": (3600, True),
    "bd": (None, True),
}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(bm|bh|bd|m|h)\Z")
_EXPECTED = (
    "expected a non-negative number and a unit m, h (24x7 clock) or bm, bh, bd (business "
    "clock), such as '15m', '4h', '6bh' or '1.5bd', or '-' for not applicable"
)


@dataclass(frozen=True, slots=True)
class Amount:
    """A non-negative ``value`` in ``unit`` (one of ``m h bm bh bd``)."""

    value: Decimal | float
    unit: str
    # Precomputed at construction (exact, via Decimal): seconds for m/h/bm/bh; for bd the whole
    # number of days when the value is integral (then days * day length is exact in floats).
    _fixed: float | None = field(init=False, repr=False, compare=False, default=None)
    _days: int | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise InvalidAmount(f"unknown unit {self.unit!r}; {_EXPECTED}", errors={"amount": _EXPECTED})
        value = self.value
        if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
            raise InvalidAmount(f"amount value {value!r} is not a number", errors={"amount": _EXPECTED})
        if not Decimal(value).is_finite() or value < 0:
            message = f"SLA amounts must be finite and not negative, got {value!r}"
            raise InvalidAmount(message, errors={"amount": message})
        per_unit = UNITS[self.unit][0]
        exact = Decimal(value)
        if per_unit is not None:
            object.__setattr__(self, "_fixed", float(exact * per_unit))
        elif exact == exact.to_integral_value() and exact < 2**31:
            object.__setattr__(self, "_days", int(exact))

    @property
    def business(self) -> bool:
        """Whether the amount runs on the business clock (``bm``, ``bh``, ``bd``)."""
        return UNITS[self.unit][1]

    def seconds(self, calendar: BusinessCalendar | None = None) -> float:
        """Length in seconds on its own clock; ``bd`` needs the calendar's business-day length."""
        if self._fixed is not None:
            return self._fixed
        if calendar is None:
            raise ValueError("a business-day amount needs a calendar")
        if self._days is not None:
            return self._days * calendar.business_day_seconds
        return float(Decimal(self.value) * Decimal(calendar.business_day_seconds))

    def __str__(self) -> str:
        value = self.value
        text = format(value, "f") if isinstance(value, Decimal) else _float_text(value)
        return f"{text}{self.unit}"


def _float_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def parse_amount(text: str) -> Amount | None:
    """Parse ``"15m"``, ``"4h"``, ``"90bm"``, ``"6bh"``, ``"2bd"``, ``"1.5bd"``; ``"-"`` is None."""
    if isinstance(text, str):
        return _parse_cached(text)
    message = f"an SLA amount must be text such as '6bh', got {text!r}"
    raise InvalidAmount(message, errors={"amount": message})


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Amount | None:
    stripped = text.strip()
    if stripped == "-":
        return None
    m = _AMOUNT.match(stripped)
    if m is None:
        if stripped.startswith("-") and _AMOUNT.match(stripped[1:]):
            message = f"negative SLA amounts are refused: {stripped!r}"
        else:
            message = f"{text!r} is not an SLA amount; {_EXPECTED}"
        raise InvalidAmount(message, errors={"amount": message})
    return Amount(Decimal(m.group(1)), m.group(2))


def add_amount(calendar: BusinessCalendar, start: datetime, amount: Amount) -> datetime:
    """The due instant (UTC) of ``amount`` counted from ``start`` on the amount's clock."""
    if amount.business:
        return calendar.add(start, amount.seconds(calendar))
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime (with a UTC offset), not a naive one")
    # In UTC: aware arithmetic in a local zone would add wall-clock time across DST changes.
    return start.astimezone(UTC) + timedelta(seconds=amount.seconds())


def elapsed_on_clock(calendar: BusinessCalendar, start: datetime, end: datetime, *, business: bool) -> float:
    """Seconds in ``[start, end)`` on the business clock or the 24x7 clock; 0 if none."""
    if business:
        return calendar.elapsed(start, end)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("instants must be aware datetimes (with a UTC offset)")
    return max(0.0, end.timestamp() - start.timestamp())
