"""Invariants of the target clocks over random case histories (hypothesis).

Histories are random but possible: a submission, then severity changes, responses, pauses and
resumptions, restorations, resolutions (sometimes ``third_party``) and reopenings, minutes to days
apart, on calendars in zones with DST, a half-hour offset, split and overnight periods and holidays.

Checked: a fall never makes a due earlier and a rise never later (DOMAIN.md "Severity change"); a
breach is permanent (only a third-party closure cancels it); a pause keeps the clock time left
(measured on the target's own clock); met targets stay met; and, for histories without severity
changes, every due equals an independent reference that sums the running pieces of the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from caredesk.domain.sla.amounts import elapsed_on_clock
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import (
    PAUSABLE_KINDS,
    THIRD_PARTY,
    ClockState,
    EventType,
    SlaEvent,
    TargetKind,
    TargetState,
)
from caredesk.domain.sla.policy import load_default_policy
from caredesk.domain.sla.replay import replay

POLICY = load_default_policy()
SLACK = timedelta(microseconds=2)
CALENDARS = [
    BusinessCalendar.from_dict({"timezone": "America/New_York", "holiday_country": "US"}),
    BusinessCalendar.from_dict(
        {
            "timezone": "Australia/Sydney",
            "hours": {
                "mon": [["08:00", "12:00"], ["13:00", "17:30"]],
                "tue": [["08:00", "12:00"], ["13:00", "17:30"]],
                "wed": [["22:00", "06:00"]],
                "thu": [["08:00", "17:00"]],
                "sat": [["10:00", "24:00"]],
            },
            "holidays": ["2026-01-26", "2026-12-25"],
        }
    ),
    BusinessCalendar.from_dict({"timezone": "Europe/London", "holiday_country": "GB", "business_day_hours": 7.5}),
    BusinessCalendar.from_dict(
        {
            "timezone": "Asia/Kolkata",
            "hours": {d: [["09:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
        }
    ),
]


@dataclass(frozen=True)
class History:
    package: str
    calendar: BusinessCalendar
    events: tuple[SlaEvent, ...]

    def state(self, upto: int | None = None, as_of: datetime | None = None) -> ClockState:
        events = list(self.events if upto is None else self.events[:upto])
        return replay(events, package=self.package, policy=POLICY, calendar=self.calendar, as_of=as_of)


GAPS = st.one_of(
    st.integers(0, 90),  # minutes
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 20 * 24 * 60),
)


@st.composite
def histories(draw: st.DrawFn, *, severity_changes: bool = True, third_party: bool = True) -> History:
    package = draw(st.sampled_from(list(POLICY.packages)))
    calendar = draw(st.sampled_from(CALENDARS))
    minute = draw(st.integers(0, 3 * 365 * 24 * 60))  # 2025-2027, leap year 2028 is not needed
    t = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    severity = draw(st.integers(1, 4))
    events = [SlaEvent.submitted(t, severity)]
    paused = resolved = False
    for _ in range(draw(st.integers(0, 12))):
        t += timedelta(minutes=draw(GAPS))
        if resolved:
            choices = ["reopened", "responded"]
        else:
            choices = ["responded", "restored", "resolved", "resumed" if paused else "awaiting_reseller"]
            if severity_changes:
                choices.append("severity_changed")
            if third_party:
                choices.append("third_party")
        choice = draw(st.sampled_from(choices))
        if choice == "severity_changed":
            new = draw(st.sampled_from([s for s in (1, 2, 3, 4) if s != severity]))
            events.append(SlaEvent.severity_changed(t, new))
            severity = new
        elif choice in ("resolved", "third_party"):
            events.append(SlaEvent.resolved(t, THIRD_PARTY if choice == "third_party" else None))
            resolved, paused = True, False
        elif choice == "reopened":
            events.append(SlaEvent.reopened(t))
            resolved = False
        elif choice == "awaiting_reseller":
            events.append(SlaEvent.awaiting_reseller(t))
            paused = True
        elif choice == "resumed":
            events.append(SlaEvent.resumed(t))
            paused = False
        else:
            events.append(SlaEvent(EventType(choice), t))
    return History(package, calendar, tuple(events))


def prefix_states(h: History) -> list[ClockState]:
    """The state right after each event (as of its instant), then 60 days after the last one."""
    states = [h.state(upto=i + 1) for i in range(len(h.events))]
    states.append(h.state(as_of=h.events[-1].at + timedelta(days=60)))
    return states


@settings(max_examples=150, deadline=None)
@given(histories())
def test_severity_fall_never_makes_a_due_earlier_and_a_rise_never_later(h: History) -> None:
    for k, event in enumerate(h.events):
        if event.type is not EventType.SEVERITY_CHANGED:
            continue
        before = h.state(upto=k, as_of=event.at)
        after = h.state(upto=k + 1)
        falling = event.severity is not None and event.severity > before.severity
        for kind in TargetKind:
            b, a = before.targets[kind], after.targets[kind]
            if b.state is TargetState.RUNNING and a.state is TargetState.RUNNING:
                assert a.due is not None and b.due is not None
                if falling:
                    assert a.due >= b.due - SLACK, (kind, b, a)
                else:
                    assert a.due <= b.due + SLACK, (kind, b, a)
            if b.state is TargetState.MET:  # met targets stay met
                assert a == b
            if b.state is TargetState.BREACHED:  # breached through any severity change
                assert a.state is TargetState.BREACHED and a.due == b.due


@settings(max_examples=150, deadline=None)
@given(histories())
def test_breach_is_permanent_unless_a_third_party_closure_cancels_it(h: History) -> None:
    states = prefix_states(h)
    for kind in TargetKind:
        breached_at: int | None = None
        due: datetime | None = None
        for i, state in enumerate(states):
            target = state.targets[kind]
            if breached_at is None:
                if target.state is TargetState.BREACHED:
                    breached_at, due = i, target.due
                continue
            if target.state is TargetState.CANCELLED:
                assert state.resolution_code == THIRD_PARTY
                continue
            assert target.state is TargetState.BREACHED and target.due == due


@settings(max_examples=150, deadline=None)
@given(histories(third_party=False))
def test_pause_keeps_the_clock_time_left_when_it_began(h: History) -> None:
    events = h.events
    for p, pause in enumerate(events):
        if pause.type is not EventType.AWAITING_RESELLER:
            continue
        r = next(
            i for i in range(p + 1, len(events) + 1) if i == len(events) or events[i].type is not EventType.RESPONDED
        )
        if r == len(events) or events[r].type is not EventType.RESUMED:
            continue  # only a plain pause ... resume, with nothing but responses in between
        before = h.state(upto=p, as_of=pause.at)
        after = h.state(upto=r + 1)
        for kind in PAUSABLE_KINDS:
            b, a = before.targets[kind], after.targets[kind]
            if b.state is not TargetState.RUNNING:
                continue
            assert b.due is not None and b.amount is not None
            if b.due <= pause.at:
                continue
            assert a.state in (TargetState.RUNNING, TargetState.BREACHED)
            assert a.due is not None
            business = b.amount.business
            left_before = elapsed_on_clock(h.calendar, pause.at, b.due, business=business)
            left_after = elapsed_on_clock(h.calendar, events[r].at, a.due, business=business)
            assert abs(left_before - left_after) < 1e-3, (kind, left_before, left_after)
        if before.response.state is TargetState.RUNNING and after.response.state is TargetState.RUNNING:
            assert after.response.due == before.response.due  # response never pauses


@settings(max_examples=150, deadline=None)
@given(histories())
def test_states_are_consistent_with_as_of(h: History) -> None:
    for state in prefix_states(h):
        for kind, target in state.targets.items():
            if target.state is TargetState.RUNNING:
                assert target.due is not None and target.due > state.as_of
                assert target.warning_at is not None and target.warning_at <= target.due
            if target.state in (TargetState.PAUSED, TargetState.NOT_APPLICABLE):
                assert target.due is None
            if target.state is TargetState.PAUSED:
                assert kind in PAUSABLE_KINDS and state.paused
            if target.state is TargetState.BREACHED:
                assert target.due is not None and target.due <= state.as_of
            if target.state is TargetState.MET:
                assert target.met_at is not None and target.met_at <= state.as_of
                assert target.due is not None and target.met_at <= target.due
        if state.resolved and state.resolution_code != THIRD_PARTY:
            assert (
                state.resolution.state is not TargetState.RUNNING and state.resolution.state is not TargetState.PAUSED
            )


@settings(max_examples=100, deadline=None)
@given(histories())
def test_breach_happens_exactly_at_the_due_instant(h: History) -> None:
    last = h.state()
    for kind, target in last.targets.items():
        if target.state is TargetState.RUNNING:
            assert target.due is not None
            assert h.state(as_of=target.due - timedelta(microseconds=1)).targets[kind].state is TargetState.RUNNING
            assert h.state(as_of=target.due).targets[kind].state is TargetState.BREACHED


# --------------------------------------------------------------------------- reference


def reference_due(h: History, kind: TargetKind, as_of: datetime) -> datetime | None:
    """Due of ``kind`` for a history without severity changes or third-party closures.

    Written from DOMAIN.md, not from the fold: the target's clock runs from submission except in
    stops (awaiting reseller until resumed or resolved; resolved until reopened); the due is the
    earliest instant at which the running pieces hold the target's duration. None when the clock is
    stopped at ``as_of`` before the duration was used up.
    """
    events = [e for e in h.events if e.at <= as_of]
    amount = POLICY.targets(h.package, h.events[0].severity or 0).get(kind.value)
    assert amount is not None
    budget = amount.seconds(h.calendar)
    stops: list[tuple[datetime, datetime | None]] = []
    if kind in PAUSABLE_KINDS:
        opened: datetime | None = None
        for e in events:
            if e.type in (EventType.AWAITING_RESELLER, EventType.RESOLVED) and opened is None:
                opened = e.at
            elif e.type in (EventType.RESUMED, EventType.REOPENED) and opened is not None:
                stops.append((opened, e.at))
                opened = None
        if opened is not None:
            stops.append((opened, None))
    used = 0.0
    cursor = events[0].at
    for stop_start, stop_end in [*stops, (None, None)]:
        piece_end = stop_start
        if piece_end is None or piece_end > cursor:
            room = (
                float("inf")
                if piece_end is None
                else elapsed_on_clock(h.calendar, cursor, piece_end, business=amount.business)
            )
            if used + room >= budget:
                left = budget - used
                if amount.business:
                    return h.calendar.add(cursor, left)
                return cursor + timedelta(seconds=left)
            used += room
        if stop_end is None:
            return None
        cursor = max(cursor, stop_end)
    raise AssertionError("unreachable")


@settings(max_examples=200, deadline=None)
@given(histories(severity_changes=False, third_party=False), st.integers(0, 30 * 24 * 60))
def test_dues_equal_an_independent_reference_without_severity_changes(h: History, later: int) -> None:
    as_of = h.events[-1].at + timedelta(minutes=later)
    state = h.state(as_of=as_of)
    for kind, target in state.targets.items():
        if target.state in (TargetState.RUNNING, TargetState.BREACHED):
            expected = reference_due(h, kind, as_of)
            assert expected is not None and target.due is not None
            assert abs(target.due - expected) <= SLACK, (kind, target, expected)
        if target.state is TargetState.PAUSED:
            assert reference_due(h, kind, as_of) is None or state.paused
