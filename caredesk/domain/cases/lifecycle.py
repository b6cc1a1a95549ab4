"""The case lifecycle: states, the actions between them, who may act, and the severity rules.

Concept. A case is ``new`` until Customer Care first answers it, then ``open`` (being worked),
``awaiting_reseller`` (Customer Care asked the Designated Contact for information or action; the
restoration and resolution clocks stand still), ``restored`` (service restored or a workaround in
place, root cause still open), ``resolved`` and finally ``closed``. ``transition`` checks one
action against the state machine and the actor's role and returns the new state together with the
SLA events (``caredesk.domain.sla.clocks``) the application records for it, so that a case's
stored clocks are always a replay of its timeline.

Invariants.
- Only the transitions in ``_TABLE`` exist; anything else raises ``InvalidTransition`` naming the
  state and the action, and changes nothing (the function is pure).
- A Designated Contact may only ``reply``, ``reopen`` and ``close``; Customer Care (agents,
  managers, the vendor admin) may do everything but ``reply`` (their public comment is
  ``respond``); reseller staff and CSMs may do none (``PermissionDenied``).
- Every Customer Care action visible to the reseller (acknowledge, respond, await reseller,
  restore, resolve) records ``responded``, so no case leaves ``new`` without a response; the
  clocks count only the first one.
- ``closed`` is final. A case is closed only after it is resolved, so a closed case never has a
  clock still running.
- Severity: a Designated Contact proposes (never applies) another severity with a reason;
  Customer Care changes it; once a manager has decided, only a manager may change it again; the
  most severe levels (Severity 1 in the guide) are never asked for directly by a reseller
  (``SeverityOneProcedure`` explains the High-then-telephone procedure), and raising a case to them
  needs the telephone call and the Designated Contact available for it. A package accepts only
  its reporting channels (``ChannelNotAllowed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import NoReturn

from caredesk.domain.errors import (
    ChannelNotAllowed,
    InvalidTransition,
    PermissionDenied,
    RuleViolation,
    SeverityOneProcedure,
    ValidationFailed,
)
from caredesk.domain.sla.clocks import EventType
from caredesk.domain.sla.policy import KNOWN_CHANNELS, Policy
from caredesk.domain.tenancy.roles import Role, is_care, is_manager

__all__ = [
    "CaseAction",
    "CaseState",
    "ResolutionCode",
    "Transition",
    "allowed_actions",
    "check_channel",
    "check_intake_severity",
    "check_severity_change",
    "check_severity_decision",
    "check_severity_proposal",
    "transition",
]


class CaseState(StrEnum):
    NEW = "new"
    OPEN = "open"
    AWAITING_RESELLER = "awaiting_reseller"
    RESTORED = "restored"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CaseAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # Customer Care: explicit first response
    RESPOND = "respond"  # Customer Care: a public comment
    REPLY = "reply"  # Designated Contact: a comment (resumes a case that awaits the reseller)
    AWAIT_RESELLER = "await_reseller"
    RESUME = "resume"
    RESTORE = "restore"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"


class ResolutionCode(StrEnum):
    SOLUTION = "solution"  # the root cause is fixed
    WORKAROUND = "workaround"  # a workaround to the root cause
    THIRD_PARTY = "third_party"  # a third-party application: every unmet target is cancelled


OPEN_STATES = frozenset({CaseState.NEW, CaseState.OPEN, CaseState.AWAITING_RESELLER, CaseState.RESTORED})
"""States in which a case is being worked (its clocks may run)."""

_DC_ACTIONS = frozenset({CaseAction.REPLY, CaseAction.REOPEN, CaseAction.CLOSE})
_CARE_ACTIONS = frozenset(CaseAction) - {CaseAction.REPLY}

_BACK = None
"""In the table: the state a case returns to, ``restored`` if service was restored, else ``open``."""

_TABLE: Mapping[CaseState, Mapping[CaseAction, CaseState | None]] = MappingProxyType(
    {
        CaseState.NEW: {
            CaseAction.ACKNOWLEDGE: CaseState.OPEN,
            CaseAction.RESPOND: CaseState.OPEN,
            CaseAction.REPLY: CaseState.NEW,
            CaseAction.AWAIT_RESELLER: CaseState.AWAITING_RESELLER,
            CaseAction.RESTORE: CaseState.RESTORED,
            CaseAction.RESOLVE: CaseState.RESOLVED,
        },
        CaseState.OPEN: {
            CaseAction.RESPOND: CaseState.OPEN,
            CaseAction.REPLY: CaseState.OPEN,
            CaseAction.AWAIT_RESELLER: CaseState.AWAITING_RESELLER,
            CaseAction.RESTORE: CaseState.RESTORED,
            CaseAction.RESOLVE: CaseState.RESOLVED,
        },
        CaseState.AWAITING_RESELLER: {
            CaseAction.RESPOND: CaseState.AWAITING_RESELLER,
            CaseAction.REPLY: _BACK,
            CaseAction.RESUME: _BACK,
            CaseAction.RESTORE: CaseState.RESTORED,
            CaseAction.RESOLVE: CaseState.RESOLVED,
        },
        CaseState.RESTORED: {
            CaseAction.RESPOND: CaseState.RESTORED,
            CaseAction.REPLY: CaseState.RESTORED,
            CaseAction.AWAIT_RESELLER: CaseState.AWAITING_RESELLER,
            CaseAction.RESOLVE: CaseState.RESOLVED,
        },
        CaseState.RESOLVED: {
            CaseAction.RESPOND: CaseState.RESOLVED,
            CaseAction.REPLY: CaseState.RESOLVED,
            CaseAction.REOPEN: _BACK,
            CaseAction.CLOSE: CaseState.CLOSED,
        },
        CaseState.CLOSED: {},
    }
)

# Why an action is refused in a state, when the table has no entry for it.
_WHY: Mapping[tuple[CaseState | None, CaseAction | None], str] = MappingProxyType(
    {
        (None, CaseAction.ACKNOWLEDGE): "only a new case is acknowledged; this one has had its first response",
        (None, CaseAction.RESUME): "the case is not awaiting the reseller",
        (CaseState.AWAITING_RESELLER, CaseAction.AWAIT_RESELLER): "the case is already awaiting the reseller",
        (CaseState.RESTORED, CaseAction.RESTORE): "service was already recorded as restored",
        (CaseState.RESOLVED, CaseAction.RESOLVE): "the case is already resolved",
        (CaseState.RESOLVED, CaseAction.AWAIT_RESELLER): "the case is resolved; reopen it first",
        (CaseState.RESOLVED, CaseAction.RESTORE): "the case is resolved; reopen it first",
        (None, CaseAction.REOPEN): "only a resolved case can be reopened",
        (None, CaseAction.CLOSE): "only a resolved case can be closed; Customer Care resolves it first",
        (CaseState.CLOSED, None): "the case is closed; open a new case instead",
    }
)

_CARE_LABEL = "Customer Care"
_ROLE_LABELS: Mapping[Role, str] = MappingProxyType(
    {
        Role.DESIGNATED_CONTACT: "Designated Contact",
        Role.RESELLER_STAFF: "reseller staff member",
        Role.CSM: "Customer Success Manager",
        Role.CARE_AGENT: "Customer Care agent",
        Role.CARE_MANAGER: "Customer Care manager",
        Role.VENDOR_ADMIN: "vendor admin",
    }
)


@dataclass(frozen=True, slots=True)
class Transition:
    """An allowed step: the state before and after, and the SLA events to record, in order."""

    before: CaseState
    action: CaseAction
    after: CaseState
    sla_events: tuple[EventType, ...]
    code: ResolutionCode | None = None


def may_do(role: Role, action: CaseAction) -> bool:
    """Whether ``role`` may ever perform ``action`` (in some state)."""
    if role is Role.DESIGNATED_CONTACT:
        return action in _DC_ACTIONS
    return is_care(role) and action in _CARE_ACTIONS


def allowed_actions(state: CaseState, role: Role) -> frozenset[CaseAction]:
    """The actions ``role`` may take on a case in ``state`` now (for buttons and API hints)."""
    return frozenset(a for a in _TABLE[state] if may_do(role, a))


def transition(
    state: CaseState,
    action: CaseAction,
    *,
    role: Role,
    restored: bool = False,
    code: str | None = None,
) -> Transition:
    """Check ``action`` by ``role`` on a case in ``state``; return where it goes and what it records.

    ``restored``: whether service was recorded as restored by a ``restore`` action (not only by
    resolving); a case that resumes or is reopened goes back to ``restored`` if so, else ``open``.
    ``code``: the resolution code, required for ``resolve`` and refused otherwise.

    Raises ``PermissionDenied`` when the role may never do the action, ``InvalidTransition`` when
    the state does not allow it, ``ValidationFailed`` (field ``code``) for a bad resolution code.
    """
    if not may_do(role, action):
        who = _ROLE_LABELS.get(role, str(role))
        raise PermissionDenied(f"A {who} may not {_verb(action)} a case.", code="action_not_allowed_for_role")
    targets = _TABLE[state]
    if action not in targets:
        reason = (
            _WHY.get((state, None))
            or _WHY.get((state, action))
            or _WHY.get((None, action))
            or "the lifecycle does not allow it"
        )
        raise InvalidTransition(
            f"Cannot {_verb(action)} a case that is {state.value.replace('_', ' ')} "
            f"(state '{state.value}', action '{action.value}'): {reason}."
        )
    resolution = _resolution_code(action, code)
    after = targets[action]
    if after is None:
        after = CaseState.RESTORED if restored else CaseState.OPEN
    return Transition(state, action, after, _sla_events(state, action), resolution)


def _resolution_code(action: CaseAction, code: str | None) -> ResolutionCode | None:
    if action is not CaseAction.RESOLVE:
        if code is not None:
            raise ValidationFailed("only resolving takes a resolution code", errors={"code": "only for resolve"})
        return None
    known = ", ".join(c.value for c in ResolutionCode)
    if code is None:
        raise ValidationFailed(
            f"resolving needs a resolution code ({known})", errors={"code": f"required: one of {known}"}
        )
    try:
        return ResolutionCode(code)
    except ValueError:
        raise ValidationFailed(
            f"unknown resolution code {code!r}; expected one of {known}",
            errors={"code": f"unknown resolution code {code!r}; expected one of {known}"},
        ) from None


def _sla_events(state: CaseState, action: CaseAction) -> tuple[EventType, ...]:
    responded = EventType.RESPONDED
    if action in (CaseAction.ACKNOWLEDGE, CaseAction.RESPOND):
        return (responded,)
    if action is CaseAction.AWAIT_RESELLER:
        return (responded, EventType.AWAITING_RESELLER)
    if action is CaseAction.RESUME:
        return (EventType.RESUMED,)
    if action is CaseAction.REPLY:
        return (EventType.RESUMED,) if state is CaseState.AWAITING_RESELLER else ()
    if action is CaseAction.RESTORE:
        if state is CaseState.AWAITING_RESELLER:
            return (responded, EventType.RESUMED, EventType.RESTORED)
        return (responded, EventType.RESTORED)
    if action is CaseAction.RESOLVE:
        return (responded, EventType.RESOLVED)  # the clocks end a pause themselves
    if action is CaseAction.REOPEN:
        return (EventType.REOPENED,)
    return ()  # close


def _verb(action: CaseAction) -> str:
    return {
        CaseAction.AWAIT_RESELLER: "set to awaiting the reseller",
        CaseAction.REPLY: "reply to",
        CaseAction.RESPOND: "respond to",
    }.get(action, action.value)


# --------------------------------------------------------------------------- severity


def _procedure(policy: Policy) -> str:
    intake = policy.intake
    top = policy.severity_name(min(policy.severities))
    allowed = policy.severity_name(intake.portal_max_severity)
    return (
        f"Severity {top} is never opened or raised directly by a reseller: submit the case as "
        f"Severity {allowed} in the portal, then telephone Customer Care, and an agent raises it, "
        f"recording the call and the Designated Contact available for it."
    )


def check_intake_severity(*, severity: int, policy: Policy) -> int:
    """A severity a new case may be submitted with (by a DC in the portal or an agent by phone).

    The most severe levels (more severe than ``intake.portal_max_severity``) are reached only by
    raising a case after a telephone call, never by opening it so.
    """
    severity = policy.check_severity(severity)
    if Policy.is_raise(policy.intake.portal_max_severity, severity):
        _refuse_top_severity(severity, policy)
    return severity


def _refuse_top_severity(severity: int, policy: Policy) -> NoReturn:
    if policy.intake.critical_by_phone_raise_only:
        raise SeverityOneProcedure(_procedure(policy))
    raise RuleViolation(
        f"A reseller cannot ask for Severity {policy.severity_name(severity)}; the most severe level a "
        f"case may be submitted with is {policy.severity_name(policy.intake.portal_max_severity)}.",
        code="severity_not_allowed",
    )


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ValidationFailed(
            "a severity change needs a reason", errors={"reason": "required: say why the severity should change"}
        )


def check_severity_proposal(*, role: Role, current: int, proposed: int, reason: str, policy: Policy) -> None:
    """A Designated Contact proposes another severity; Customer Care will accept or reject it."""
    if role is not Role.DESIGNATED_CONTACT:
        if is_care(role):
            raise PermissionDenied(
                "Customer Care changes the severity directly; proposals are for Designated Contacts.",
                code="severity_proposal_for_designated_contacts",
            )
        raise PermissionDenied(
            "Only a Designated Contact may propose a severity.", code="severity_proposal_for_designated_contacts"
        )
    proposed = policy.check_severity(proposed, field="proposed")
    if proposed == current:
        raise ValidationFailed(
            f"the case already has severity {current}", errors={"proposed": "the same as the current severity"}
        )
    _require_reason(reason)
    if Policy.is_raise(policy.intake.portal_max_severity, proposed):
        _refuse_top_severity(proposed, policy)


def check_severity_change(
    *,
    role: Role,
    current: int,
    new: int,
    reason: str,
    policy: Policy,
    decided_by_manager: bool = False,
    phone_call_at: datetime | None = None,
    available_contact: object | None = None,
) -> None:
    """Customer Care changes a case's severity (directly, or by accepting a proposal).

    ``decided_by_manager``: the current severity was set by a Customer Care manager's decision,
    which is final for agents. Raising to a level above ``intake.portal_max_severity`` (Critical)
    needs ``phone_call_at`` (the DC's call) and ``available_contact`` (the DC available for it).
    """
    if role is Role.DESIGNATED_CONTACT:
        raise PermissionDenied(
            "A Designated Contact proposes a severity; Customer Care decides.", code="severity_proposal_only"
        )
    if not is_care(role):
        raise PermissionDenied("Only Customer Care changes a case's severity.", code="severity_change_for_care")
    new = policy.check_severity(new, field="severity")
    if new == current:
        raise ValidationFailed(
            f"the case already has severity {current}", errors={"severity": "the same as the current severity"}
        )
    _require_reason(reason)
    if decided_by_manager and not is_manager(role):
        raise PermissionDenied(
            "A Customer Care manager decided this case's severity; only a manager can change it.",
            code="severity_decision_final",
        )
    intake = policy.intake
    if intake.critical_by_phone_raise_only and Policy.is_raise(intake.portal_max_severity, new):
        errors: dict[str, str] = {}
        if phone_call_at is None:
            errors["phone_call_at"] = "required: when the Designated Contact telephoned Customer Care"
        if available_contact is None:
            errors["available_contact"] = "required: the Designated Contact available for the case"
        if errors:
            raise ValidationFailed(
                f"raising a case to Severity {policy.severity_name(new)} records the telephone call and the "
                "Designated Contact available for it",
                errors=errors,
            )


def check_severity_decision(
    *,
    role: Role,
    accept: bool,
    current: int,
    proposed: int,
    reason: str,
    policy: Policy,
    decided_by_manager: bool = False,
    phone_call_at: datetime | None = None,
    available_contact: object | None = None,
) -> None:
    """Customer Care accepts or rejects a Designated Contact's severity proposal.

    Accepting is a severity change (every rule of ``check_severity_change`` applies). Rejecting
    keeps the current severity and needs only a Customer Care role and a reason.
    """
    if accept:
        check_severity_change(
            role=role,
            current=current,
            new=proposed,
            reason=reason,
            policy=policy,
            decided_by_manager=decided_by_manager,
            phone_call_at=phone_call_at,
            available_contact=available_contact,
        )
        return
    if not is_care(role):
        raise PermissionDenied(f"Only {_CARE_LABEL} decides on a severity proposal.", code="severity_decision_for_care")
    _require_reason(reason)


def check_channel(*, policy: Policy, package: str, channel: str) -> None:
    """The package accepts cases through ``channel`` (Care for Cloud: portal and API only)."""
    if channel not in KNOWN_CHANNELS:
        raise ValidationFailed(
            f"unknown channel {channel!r}; expected one of {', '.join(KNOWN_CHANNELS)}",
            errors={"channel": f"unknown channel {channel!r}"},
        )
    spec = policy.package(package)
    if not spec.allows_channel(channel):
        raise ChannelNotAllowed(
            f"{spec.label} accepts cases only through {' or '.join(spec.channels)}, not by {channel}; "
            "please use the portal."
            if "portal" in spec.channels
            else f"{spec.label} accepts cases only through {' or '.join(spec.channels)}, not by {channel}."
        )
