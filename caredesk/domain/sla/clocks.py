"""Target clocks: a case's response, restoration and resolution targets as a pure fold over events.

Concept. A case's SLA history is a list of ``SlaEvent``s in time order: ``submitted(severity)``,
``severity_changed(severity)``, ``responded``, ``awaiting_reseller``, ``resumed``, ``restored``,
``resolved(code)`` and ``reopened``. ``fold_clocks`` walks them with the policy's targets for the
case's package and the End User Account's business calendar and returns the ``ClockState`` as of an
instant: for each target its state (met, breached, running, paused, not_applicable, cancelled), due
instant, met instant and warning instant, plus the post-mortem due instant. Nothing here reads the
clock, a database or a file; the same history always gives the same answer.

The rules (DOMAIN.md "Clocks", each one tested under its own name):
- Start: every target starts at submission, on its own clock (24x7 for ``h``/``m``, the business
  calendar for ``bm``/``bh``/``bd``).
- Met: ``responded`` meets response, ``restored`` restoration, ``resolved`` resolution and also a
  still-open restoration.
- Pause: ``awaiting_reseller`` stops restoration and resolution (never response); on ``resumed``
  the due instant moves so the target keeps the clock time it had left when the pause began,
  measured on its own clock. Resolving while paused first ends the pause at that instant. A pause
  that begins at or after a target's due instant changes nothing for it.
- Severity change at ``c``: rise -> new due = min(old due, c + new duration); fall -> recomputed
  from the target's original start with the new duration, pauses excluded from the count, never
  earlier than the old due. Not applicable -> cancelled; newly applicable -> starts at ``c``; met
  and breached targets are left as they are.
- Breach: a target not met by its due instant is breached at that instant and stays breached
  (a later met instant is still recorded); met exactly at the due instant is met.
- Reopen: resolution (and restoration, if only resolving met it) become unmet again; the time
  between resolution and reopening does not count, as if paused.
- Third party: ``resolved`` with code ``third_party`` cancels every target not yet met, breached
  ones included, and no post-mortem is due.
- Post-mortem: on Service Resolution of a severity the policy lists (Critical 2bd, High 5bd), due
  that amount after the resolution instant on the account's calendar.

Decisions where DOMAIN.md is silent (docs/decisions/sla-clocks-and-lifecycle.md):
- Within one instant, events apply in the order given, and a target met at exactly its due
  instant is met even if another event at that instant came first.
- A paused target's clock stands still at the instant its pause began, so a severity change
  during a pause is applied as of that instant (``c`` + duration is measured from the pause start,
  and the old due compared is the due the target had when the pause began).
- A target's "own clock" is the clock of its current amount: after a severity change that moves a
  target between the 24x7 and the business clock, later pauses are measured on the new clock.
- The warning instant is the earliest instant at which ``threshold`` (policy, 75 %) of the
  target's current duration has been used: the instant when the clock time left before the due
  instant falls to ``(1 - threshold) x duration``; if that moment had already passed when the
  schedule last changed, it is the earlier crossing or the change itself.
- Breached targets stay breached through severity changes, including a change that would make the
  target not applicable.
- Reopening a case closed as ``third_party`` restores the targets that closure cancelled (breached
  ones breached again, running ones with their remaining time) and the time between does not count.
- Reopening clears the post-mortem due; the next Service Resolution sets a new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import NoReturn

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.amounts import Amount
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.policy import TARGET_KINDS, Package, Policy

__all__ = [
    "PAUSABLE_KINDS",
    "THIRD_PARTY",
    "ClockState",
    "EventType",
    "SlaEvent",
    "TargetClock",
    "TargetKind",
    "TargetState",
    "fold_clocks",
    "format_due",
    "format_instant",
]

THIRD_PARTY = "third_party"
"""The resolution code that cancels every target not yet met (DOMAIN.md "Third party")."""

# Float arithmetic on POSIX seconds may differ by a microsecond between two ways of computing the
# same instant; a recomputed due replaces the old one only when it differs by more than this.
_SLACK = timedelta(microseconds=2)


class TargetKind(StrEnum):
    RESPONSE = "response"
    RESTORATION = "restoration"
    RESOLUTION = "resolution"


assert tuple(TargetKind) == TARGET_KINDS

PAUSABLE_KINDS = frozenset({TargetKind.RESTORATION, TargetKind.RESOLUTION})
"""Response never pauses."""


class TargetState(StrEnum):
    MET = "met"
    BREACHED = "breached"
    RUNNING = "running"
    PAUSED = "paused"
    NOT_APPLICABLE = "not_applicable"
    CANCELLED = "cancelled"


class EventType(StrEnum):
    SUBMITTED = "submitted"
    SEVERITY_CHANGED = "severity_changed"
    RESPONDED = "responded"
    AWAITING_RESELLER = "awaiting_reseller"
    RESUMED = "resumed"
    RESTORED = "restored"
    RESOLVED = "resolved"
    REOPENED = "reopened"


_WITH_SEVERITY = frozenset({EventType.SUBMITTED, EventType.SEVERITY_CHANGED})


@dataclass(frozen=True, slots=True)
class SlaEvent:
    """One SLA-relevant fact of a case's timeline, at an aware instant."""

    type: EventType
    at: datetime
    severity: int | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("an SLA event needs an aware instant (with a UTC offset)")
        # Held in UTC: arithmetic between datetimes sharing a ZoneInfo would be wall-clock time.
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        if (self.type in _WITH_SEVERITY) != (self.severity is not None):
            need = "needs a" if self.type in _WITH_SEVERITY else "takes no"
            raise ValueError(f"a {self.type.value} event {need} severity")
        if self.code is not None and self.type is not EventType.RESOLVED:
            raise ValueError("only a resolved event takes a resolution code")

    # Readable constructors for tests and services: SlaEvent.submitted(t, 2), ...
    @classmethod
    def submitted(cls, at: datetime, severity: int) -> SlaEvent:
        return cls(EventType.SUBMITTED, at, severity)

    @classmethod
    def severity_changed(cls, at: datetime, severity: int) -> SlaEvent:
        return cls(EventType.SEVERITY_CHANGED, at, severity)

    @classmethod
    def responded(cls, at: datetime) -> SlaEvent:
        return cls(EventType.RESPONDED, at)

    @classmethod
    def awaiting_reseller(cls, at: datetime) -> SlaEvent:
        return cls(EventType.AWAITING_RESELLER, at)

    @classmethod
    def resumed(cls, at: datetime) -> SlaEvent:
        return cls(EventType.RESUMED, at)

    @classmethod
    def restored(cls, at: datetime) -> SlaEvent:
        return cls(EventType.RESTORED, at)

    @classmethod
    def resolved(cls, at: datetime, code: str | None = None) -> SlaEvent:
        return cls(EventType.RESOLVED, at, code=code)

    @classmethod
    def reopened(cls, at: datetime) -> SlaEvent:
        return cls(EventType.REOPENED, at)


@dataclass(frozen=True, slots=True)
class TargetClock:
    """One target as of an instant.

    ``due``: the due instant while running; the breach instant when breached; the due it had
    when met (met) or cancelled (if it was running then); ``None`` while paused or not applicable.
    ``warning_at``: when the warning threshold is (or was) crossed, for running and breached
    targets; ``None`` otherwise. ``amount``: the target's current duration (``None`` when not
    applicable).
    """

    kind: TargetKind
    state: TargetState
    due: datetime | None
    met_at: datetime | None
    warning_at: datetime | None
    amount: Amount | None

    def to_json(self) -> dict[str, str | None]:
        return {
            "state": self.state.value,
            "due": format_due(self.due),
            "met_at": format_instant(self.met_at),
        }


@dataclass(frozen=True, slots=True)
class ClockState:
    """The result of a fold: every target of one case as of ``as_of``."""

    policy_key: str
    package: str
    severity: int
    submitted_at: datetime
    as_of: datetime
    paused: bool
    resolved: bool
    resolution_code: str | None
    response: TargetClock
    restoration: TargetClock
    resolution: TargetClock
    post_mortem_due: datetime | None

    @property
    def targets(self) -> Mapping[TargetKind, TargetClock]:
        return {
            TargetKind.RESPONSE: self.response,
            TargetKind.RESTORATION: self.restoration,
            TargetKind.RESOLUTION: self.resolution,
        }

    @property
    def next_due(self) -> datetime | None:
        """The earliest due instant of a running target (for "soonest breach first" lists)."""
        dues = [t.due for t in self.targets.values() if t.state is TargetState.RUNNING and t.due]
        return min(dues) if dues else None

    def to_json(self) -> dict[str, object]:
        """The ``caredesk sla replay`` answer (without its ``id``)."""
        return {
            "severity": self.severity,
            "targets": {kind.value: clock.to_json() for kind, clock in self.targets.items()},
            "post_mortem_due": format_due(self.post_mortem_due),
        }


def format_instant(value: datetime | None) -> str | None:
    """UTC with ``Z``, truncated to the second (for instants that happened)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def format_due(value: datetime | None) -> str | None:
    """UTC with ``Z``, rounded *up* to the second: a due instant is never shown early."""
    if value is None:
        return None
    value = value.astimezone(UTC).replace(tzinfo=None)
    if value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.isoformat(timespec="seconds") + "Z"


# --------------------------------------------------------------------------- the fold


class _Phase(Enum):
    INACTIVE = "inactive"  # not applicable at the current severity (never ran, or never again)
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class _Target:
    """The mutable working state of one target during a fold.

    ``due`` is the due instant while running; while paused, the due it had when the pause began
    (the clock stands still, so every computation during a pause happens "as of" ``paused_since``).
    ``stops`` are the finished intervals during which this target's clock did not run (pauses and
    resolution-to-reopen gaps), needed to recompute from the original start on a severity fall.
    """

    __slots__ = (
        "amount",
        "due",
        "kind",
        "met_at",
        "met_by_resolution",
        "parked",
        "paused_since",
        "phase",
        "start",
        "stops",
        "warn",
    )

    def __init__(self, kind: TargetKind) -> None:
        self.kind = kind
        self.amount: Amount | None = None
        self.phase = _Phase.INACTIVE
        self.start: datetime | None = None
        self.due: datetime | None = None
        self.warn: datetime | None = None
        self.paused_since: datetime | None = None
        self.stops: list[tuple[datetime, datetime]] = []
        self.met_at: datetime | None = None
        self.met_by_resolution = False
        self.parked: _Phase | None = None  # phase before a third-party cancellation

    @property
    def business(self) -> bool:
        assert self.amount is not None
        return self.amount.business

    def snapshot(self) -> TargetClock:
        phase = self.phase
        state = {
            _Phase.INACTIVE: TargetState.NOT_APPLICABLE,
            _Phase.RUNNING: TargetState.RUNNING,
            _Phase.PAUSED: TargetState.PAUSED,
            _Phase.MET: TargetState.MET,
            _Phase.BREACHED: TargetState.BREACHED,
            _Phase.CANCELLED: TargetState.CANCELLED,
        }[phase]
        due = None if phase in (_Phase.INACTIVE, _Phase.PAUSED) else self.due
        warn = self.warn if phase in (_Phase.RUNNING, _Phase.BREACHED) else None
        return TargetClock(self.kind, state, due, self.met_at, warn, self.amount)


class _Fold:
    def __init__(self, policy: Policy, package: Package, calendar: BusinessCalendar) -> None:
        self.policy = policy
        self.package = package
        self.calendar = calendar
        self.threshold = policy.warning_threshold
        self.targets = {kind: _Target(kind) for kind in TargetKind}
        self.severity: int | None = None
        self.submitted_at: datetime | None = None
        self.paused_since: datetime | None = None
        self.resolved_at: datetime | None = None
        self.resolution_code: str | None = None
        self.post_mortem_due: datetime | None = None

    # -- clock arithmetic on one target's own clock

    def add(self, start: datetime, seconds: float, business: bool) -> datetime:
        if business:
            return self.calendar.add(start, seconds)
        # In UTC: aware arithmetic in a named zone would be wall-clock time across a DST change.
        return start.astimezone(UTC) + timedelta(seconds=seconds)

    def elapsed(self, start: datetime, end: datetime, business: bool) -> float:
        if end <= start:
            return 0.0
        if business:
            return self.calendar.elapsed(start, end)
        return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()

    def seconds(self, amount: Amount) -> float:
        return float(amount.seconds(self.calendar))

    # -- per-target steps

    def start(self, tg: _Target, at: datetime, amount: Amount) -> None:
        tg.amount = amount
        tg.start = at
        tg.stops = []
        tg.met_at = None
        tg.met_by_resolution = False
        budget = self.seconds(amount)
        tg.due = self.add(at, budget, amount.business)
        tg.warn = self.add(at, self.threshold * budget, amount.business)
        if self.paused_since is not None and tg.kind in PAUSABLE_KINDS:
            tg.phase = _Phase.PAUSED
            tg.paused_since = at
        else:
            tg.phase = _Phase.RUNNING
            tg.paused_since = None

    def shift(self, tg: _Target, stopped: datetime, restarted: datetime) -> None:
        """Keep the clock time left at ``stopped`` (due and warning) from ``restarted`` on."""
        assert tg.due is not None
        business = tg.business
        tg.due = self.add(restarted, self.elapsed(stopped, tg.due, business), business)
        if tg.warn is not None and tg.warn > stopped:
            tg.warn = self.add(restarted, self.elapsed(stopped, tg.warn, business), business)
        tg.stops.append((stopped, restarted))

    def rewarn(self, tg: _Target, anchor: datetime, old_warn: datetime | None) -> None:
        """Place the warning after the due or duration changed at ``anchor`` (see module doc)."""
        assert tg.amount is not None and tg.due is not None
        business = tg.business
        left = self.elapsed(anchor, tg.due, business)
        lead = (1.0 - self.threshold) * self.seconds(tg.amount)
        if left > lead:
            tg.warn = self.add(anchor, left - lead, business)
        elif old_warn is not None and old_warn <= anchor:
            tg.warn = old_warn
        else:
            tg.warn = anchor

    def meet(self, tg: _Target, at: datetime, *, by_resolution: bool) -> None:
        if tg.phase is _Phase.RUNNING or tg.phase is _Phase.PAUSED:
            if tg.phase is _Phase.PAUSED:
                # Met during a pause: show the due it would have had, resumed now.
                assert tg.paused_since is not None
                self.shift(tg, tg.paused_since, at)
                tg.paused_since = None
            tg.phase = _Phase.MET
            tg.met_at = at
            tg.met_by_resolution = by_resolution
        elif tg.phase is _Phase.BREACHED and tg.met_at is None:
            if tg.due == at:  # met exactly at the due instant is met
                tg.phase = _Phase.MET
            tg.met_at = at
            tg.met_by_resolution = by_resolution

    def breach_due(self, now: datetime) -> None:
        """Every running target whose due instant has come without being met is breached."""
        for tg in self.targets.values():
            if tg.phase is _Phase.RUNNING:
                assert tg.due is not None
                if tg.due <= now:
                    tg.phase = _Phase.BREACHED

    def pause_all(self, at: datetime) -> None:
        self.paused_since = at
        for kind in PAUSABLE_KINDS:
            tg = self.targets[kind]
            if tg.phase is _Phase.RUNNING:  # due > at: breach_due ran first
                tg.phase = _Phase.PAUSED
                tg.paused_since = at

    def resume_all(self, at: datetime) -> None:
        self.paused_since = None
        for tg in self.targets.values():
            if tg.phase is _Phase.PAUSED:
                assert tg.paused_since is not None
                self.shift(tg, tg.paused_since, at)
                tg.phase = _Phase.RUNNING
                tg.paused_since = None

    def change_severity(self, at: datetime, new: int) -> None:
        assert self.severity is not None
        rising = Policy.is_raise(self.severity, new)
        row = self.package.targets[new]
        self.severity = new
        for tg in self.targets.values():
            amount = row.get(tg.kind.value)
            if tg.phase in (_Phase.MET, _Phase.BREACHED):
                continue  # met stay met; a breach is permanent
            if amount is None:
                if tg.phase is _Phase.RUNNING or tg.phase is _Phase.PAUSED:
                    if tg.phase is _Phase.PAUSED:
                        tg.due = None  # a paused target had no due instant to show
                    tg.phase = _Phase.CANCELLED
                    tg.amount = None
                    tg.paused_since = None
                continue
            if tg.phase in (_Phase.INACTIVE, _Phase.CANCELLED):
                self.start(tg, at, amount)  # becomes applicable: starts at the change
                continue
            anchor = at if tg.phase is _Phase.RUNNING else tg.paused_since
            assert anchor is not None and tg.due is not None and tg.start is not None
            old_warn = tg.warn
            budget = self.seconds(amount)
            if rising:
                candidate = self.add(anchor, budget, amount.business)
                if candidate < tg.due - _SLACK:
                    tg.due = candidate
            else:
                used = self.elapsed(tg.start, anchor, amount.business) - sum(
                    self.elapsed(a, b, amount.business) for a, b in tg.stops
                )
                left = budget - used
                if left > 0:
                    candidate = self.add(anchor, left, amount.business)
                    if candidate > tg.due + _SLACK:
                        tg.due = candidate
            tg.amount = amount
            self.rewarn(tg, anchor, old_warn)

    def resolve(self, at: datetime, code: str | None) -> None:
        if self.paused_since is not None:
            self.resume_all(at)  # resolving first ends the pause at that instant
        self.resolved_at = at
        self.resolution_code = code
        if code == THIRD_PARTY:
            for tg in self.targets.values():
                if tg.met_at is None and tg.phase in (_Phase.RUNNING, _Phase.BREACHED):
                    tg.parked = tg.phase
                    tg.phase = _Phase.CANCELLED
            self.post_mortem_due = None
            return
        self.meet(self.targets[TargetKind.RESOLUTION], at, by_resolution=True)
        self.meet(self.targets[TargetKind.RESTORATION], at, by_resolution=True)
        assert self.severity is not None
        amount = self.policy.post_mortem_due(self.severity)
        self.post_mortem_due = None if amount is None else self.add(at, self.seconds(amount), amount.business)

    def reopen(self, at: datetime) -> None:
        resolved_at = self.resolved_at
        assert resolved_at is not None
        for tg in self.targets.values():
            if tg.parked is not None:  # cancelled by a third-party closure: restore it
                tg.phase, tg.parked = tg.parked, None
                if tg.phase is _Phase.RUNNING:
                    self.shift(tg, resolved_at, at)
            elif tg.met_by_resolution and tg.met_at is not None:
                tg.met_at = None
                tg.met_by_resolution = False
                if tg.phase is _Phase.MET:
                    tg.phase = _Phase.RUNNING
                    self.shift(tg, resolved_at, at)
        self.resolved_at = None
        self.resolution_code = None
        self.post_mortem_due = None

    # -- the event loop

    def apply(self, index: int, event: SlaEvent) -> None:
        at = event.at
        kind = event.type
        if self.severity is None:
            if kind is not EventType.SUBMITTED:
                self.fail(index, f"the first event must be submitted, not {kind.value}")
            self.submit(index, event)
            return
        self.breach_due(at)
        if kind is EventType.SUBMITTED:
            self.fail(index, "the case was already submitted")
        elif kind is EventType.SEVERITY_CHANGED:
            assert event.severity is not None
            self.check_severity(index, event.severity)
            if self.resolved_at is not None:
                self.fail(index, "the case is resolved; reopen it before changing its severity")
            if event.severity == self.severity:
                self.fail(index, f"the severity is already {event.severity}")
            self.change_severity(at, event.severity)
        elif kind is EventType.RESPONDED:
            self.meet(self.targets[TargetKind.RESPONSE], at, by_resolution=False)
        elif kind is EventType.AWAITING_RESELLER:
            if self.resolved_at is not None:
                self.fail(index, "the case is resolved; it cannot await the reseller")
            if self.paused_since is not None:
                self.fail(index, "the case is already awaiting the reseller")
            self.pause_all(at)
        elif kind is EventType.RESUMED:
            if self.paused_since is None:
                self.fail(index, "the case is not awaiting the reseller, so it cannot resume")
            self.resume_all(at)
        elif kind is EventType.RESTORED:
            if self.resolved_at is not None:
                self.fail(index, "the case is resolved; reopen it before recording a restoration")
            self.meet(self.targets[TargetKind.RESTORATION], at, by_resolution=False)
        elif kind is EventType.RESOLVED:
            if self.resolved_at is not None:
                self.fail(index, "the case is already resolved")
            self.resolve(at, event.code)
        elif kind is EventType.REOPENED:
            if self.resolved_at is None:
                self.fail(index, "only a resolved case can be reopened")
            self.reopen(at)
        else:  # pragma: no cover - EventType is closed
            raise AssertionError(kind)

    def submit(self, index: int, event: SlaEvent) -> None:
        assert event.severity is not None
        self.check_severity(index, event.severity)
        self.severity = event.severity
        self.submitted_at = event.at
        row = self.package.targets[event.severity]
        for tg in self.targets.values():
            amount = row.get(tg.kind.value)
            if amount is not None:
                self.start(tg, event.at, amount)

    def check_severity(self, index: int, severity: int) -> None:
        if severity not in self.package.targets:
            known = ", ".join(str(s) for s in self.package.targets)
            self.fail(
                index,
                f"unknown severity {severity!r}; policy {self.policy.key} defines {known}",
                field="severity",
            )

    @staticmethod
    def fail(index: int, message: str, *, field: str | None = None) -> NoReturn:
        path = f"events[{index}]" + (f".{field}" if field else "")
        raise ValidationFailed(f"{path}: {message}", errors={path: message}, code="invalid_history")

    def result(self, as_of: datetime) -> ClockState:
        self.breach_due(as_of)
        assert self.severity is not None and self.submitted_at is not None
        t = self.targets
        return ClockState(
            policy_key=self.policy.key,
            package=self.package.name,
            severity=self.severity,
            submitted_at=self.submitted_at,
            as_of=as_of,
            paused=self.paused_since is not None,
            resolved=self.resolved_at is not None,
            resolution_code=self.resolution_code,
            response=t[TargetKind.RESPONSE].snapshot(),
            restoration=t[TargetKind.RESTORATION].snapshot(),
            resolution=t[TargetKind.RESOLUTION].snapshot(),
            post_mortem_due=self.post_mortem_due,
        )


def fold_clocks(
    events: Sequence[SlaEvent],
    *,
    policy: Policy,
    package: Package,
    calendar: BusinessCalendar,
    as_of: datetime | None = None,
) -> ClockState:
    """The clocks of one case as of ``as_of`` (default: the last event's instant).

    Events after ``as_of`` are ignored (the history as it stood then). Raises ``ValidationFailed``
    (code ``invalid_history``, field ``events[i]``) for a history that cannot happen: no
    ``submitted`` first, events out of time order, a severity the package does not define, a
    resume without a pause, a reopen of an unresolved case, and the like.
    """
    if not events:
        raise ValidationFailed(
            "events: a history needs at least the submitted event",
            errors={"events": "a history needs at least the submitted event"},
            code="invalid_history",
        )
    if as_of is not None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError("as_of must be an aware datetime (with a UTC offset)")
        as_of = as_of.astimezone(UTC)
    for index in range(1, len(events)):
        if events[index].at < events[index - 1].at:
            _Fold.fail(
                index,
                f"out of time order: {format_instant(events[index].at)} is before the previous event "
                f"at {format_instant(events[index - 1].at)}",
                field="at",
            )
    fold = _Fold(policy, package, calendar)
    last = events[0].at
    for index, event in enumerate(events):
        if as_of is not None and event.at > as_of:
            break
        last = event.at
        fold.apply(index, event)
    if as_of is None:
        as_of = last
    if fold.submitted_at is None or as_of < fold.submitted_at:
        raise ValidationFailed(
            f"as_of: {format_instant(as_of)} is before the case was submitted",
            errors={"as_of": "before the case was submitted"},
            code="invalid_history",
        )
    return fold.result(as_of)
