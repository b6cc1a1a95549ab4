"""Case histories for bench/seed.py, built the way caredesk.cases.services builds them.

Each case follows a *script* of lifecycle actions (acknowledge, assign, respond, reply, await the
reseller, restore, resolve, close, internal notes, attachments). Every step goes through the real
state machine (``caredesk.domain.cases.lifecycle.transition``), records the SLA events it says in
the order and with the event kinds and payloads of ``services._record``, and every event is hashed
with ``caredesk.cases.timeline.case_event_content`` and ``event_digest`` — the functions the
application and ``caredesk audit verify`` use. The stored clocks (``Case.sla``, ``next_due_at``
and the CaseTarget rows) are the real SLA engine's ``replay`` of the case's SLA events as of the
last action that recorded one, which is exactly what the services store (they refresh the clocks
only when an action records an SLA event). tests/integration/test_seed.py checks both against
the application's own ``clock_state`` and ``verify_events``.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.sink import as_json
from caredesk.cases.timeline import GENESIS, case_event_content, event_digest
from caredesk.domain.cases.lifecycle import CaseAction, CaseState, transition
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import ClockState, EventType, SlaEvent, TargetState
from caredesk.domain.sla.policy import Policy
from caredesk.domain.sla.replay import replay
from caredesk.domain.tenancy.roles import Role

A = CaseAction
# (weight, open?, steps). A step is an action, "assign", "note" (internal) or "attach".
SCRIPTS: list[tuple[int, bool, list[Any]]] = [
    (6, True, []),
    (8, True, [A.ACKNOWLEDGE, "assign"]),
    (5, True, [A.ACKNOWLEDGE, "assign", A.AWAIT_RESELLER]),
    (6, True, [A.RESPOND, A.REPLY, "note", A.RESPOND]),
    (5, True, [A.ACKNOWLEDGE, "assign", "attach", A.RESTORE]),
    (15, False, [A.ACKNOWLEDGE, "assign", A.RESPOND, A.REPLY, A.RESOLVE]),
    (55, False, [A.ACKNOWLEDGE, "assign", A.AWAIT_RESELLER, A.REPLY, "note", A.RESTORE, A.RESOLVE, A.CLOSE]),
]
SEVERITIES = [(2, 20), (3, 50), (4, 30)]
TITLES = [
    "Agents cannot log in to the desktop",
    "Outbound campaign stopped dialling",
    "Reports show no data since the upgrade",
    "IVR plays the wrong greeting",
    "Calls drop after transfer to queue",
    "Recording playback fails in the browser",
    "Wallboard figures lag by several minutes",
    "Chat widget does not load for customers",
]
LEVEL1 = as_json(
    {
        "help_consulted": True,
        "user_guide_faq_consulted": True,
        "service_advisories_checked": True,
        "problem_reproduced": True,
        "third_party_cause_ruled_out": True,
    }
)
EMPTY = as_json({})
KIND_OF_ACTION = {
    A.ACKNOWLEDGE: "acknowledged",
    A.RESPOND: "comment_added",
    A.REPLY: "comment_added",
    A.AWAIT_RESELLER: "awaiting_reseller",
    A.RESTORE: "restored",
    A.RESOLVE: "resolved",
    A.CLOSE: "closed",
}


@dataclass
class Account:
    id: int
    reseller_id: int
    department: str
    calendar: dict[str, Any]
    cal: BusinessCalendar
    subscriptions: list[tuple[str, str]]  # (service, package)
    dcs: list[int]
    calendar_json: str


@dataclass
class World:
    now: datetime
    policy_id: int
    policy_key: str
    policy: Policy
    agents: list[int]
    accounts: list[Account]
    account_weights: list[float]  # cumulative
    with_attachments: bool


@dataclass
class Rows:
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)


class _Event:
    """The attributes case_event_content reads, without a model instance (60x cheaper)."""

    __slots__ = ("actor_id", "actor_role", "at", "case_id", "channel", "data", "hash", "internal", "kind", "seq", "sla")

    def __init__(self, **values: Any) -> None:
        for k, v in values.items():
            setattr(self, k, v)


@dataclass
class Plan:
    """One case's random choices; ids are assigned when the batch's id blocks are reserved."""

    account: Account
    service: str
    package: str
    severity: int
    dc: int
    agent: int
    channel: str
    title: str
    submitted_at: datetime
    steps: list[tuple[Any, datetime]]
    n_comments: int
    n_attachments: int


def plan_case(rng: random.Random, world: World) -> Plan:
    account = rng.choices(world.accounts, cum_weights=world.account_weights)[0]
    service, package = account.subscriptions[rng.randrange(len(account.subscriptions))]
    _, is_open, script = rng.choices(SCRIPTS, weights=[s[0] for s in SCRIPTS])[0]
    script = [s for s in script if s != "attach" or world.with_attachments]
    if world.with_attachments and rng.random() < 0.08 and "attach" not in script:
        script = ["attach", *script]
    gaps = [timedelta(minutes=rng.randint(3, 600 if s is not A.CLOSE else 20_000)) for s in script]
    span = timedelta(days=45 if is_open else 720)
    submitted = world.now - sum(gaps, timedelta()) - span * rng.random() - timedelta(minutes=1)
    submitted = submitted.replace(microsecond=rng.randrange(1_000_000))
    at, steps = submitted, []
    for step, gap in zip(script, gaps, strict=True):
        at = at + gap
        steps.append((step, at))
    n_comments = sum(1 for step, _ in steps if step in (A.RESPOND, A.REPLY, A.AWAIT_RESELLER, "note"))
    return Plan(
        account=account,
        service=service,
        package=package,
        severity=rng.choices([s for s, _ in SEVERITIES], weights=[w for _, w in SEVERITIES])[0],
        dc=account.dcs[rng.randrange(len(account.dcs))],
        agent=world.agents[rng.randrange(len(world.agents))],
        channel="api" if rng.random() < 0.4 else "portal",
        title=f"{TITLES[rng.randrange(len(TITLES))]} ({rng.randrange(1, 10_000)})",
        submitted_at=submitted,
        steps=steps,
        n_comments=n_comments,
        n_attachments=sum(1 for s, _ in steps if s == "attach"),
    )


class Ids:
    def __init__(self, first: int) -> None:
        self.next = first

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def build_case(plan: Plan, world: World, case_id: int, comments: Ids, files: Ids, rows: Rows) -> None:
    """Append the case's rows (case, events, comments, attachments, targets) to ``rows``. Events and
    targets get their ids later (no hash covers them); comment and attachment ids are in event data."""
    acc = plan.account
    reseller = acc.reseller_id
    chain: list[_Event] = []
    sla_events: list[SlaEvent] = []
    state, restored, responded, version = CaseState.NEW, False, False, 1
    last_refresh = plan.submitted_at
    case: dict[str, Any] = {
        "id": case_id,
        "reseller_id": reseller,
        "account_id": acc.id,
        "policy_id": world.policy_id,
        "kind": "incident",
        "service": plan.service,
        "package": plan.package,
        "severity": plan.severity,
        "channel": plan.channel,
        "title": plan.title,
        "department": acc.department,
        "users_affected": 1 + case_id % 200,
        "frequency": ("once", "intermittent", "constant")[case_id % 3],
        "first_observed_at": plan.submitted_at - timedelta(hours=2),
        "business_impact": "Customers wait longer than the service level allows; supervisors escalate.",
        "steps_to_reproduce": "Log in as any agent of the affected site and repeat the action shown.",
        "local_contact": "Site supervisor, reachable during business hours",
        "impacted_working_hours": "Mon-Fri 08:00-18:00",
        "impacted_timezone": acc.calendar.get("timezone", "UTC"),
        "calendar": acc.calendar_json,
        "level1": LEVEL1,
        "additional_details": EMPTY,
        "opened_by_id": plan.dc,
        "recorded_by_id": plan.dc,
        "assignee_id": None,
        "submitted_at": plan.submitted_at,
        "resolution_code": "",
        "resolution_summary": "",
    }

    def append(actor: int | None, role: str, kind: str, at: datetime, data: dict[str, Any], **kw: Any) -> None:
        prev = chain[-1].hash if chain else GENESIS
        ev = _Event(
            case_id=case_id,
            seq=len(chain) + 1,
            at=at,
            actor_id=actor,
            actor_role=role,
            channel=kw.get("channel", "portal"),
            kind=kind,
            internal=kw.get("internal", False),
            data=data,
            sla=kw.get("sla"),
        )
        digest = event_digest(prev, case_event_content(ev))
        ev.hash = digest
        chain.append(ev)
        rows.events.append(
            {
                "case_id": case_id,
                "reseller_id": reseller,
                "seq": ev.seq,
                "at": at,
                "actor_id": actor,
                "actor_role": role,
                "channel": ev.channel,
                "kind": kind,
                "internal": ev.internal,
                "data": data,
                "sla": ev.sla,
                "prev_hash": prev,
                "hash": digest,
            }
        )

    def comment(author: int, body: str, at: datetime, internal: bool = False) -> int:
        cid = comments.take()
        rows.comments.append(
            {
                "id": cid,
                "case_id": case_id,
                "reseller_id": reseller,
                "author_id": author,
                "body": body,
                "internal": internal,
                "created_at": at,
            }
        )
        return cid

    t0 = plan.submitted_at
    dc_role, agent_role = Role.DESIGNATED_CONTACT.value, Role.CARE_AGENT.value
    append(
        plan.dc,
        dc_role,
        "case_opened",
        t0,
        {
            "severity": plan.severity,
            "service": plan.service,
            "package": plan.package,
            "kind": "incident",
            "policy": world.policy_key,
            "opened_by": plan.dc,
            "title": plan.title,
        },
        channel=plan.channel,
        sla={"type": "submitted", "at": t0.isoformat(), "severity": plan.severity},
    )
    sla_events.append(SlaEvent(EventType.SUBMITTED, t0, severity=plan.severity))
    at = t0
    for step, at in plan.steps:
        version += 1
        if step == "assign":
            append(plan.agent, agent_role, "assigned", at, {"assignee": [case["assignee_id"], plan.agent]})
            case["assignee_id"] = plan.agent
            continue
        if step == "note":
            body = "Checked the platform logs; nothing abnormal on our side yet."
            cid = comment(plan.agent, body, at, internal=True)
            append(plan.agent, agent_role, "internal_note_added", at, {"comment": cid, "body": body}, internal=True)
            continue
        if step == "attach":
            aid = files.take()
            content = attachment_bytes(case_id, aid)
            size, sha = len(content), hashlib.sha256(content).hexdigest()
            rows.attachments.append(
                {
                    "id": aid,
                    "case_id": case_id,
                    "reseller_id": reseller,
                    "filename": f"agent-log-{case_id}.txt",
                    "storage_name": f"attachments/{reseller}/{case_id}/seed-{aid}",
                    "size": size,
                    "sha256": sha,
                    "kind": "text",
                    "redacted": False,
                    "redaction": {},
                    "confirmed_no_customer_data": False,
                    "uploaded_by_id": plan.dc,
                    "created_at": at,
                }
            )
            append(
                plan.dc,
                dc_role,
                "attachment_added",
                at,
                {
                    "attachment": aid,
                    "filename": f"agent-log-{case_id}.txt",
                    "size": size,
                    "sha256": sha,
                    "kind": "text",
                    "redacted": [],
                    "metadata_stripped": False,
                },
            )
            continue
        by_dc = step in (A.REPLY, A.CLOSE)
        actor, role = (plan.dc, dc_role) if by_dc else (plan.agent, agent_role)
        code = ("solution", "workaround")[case_id % 2] if step is A.RESOLVE else None
        tr = transition(state, step, role=Role(role), restored=restored, code=code)
        data: dict[str, Any] = {}
        if step in (A.RESPOND, A.REPLY):
            body = "We are looking into it." if step is A.RESPOND else "Thanks, it happens again this morning."
            data = {"comment": comment(actor, body, at), "body": body}
        elif step is A.AWAIT_RESELLER:
            msg = "Please send the agent log of an affected desktop."
            data = {"comment": comment(actor, msg, at), "message": msg}
        elif step is A.RESTORE:
            restored = True
            case["restored_at"] = at
            data = {"summary": "Service restored by failing over the media server."}
        elif step is A.RESOLVE:
            summary = "Root cause fixed in the platform release."
            case.update(resolved_at=at, resolution_code=code, resolution_summary=summary)
            data = {"code": code, "summary": summary}
        elif step is A.CLOSE:
            case["closed_at"] = at
        state = tr.after
        kinds = [e for e in tr.sla_events if not (e is EventType.RESPONDED and responded)]
        body = {"status": [tr.before.value, tr.after.value], **data}
        if not kinds:
            append(actor, role, KIND_OF_ACTION[step], at, body)
            continue
        for i, etype in enumerate(kinds):
            sla: dict[str, Any] = {"type": etype.value, "at": at.isoformat()}
            last = i == len(kinds) - 1
            kind = KIND_OF_ACTION[step]
            append(actor, role, kind if last else etype.value, at, body if last else {"with": kind}, sla=sla)
            sla_events.append(SlaEvent(etype, at))
            responded = responded or etype is EventType.RESPONDED
        last_refresh = at
    clocks = replay(sla_events, package=plan.package, policy=world.policy, calendar=acc.cal, as_of=last_refresh)
    case.update(
        status=state.value,
        version=version,
        updated_at=at,
        next_due_at=next_due(clocks),
        sla=clocks.to_json(),
    )
    rows.cases.append(case)
    for kind, clock in clocks.targets.items():
        rows.targets.append(
            {
                "case_id": case_id,
                "reseller_id": reseller,
                "kind": kind.value,
                "state": clock.state.value,
                "amount": str(clock.amount) if clock.amount is not None else "",
                "due_at": clock.due,
                "met_at": clock.met_at,
                "warning_at": clock.warning_at,
            }
        )


def attachment_bytes(case_id: int, attachment_id: int) -> bytes:
    """The content a seeded attachment stands for (its size and SHA-256 are this content's); written
    to storage only with ``seed(files=True)``, since a million small files prove nothing here."""
    line = f"2026-11-02T08:{attachment_id % 60:02d}:00Z desk {case_id % 97} login timeout after 30 s\n"
    return (line * (1 + case_id % 40)).encode()


def next_due(state: ClockState) -> datetime | None:
    """As caredesk.cases.clocks.next_due: the soonest due among running targets."""
    dues = [c.due for c in state.targets.values() if c.state is TargetState.RUNNING and c.due is not None]
    return min(dues) if dues else None


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
