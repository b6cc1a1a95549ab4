"""Planned maintenance rules: one row of the policy's maintenance table (guide section 3, Table 2).

A ``WindowRule`` says "service S is maintained on these weekdays from ``start`` to ``end`` local
time in zone Z". Invariants, enforced on construction:

- ``weekdays`` is a non-empty, sorted tuple of distinct ISO-style indexes, Monday = 0 ... Sunday = 6.
- ``start`` and ``end`` are wall-clock times of day. An ``end`` not after its ``start`` crosses
  midnight into the next day (``22:00``-``05:00``); ``start == end`` is a whole 24-hour day.
  ``"24:00"`` is accepted as an end in the policy file and stored as ``00:00`` of the next day,
  which the crossing rule gives the same meaning.
- ``timezone`` is either an IANA key (``"EST"`` is the fixed zone UTC-05:00 all year, read
  literally as DOMAIN.md says) or ``"deployment"``: the PureEngage Cloud deployment's own zone,
  supplied by whoever expands the rule (the rule itself cannot know it).

``parse_maintenance_rows`` turns the policy file's ``[services.X] maintenance = [...]`` rows into
rules and is the one validator of that table: the whole-policy loader (``domain.sla.policy``) and
the ``caredesk maintenance windows`` command both call it, so they cannot disagree.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time, tzinfo
from functools import cache

from caredesk.domain.errors import InvalidPolicy, ValidationFailed

DEPLOYMENT = "deployment"
"""The ``timezone`` of a rule that runs in the deployment's own zone ("Local time" in Table 2)."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROW_KEYS = ("days", "start", "end", "timezone")

_HHMM = re.compile(r"^(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)$")
_SERVICE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class WindowRule:
    """One planned weekly window of one service, in wall-clock time of one zone."""

    service: str
    weekdays: tuple[int, ...]
    start: time
    end: time
    timezone: str

    def __post_init__(self) -> None:
        if not self.service:
            raise ValidationFailed("a maintenance rule needs a service", errors={"service": "required"})
        if not self.weekdays:
            raise ValidationFailed("a maintenance rule needs at least one weekday", errors={"weekdays": "required"})
        if any(not 0 <= d <= 6 for d in self.weekdays) or list(self.weekdays) != sorted(set(self.weekdays)):
            raise ValidationFailed(
                "weekdays must be distinct indexes 0 (Monday) to 6 (Sunday), in order",
                errors={"weekdays": "distinct indexes 0-6, sorted"},
            )
        for name, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise ValidationFailed(
                    f"{name} must be a naive wall-clock time to the minute",
                    errors={name: "naive HH:MM"},
                )
        if not self.timezone:
            raise ValidationFailed("a maintenance rule needs a time zone", errors={"timezone": "required"})

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the next local day (an end not after its start)."""
        return self.end <= self.start

    @property
    def needs_deployment_zone(self) -> bool:
        return self.timezone == DEPLOYMENT

    @property
    def day_names(self) -> tuple[str, ...]:
        return tuple(DAY_NAMES[d] for d in self.weekdays)

    def describe(self) -> str:
        """``"tue,thu 00:00-06:00 deployment"``: the row as the policy file would write it."""
        end = "24:00" if self.end == time(0) and self.start == time(0) else f"{self.end:%H:%M}"
        return f"{','.join(self.day_names)} {self.start:%H:%M}-{end} {self.timezone}"


# Names in some system tz databases that are not zones but aliases of the host's own setting:
# a policy or a deployment must never depend on the machine it runs on.
_HOST_ALIASES = frozenset({"localtime", "posixrules"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _HOST_ALIASES


def load_zone(key: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``key``; ``KeyError`` for anything that is not a canonical, known key.

    ``available_timezones`` is checked as well as ``ZoneInfo`` so that a case variant that a
    case-insensitive file system would happen to resolve ("est"), or the host alias "localtime"
    that some system databases list, is refused the same way on every platform.
    """
    if key not in _known_zones():
        raise KeyError(key)
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - tzdata hole
        raise KeyError(key) from exc


def resolve_zone(spec: str | tzinfo, *, field: str = "timezone") -> tzinfo:
    """A ``tzinfo`` for ``spec`` (an IANA key, or an already built tzinfo, returned as is)."""
    if isinstance(spec, tzinfo):
        return spec
    try:
        return load_zone(spec)
    except KeyError:
        raise ValidationFailed(
            f"unknown time zone {spec!r} (expected an IANA name such as 'America/New_York')",
            errors={field: f"unknown time zone {spec!r}"},
        ) from None


def _parse_hhmm(value: object, *, allow_24: bool) -> time | str:
    """A ``time``, or an error message."""
    if not isinstance(value, str):
        return 'expected a string "HH:MM"'
    if allow_24 and value == "24:00":
        return time(0)
    match = _HHMM.match(value)
    if match is None:
        bound = "00:00 to 24:00" if allow_24 else "00:00 to 23:59"
        return f'expected "HH:MM" from {bound}, got {value!r}'
    return time(int(match["h"]), int(match["m"]))


def _parse_days(value: object) -> tuple[int, ...] | str:
    if not isinstance(value, list) or not value:
        return f"expected a non-empty list of weekday names ({', '.join(DAY_NAMES)})"
    days: list[int] = []
    for item in value:
        if not isinstance(item, str) or item not in DAY_NAMES:
            return f"unknown weekday {item!r}; expected one of {', '.join(DAY_NAMES)}"
        index = DAY_NAMES.index(item)
        if index in days:
            return f"weekday {item!r} is listed twice"
        days.append(index)
    return tuple(sorted(days))


def _parse_timezone(value: object) -> str | tuple[str]:
    """The zone spec, or a one-tuple holding the error message."""
    if not isinstance(value, str) or not value:
        return (f'expected an IANA zone name or "{DEPLOYMENT}"',)
    if value == DEPLOYMENT:
        return value
    try:
        load_zone(value)
    except KeyError:
        return (f'unknown time zone {value!r}; expected an IANA zone name or "{DEPLOYMENT}"',)
    return value


def parse_maintenance_rows(service: str, rows: object) -> tuple[WindowRule, ...]:
    """Validate one service's ``maintenance`` rows (policy data) and build its rules.

    ``rows`` is what ``tomllib`` gives for ``[services.<service>] maintenance``: a list of tables
    ``{days, start, end, timezone}``. An empty list is a service with no planned maintenance.
    Every problem is reported at once in ``InvalidPolicy.errors``, keyed by its path in the file,
    e.g. ``{"services.premier_edition.maintenance[0].days": "unknown weekday 'tues'; ..."}``.
    """
    prefix = f"services.{service}.maintenance"
    errors: dict[str, str] = {}
    if not isinstance(service, str) or not _SERVICE.match(service):
        errors[f"services.{service}"] = (
            "a service name is lower-case letters, digits and underscores, starting with a letter"
        )
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        errors[prefix] = "expected a list of tables {days, start, end, timezone}"
        rows = ()
    rules: list[WindowRule] = []
    for index, row in enumerate(rows):
        path = f"{prefix}[{index}]"
        if not isinstance(row, Mapping):
            errors[path] = "expected a table {days, start, end, timezone}"
            continue
        row_errors: dict[str, str] = {}
        for key in row:
            if key not in ROW_KEYS:
                row_errors[f"{path}.{key}"] = f"unknown key; expected {', '.join(ROW_KEYS)}"
        for key in ROW_KEYS:
            if key not in row:
                row_errors[f"{path}.{key}"] = "required"
        days = _parse_days(row["days"]) if "days" in row else ()
        start = _parse_hhmm(row["start"], allow_24=False) if "start" in row else time(0)
        end = _parse_hhmm(row["end"], allow_24=True) if "end" in row else time(0)
        zone = _parse_timezone(row["timezone"]) if "timezone" in row else ""
        if isinstance(days, str):
            row_errors[f"{path}.days"] = days
        if isinstance(start, str):
            row_errors[f"{path}.start"] = start
        if isinstance(end, str):
            row_errors[f"{path}.end"] = end
        if isinstance(zone, tuple):
            row_errors[f"{path}.timezone"] = zone[0]
        if row_errors:
            errors.update(row_errors)
            continue
        assert isinstance(days, tuple) and isinstance(start, time)
        assert isinstance(end, time) and isinstance(zone, str)
        rules.append(WindowRule(service, days, start, end, zone))
    if errors:
        first_path, first_message = next(iter(errors.items()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidPolicy(
            f"maintenance table of service {service!r} is invalid: {first_path}: {first_message}{more}",
            errors=errors,
        )
    return tuple(rules)
