"""Maintenance windows: planned occurrences, per-account moves, notices, and "in a window at t?".

Concepts
- An **occurrence** is one concrete window ``[start, end)`` in UTC. Planned occurrences come from
  the ``WindowRule`` rows of the policy; *moved* ones are planned occurrences that Customer Care
  rescheduled for one End User Account; *notice* ones are unplanned or emergency maintenance that
  applies to everyone using the service.
- A planned occurrence is identified by ``(service, original start)``; that is what a ``Move``
  names, and what stays in ``Occurrence.moved_from`` after the move.

Invariants
- All instants are aware; results are in UTC. Half-open intervals throughout: an occurrence
  contains ``start`` and not ``end`` (never empty: ``start < end``); it overlaps ``[a, b)`` iff
  ``start < b and end > a``.
- ``occurrences`` returns every planned occurrence overlapping the asked interval, whole and
  unclipped (one that began the day before ``start`` is included), in time order; an empty asked
  interval (``start == end``) overlaps nothing.
- Local wall-clock time follows the business-calendar rule of DOMAIN.md: the occurrence holds the
  instants whose wall-clock time lies in the rule's ``[start, end)`` on its anchor day. A DST change
  inside it makes it shorter or longer in real time (a 00:00-06:00 window is 5 or 7 hours on those
  nights); a start or end that falls in a skipped hour is the instant the clock jumps. An
  occurrence is always one unbroken interval, from the first to the last of those instants, never
  split in two around a repeated hour: when the clock goes back across its end, it runs until the
  clock reaches the end the second time (a window ending at 01:30 in New York on the night 02:00
  EDT becomes 01:00 EST ends at 01:30 EST). An occurrence left empty by a skipped hour does not
  exist.
- Nothing here reads the clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance.rules import (
    DEPLOYMENT,
    WindowRule,
    parse_maintenance_rows,
    resolve_zone,
)

__all__ = [
    "Move",
    "Notice",
    "Occurrence",
    "Source",
    "WindowRule",
    "as_utc",
    "in_window",
    "merge_schedule",
    "occurrences",
    "parse_maintenance_rows",
    "schedule",
]

Source = Literal["planned", "moved", "notice"]

_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_SOURCE_ORDER: dict[str, int] = {"planned": 0, "moved": 1, "notice": 2}


def as_utc(value: datetime, field: str) -> datetime:
    """``value`` in UTC; a naive datetime is refused (its zone would be a guess)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"{field} must be an aware date-time with a UTC offset, got {value!r}",
            errors={field: "expected an aware date-time (with a UTC offset)"},
        )
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Notice:
    """Unplanned or emergency maintenance posted by Customer Care for everyone using ``service``.

    ``ref`` is the caller's stable identifier (the notice's row id); calendar feeds use it in the
    event UID so that an edited notice updates the same event.
    """

    service: str
    start: datetime
    end: datetime
    reason: str
    emergency: bool = False
    ref: str = ""

    def __post_init__(self) -> None:
        start = as_utc(self.start, "start")
        end = as_utc(self.end, "end")
        if end <= start:
            raise ValidationFailed("a maintenance notice must end after it starts", errors={"end": "not after start"})
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True, slots=True)
class Move:
    """An accepted reschedule of one planned occurrence, for one End User Account.

    The occurrence of ``service`` that was planned to start at ``original_start`` starts at
    ``new_start`` instead and keeps its duration.
    """

    service: str
    original_start: datetime
    new_start: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "original_start", as_utc(self.original_start, "original_start"))
        object.__setattr__(self, "new_start", as_utc(self.new_start, "new_start"))


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete maintenance window ``[start, end)`` in UTC."""

    service: str
    start: datetime
    end: datetime
    rule: WindowRule | None = None
    source: Source = "planned"
    moved_from: datetime | None = None
    notice: Notice | None = None

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValidationFailed(
                "a maintenance occurrence must end after it starts", errors={"end": "not after start"}
            )

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def planned_start(self) -> datetime:
        """The start that identifies the planned occurrence (before any move)."""
        return self.moved_from if self.moved_from is not None else self.start

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and self.end > start


def _order(occurrence: Occurrence) -> tuple[datetime, datetime, str, int, str]:
    rule = occurrence.rule.describe() if occurrence.rule is not None else ""
    return (
        occurrence.start,
        occurrence.end,
        occurrence.service,
        _SOURCE_ORDER[occurrence.source],
        rule,
    )


# --- wall clock -> instants -------------------------------------------------------------------


def _wall(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _candidates(wall: datetime, tz: tzinfo) -> tuple[list[datetime], datetime, datetime]:
    """The UTC instants whose wall-clock time in ``tz`` is exactly ``wall`` (0, 1 or 2 of them),
    plus the two fold readings, which bracket the jump when there are none."""
    u0 = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    u1 = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    real = sorted({u for u in (u0, u1) if _wall(u, tz) == wall})
    return real, u0, u1


def _jump(wall: datetime, tz: tzinfo, a: datetime, b: datetime) -> datetime:
    """The instant the clock jumps over ``wall`` (which does not exist in ``tz``).

    Between ``a`` and ``b`` (the two fold readings of ``wall``) the wall clock only moves forward
    except for the one jump, so "wall clock has reached ``wall``" is monotonic there; bisect it to
    the second, the resolution of the tz database.
    """
    lo, hi = min(a, b), max(a, b)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp()) + 1
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), tz) >= wall:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def first_instant(wall: datetime, tz: tzinfo) -> datetime:
    """The first instant at which the clock in ``tz`` shows ``wall`` or has jumped past it."""
    real, u0, u1 = _candidates(wall, tz)
    return real[0] if real else _jump(wall, tz, u0, u1)


def last_instant(wall: datetime, tz: tzinfo) -> datetime:
    """The last instant at which the clock in ``tz``, running forward, reaches ``wall`` or jumps
    past it: the end of the instants whose wall-clock time is just below ``wall``.

    When the clock is set back *to* exactly ``wall`` (Havana: 01:00 back to 00:00), the second
    showing is arrived at from above, so it ends nothing: the first showing is the end.
    """
    real, u0, u1 = _candidates(wall, tz)
    if not real:
        return _jump(wall, tz, u0, u1)
    last = real[-1]
    if len(real) > 1 and _wall(last - _TICK, tz) >= wall:
        return real[0]
    return last


# --- planned occurrences ----------------------------------------------------------------------


def _zone_for(rule: WindowRule, deployment: tzinfo | None, cache: dict[str, tzinfo]) -> tzinfo:
    if rule.timezone == DEPLOYMENT:
        if deployment is None:
            raise ValidationFailed(
                f"the maintenance windows of {rule.service!r} run in the deployment's local time: "
                "give the deployment's time zone",
                errors={"deployment_tz": f"required for {rule.service!r}"},
            )
        return deployment
    if rule.timezone not in cache:
        cache[rule.timezone] = resolve_zone(rule.timezone, field=f"{rule.service}.timezone")
    return cache[rule.timezone]


def occurrence_on(rule: WindowRule, day: date, tz: tzinfo) -> Occurrence | None:
    """The occurrence of ``rule`` anchored on local ``day`` (ignoring its weekdays), if not empty."""
    end_day = day + _ONE_DAY if rule.crosses_midnight else day
    start = first_instant(datetime.combine(day, rule.start), tz)
    end = last_instant(datetime.combine(end_day, rule.end), tz)
    if end <= start:
        return None
    return Occurrence(rule.service, start, end, rule)


def _days(first: date, last: date) -> Iterable[date]:
    # Counted rather than "day += 1 until past last": 9999-12-31 has no successor.
    for offset in range((last - first).days + 1):
        yield first + offset * _ONE_DAY


def occurrences(
    rules: Iterable[WindowRule],
    start: datetime,
    end: datetime,
    *,
    deployment_tz: str | tzinfo | None = None,
) -> list[Occurrence]:
    """Every planned occurrence of ``rules`` that overlaps ``[start, end)``, whole, in time order.

    ``deployment_tz`` is the zone of rules whose timezone is ``"deployment"``; it is required only
    when such a rule is expanded, but validated whenever given.
    """
    start_u = as_utc(start, "start")
    end_u = as_utc(end, "end")
    if end_u < start_u:
        raise ValidationFailed(
            f"the interval ends ({end_u:%Y-%m-%dT%H:%M:%SZ}) before it starts ({start_u:%Y-%m-%dT%H:%M:%SZ})",
            errors={"end": "before start"},
        )
    deployment = None if deployment_tz is None else resolve_zone(deployment_tz, field="deployment_tz")
    zones: dict[str, tzinfo] = {}
    found: list[Occurrence] = []
    try:
        for rule in rules:
            tz = _zone_for(rule, deployment, zones)
            if end_u == start_u:  # still resolved the zone above: the same errors as any interval
                continue
            # By wall clock an occurrence anchored on the local day before ``start``'s can reach it
            # (a window that crosses midnight); one more day covers a clock that falls back across
            # midnight. None anchored after the local date of ``end`` can start before it.
            first = start_u.astimezone(tz).date() - 2 * _ONE_DAY
            last = end_u.astimezone(tz).date()
            for day in _days(first, last):
                if day.weekday() not in rule.weekdays:
                    continue
                occurrence = occurrence_on(rule, day, tz)
                if occurrence is not None and occurrence.overlaps(start_u, end_u):
                    found.append(occurrence)
    except OverflowError:
        raise ValidationFailed(
            "the interval reaches beyond the dates this calendar can represent (years 1-9999)",
            errors={"end": "out of range"},
        ) from None
    found.sort(key=_order)
    return found


# --- moves, notices, the effective schedule ---------------------------------------------------


def _moved(occurrence: Occurrence, move: Move) -> Occurrence:
    return replace(
        occurrence,
        start=move.new_start,
        end=move.new_start + occurrence.duration,
        source="moved",
        moved_from=occurrence.start,
    )


def _notice_occurrence(notice: Notice) -> Occurrence:
    return Occurrence(notice.service, notice.start, notice.end, None, "notice", notice=notice)


def _index_moves(moves: Iterable[Move]) -> dict[tuple[str, datetime], Move]:
    index: dict[tuple[str, datetime], Move] = {}
    for position, move in enumerate(moves):
        key = (move.service, move.original_start)
        if key in index:
            raise ValidationFailed(
                f"the occurrence of {move.service!r} planned at "
                f"{move.original_start:%Y-%m-%dT%H:%M:%SZ} is moved twice",
                errors={f"moves[{position}]": "this occurrence is already moved"},
            )
        index[key] = move
    return index


def merge_schedule(planned: Iterable[Occurrence], moves: Iterable[Move], notices: Iterable[Notice]) -> list[Occurrence]:
    """The effective schedule of one account: planned occurrences, each one named by a move
    replaced by its moved occurrence, plus the notices, in time order.

    A move whose original occurrence is not in ``planned`` is not applied here: ``planned`` is a
    slice of time, and that occurrence lies outside it (``schedule`` fetches the originals of every
    move, so use it when a moved occurrence may land inside the slice from outside).
    """
    index = _index_moves(moves)
    merged: list[Occurrence] = []
    for occurrence in planned:
        move = index.get((occurrence.service, occurrence.start))
        if occurrence.source == "planned" and move is not None:
            merged.append(_moved(occurrence, move))
        else:
            merged.append(occurrence)
    merged.extend(_notice_occurrence(notice) for notice in notices)
    merged.sort(key=_order)
    return merged


def schedule(
    rules: Iterable[WindowRule],
    start: datetime,
    end: datetime,
    *,
    deployment_tz: str | tzinfo | None = None,
    moves: Iterable[Move] = (),
    notices: Iterable[Notice] = (),
) -> list[Occurrence]:
    """The effective occurrences (planned, moved, notices) of one account overlapping
    ``[start, end)``, whole, in time order.

    Unlike ``merge_schedule`` this finds the original of every move wherever it lies, so an
    occurrence moved into the interval from outside is there and one moved out of it is not. A move
    that names no planned occurrence is refused.
    """
    rules = tuple(rules)
    moves = tuple(moves)
    start_u = as_utc(start, "start")
    end_u = as_utc(end, "end")
    planned = occurrences(rules, start_u, end_u, deployment_tz=deployment_tz)
    pool: dict[Occurrence, None] = dict.fromkeys(planned)
    for position, move in enumerate(moves):
        service_rules = [rule for rule in rules if rule.service == move.service]
        originals = [
            occurrence
            for occurrence in occurrences(
                service_rules,
                move.original_start,
                move.original_start + _TICK,
                deployment_tz=deployment_tz,
            )
            if occurrence.start == move.original_start
        ]
        if not originals:
            raise ValidationFailed(
                f"no planned occurrence of {move.service!r} starts at {move.original_start:%Y-%m-%dT%H:%M:%SZ}",
                errors={f"moves[{position}].original_start": "no planned occurrence starts here"},
            )
        pool.update(dict.fromkeys(originals))
    notice_list = [n for n in notices if n.start < end_u and n.end > start_u]
    merged = merge_schedule(pool, moves, notice_list)
    if start_u == end_u:
        return []
    return [occurrence for occurrence in merged if occurrence.overlaps(start_u, end_u)]


def in_window(
    rules: Iterable[WindowRule],
    instant: datetime,
    *,
    deployment_tz: str | tzinfo | None = None,
    moves: Iterable[Move] = (),
    notices: Iterable[Notice] = (),
    service: str | None = None,
) -> Occurrence | None:
    """The occurrence that holds ``instant`` (``start <= instant < end``), or None.

    "Is service S of account A in a window at t": pass S's rules, A's accepted moves and the
    notices of S (or pass more and name ``service``). When several hold ``instant``, the one that
    began first is returned.
    """
    at = as_utc(instant, "instant")
    if service is not None:
        rules = [rule for rule in rules if rule.service == service]
        moves = [move for move in moves if move.service == service]
        notices = [notice for notice in notices if notice.service == service]
    # With microsecond instants, overlapping [at, at + 1 us) is exactly holding ``at``.
    holding = schedule(rules, at, at + _TICK, deployment_tz=deployment_tz, moves=moves, notices=notices)
    return holding[0] if holding else None
