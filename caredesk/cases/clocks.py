"""A case's live SLA clocks: the SLA engine (the same fold as `caredesk sla replay`) over the SLA
events of the case's own timeline, under the policy version the case was logged under and the
business calendar it was logged with. Stored on the case and its CaseTarget rows in the same
transaction as the event that changed them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection

from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import ClockState, TargetKind, TargetState
from caredesk.domain.sla.replay import events_from_json, replay
from caredesk.sla.services import policy_of
from caredesk.sqlrows import Insert

TARGET_KINDS = [k.value for k in TargetKind]
_TARGET_INSERT = Insert(CaseTarget)


@lru_cache(maxsize=4096)
def _calendar(canonical_json: str) -> BusinessCalendar:
    import json

    return BusinessCalendar.from_dict(json.loads(canonical_json))


def calendar_of(case: Case) -> BusinessCalendar:
    import json

    return _calendar(json.dumps(case.calendar, sort_keys=True))


def sla_history(case: Case) -> list[dict[str, Any]]:
    """The case's SLA events in `sla replay` input format, in timeline order."""
    rows = CaseEvent.objects.filter(case=case, sla__isnull=False).order_by("seq").values_list("sla", flat=True)
    return [row for row in rows if row is not None]


def clock_state(
    case: Case, *, as_of: datetime | None = None, history: list[dict[str, Any]] | None = None
) -> ClockState:
    events = events_from_json(history if history is not None else sla_history(case))
    return replay(events, package=case.package, policy=policy_of(case.policy), calendar=calendar_of(case), as_of=as_of)


def clocks_refresh(
    case: Case, *, at: datetime, created: bool = False, history: list[dict[str, Any]] | None = None
) -> ClockState:
    """Recompute and store the case's targets as of ``at`` (the instant of the event just appended).
    The caller saves ``case`` afterwards (next_due_at and sla are set here). ``history``: the case's
    SLA events when the caller has them (a case just opened), instead of reading them back."""
    state = clocks_compute(case, at=at, history=history)
    targets_store(case, state, at=at, created=created)
    return state


def clocks_compute(case: Case, *, at: datetime, history: list[dict[str, Any]] | None = None) -> ClockState:
    """The clocks as of ``at``, set on ``case`` (next_due_at, sla) without writing anything: a case
    not yet inserted gets them in its INSERT."""
    state = clock_state(case, as_of=at, history=history)
    case.next_due_at = next_due(state)
    case.sla = state.to_json()
    return state


def targets_store(case: Case, state: ClockState, *, at: datetime, created: bool = False) -> None:
    """Write the CaseTarget rows of ``state`` (insert them for a new case, else update them)."""
    rows = []
    for kind in TARGET_KINDS:
        clock = state.targets[TargetKind(kind)]
        rows.append(
            CaseTarget(
                case=case,
                reseller_id=case.reseller_id,
                kind=kind,
                state=clock.state.value,
                amount=str(clock.amount) if clock.amount is not None else "",
                due_at=clock.due,
                met_at=clock.met_at,
                warning_at=clock.warning_at,
            )
        )
    if created:
        _TARGET_INSERT.run(rows, connection.alias)  # as bulk_create, compiled once
    else:
        existing = {t.kind: t for t in CaseTarget.objects.filter(case=case)}
        for row in rows:
            row.pk = existing[row.kind].pk
        CaseTarget.objects.bulk_update(rows, ["state", "amount", "due_at", "met_at", "warning_at"])
        newly_breached = [r.kind for r in rows if r.state == "breached" and existing[r.kind].state != "breached"]
        if newly_breached:
            # Breached at this write, before any sweep saw it: record the breach now (exactly once,
            # through the sweep's alert key), or it would never be recorded at all.
            from caredesk.sweep.targets import breaches_record_at_write

            breaches_record_at_write(
                case=case, kinds=newly_breached, due={r.kind: r.due_at or at for r in rows}, now=at
            )


def next_due(state: ClockState) -> datetime | None:
    """The soonest due instant among targets still running (what "soonest breach first" orders by)."""
    dues = [c.due for c in state.targets.values() if c.state is TargetState.RUNNING and c.due is not None]
    return min(dues) if dues else None


def live_targets(case: Case, *, now: datetime) -> dict[str, dict[str, Any]]:
    """The stored targets as seen at ``now``: a running target whose due instant has passed is shown
    as breached at once, even before the background sweep records the breach."""
    out: dict[str, dict[str, Any]] = {}
    stored = case.sla.get("targets", {}) if case.sla else {}
    for kind in TARGET_KINDS:
        target = dict(stored.get(kind, {}))
        due = target.get("due")
        if target.get("state") == "running" and due and datetime.fromisoformat(due.replace("Z", "+00:00")) <= now:
            target["state"] = "breached"
        out[kind] = target
    return out
