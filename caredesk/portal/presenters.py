"""How the pages show what the SLA engine and the lifecycle decided: no rule is made here.

A target's state comes from ``caredesk.cases.clocks.live_targets`` (a running target whose due
instant has passed already counts as breached); "at risk" is the engine's own ``warning_at`` (the
policy's warning threshold), stored on each ``CaseTarget``. The risk class only picks a colour and
a word for it; the countdown script recomputes the same classes every second from the same two
instants (``data-due``, ``data-warn``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caredesk.cases.clocks import TARGET_KINDS, live_targets
from caredesk.cases.models import Case, CaseTarget
from caredesk.domain.cases.lifecycle import CaseAction, CaseState, allowed_actions
from caredesk.domain.tenancy.roles import Role

TARGET_LABELS = {"response": "Response", "restoration": "Restoration", "resolution": "Resolution"}
STATE_WORDS = {
    "running": "running",
    "met": "met",
    "breached": "breached",
    "paused": "paused (awaiting reseller)",
    "not_applicable": "not applicable",
    "cancelled": "cancelled",
}


def parse_instant(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def risk_of(state: str, warn: datetime | None, now: datetime) -> str:
    """The colour class of a clock in its live ``state``: ``late`` (breached), ``warn`` (running
    past the engine's warning instant), ``ok`` (running), else the state itself."""
    if state == "breached":
        return "late"
    if state != "running":
        return state
    if warn is not None and warn <= now:
        return "warn"
    return "ok"


@dataclass(frozen=True)
class Clock:
    kind: str
    label: str
    state: str
    state_word: str
    due: datetime | None
    met_at: datetime | None
    warn: datetime | None
    risk: str


def clocks_of(case: Case, targets: Iterable[CaseTarget], now: datetime) -> list[Clock]:
    """The three targets of a case as shown on its page."""
    live = live_targets(case, now=now)
    warn_by_kind = {t.kind: t.warning_at for t in targets}
    out = []
    for kind in TARGET_KINDS:
        target = live.get(kind, {})
        state = str(target.get("state") or "not_applicable")
        due = parse_instant(target.get("due"))
        warn = warn_by_kind.get(kind)
        out.append(
            Clock(
                kind=kind,
                label=TARGET_LABELS.get(kind, kind),
                state=state,
                state_word=STATE_WORDS.get(state, state),
                due=due,
                met_at=parse_instant(target.get("met_at")),
                warn=warn,
                risk=risk_of(state, warn, now),
            )
        )
    return out


@dataclass(frozen=True)
class NextDue:
    """The soonest running target of a case (what the queue orders by)."""

    kind: str
    label: str
    due: datetime | None
    warn: datetime | None
    risk: str


def next_due_of(case: Case, now: datetime) -> NextDue | None:
    """``case.next_due_at`` with the target it belongs to. Uses the prefetched ``targets`` of
    ``case`` (no query per row)."""
    if case.next_due_at is None:
        paused = any(t.state == "paused" for t in case.targets.all())
        return NextDue(kind="", label="Clocks paused", due=None, warn=None, risk="paused") if paused else None
    running = (t for t in case.targets.all() if t.state == "running" and t.due_at == case.next_due_at)
    target = next(running, None)
    kind = target.kind if target else ""
    state = str(live_targets(case, now=now).get(kind, {}).get("state") or "running")
    warn = target.warning_at if target else None
    return NextDue(
        kind=kind,
        label=TARGET_LABELS.get(kind, "Next target"),
        due=case.next_due_at,
        warn=warn,
        risk=risk_of(state, warn, now),
    )


def actions_for(case: Case, role: Role) -> set[str]:
    """The lifecycle actions ``role`` may take on ``case`` now (which buttons to show)."""
    return {a.value for a in allowed_actions(CaseState(case.status), role)}


ALL_ACTIONS = tuple(a.value for a in CaseAction)
