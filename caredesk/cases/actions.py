"""Writes for working a case: every lifecycle action, comments and assignment. Each public
function locks the case, checks If-Match and the pure lifecycle, appends the timeline events with
the SLA events the lifecycle names, refreshes the clocks and saves, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.clocks import clocks_refresh
from caredesk.cases.models import Case, CaseStatus, Comment
from caredesk.cases.timeline import case_event_append
from caredesk.domain.cases import lifecycle
from caredesk.domain.cases.lifecycle import CaseAction, CaseState, Transition
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import User


def _iso(at: datetime) -> str:
    return at.isoformat()


def _locked(actor: User, case_id: int, if_match: int | None) -> Case:
    from caredesk.cases.selectors import case_visible_for_actor

    case = case_visible_for_actor(actor=actor).select_for_update().select_related("policy").filter(pk=case_id).first()
    if case is None:
        raise NotFound("case not found")
    if if_match is not None and if_match != case.version:
        raise StaleVersion(
            f"The case changed since you read it (your version {if_match}, now {case.version}); reload and retry."
        )
    return case


def _save(case: Case, at: datetime, *, refresh: bool, fields: list[str]) -> Case:
    if refresh:
        clocks_refresh(case, at=at)
        fields = [*fields, "next_due_at", "sla"]
    case.version += 1
    case.updated_at = at
    case.save(update_fields=[*set(fields), "version", "updated_at"])
    return case


def _response_met(case: Case) -> bool:
    return bool(case.sla and case.sla.get("targets", {}).get("response", {}).get("met_at"))


def _policy(case: Case) -> Policy:
    return policy_of(case.policy)


def _step(case: Case, actor: User, action: CaseAction, code: str | None = None) -> Transition:
    return lifecycle.transition(
        CaseState(case.status), action, role=actor.role_enum, restored=case.restored_at is not None, code=code
    )


def _record(
    case: Case,
    actor: User,
    step: Transition,
    *,
    kind: str,
    at: datetime,
    channel: str,
    data: dict[str, Any] | None = None,
    internal: bool = False,
) -> bool:
    """Append the action's timeline event with the SLA events the lifecycle says it records (each
    as its own event, in order; a response after the first is not recorded again). Returns whether
    any SLA event was recorded."""
    sla_events = [e.value for e in step.sla_events if not (e.value == "responded" and _response_met(case))]
    body = {"status": [step.before.value, step.after.value], **(data or {})}
    if not sla_events:
        case_event_append(case=case, actor=actor, kind=kind, at=at, channel=channel, data=body, internal=internal)
        return False
    for i, sla_type in enumerate(sla_events):
        sla: dict[str, Any] = {"type": sla_type, "at": _iso(at)}
        if sla_type == "resolved" and step.code is lifecycle.ResolutionCode.THIRD_PARTY:
            sla["code"] = "third_party"
        last = i == len(sla_events) - 1
        case_event_append(
            case=case,
            actor=actor,
            kind=kind if last else sla_type,
            at=at,
            channel=channel,
            data=body if last else {"with": kind},
            internal=internal and last,
            sla=sla,
        )
        if sla_type == "responded":
            # Later steps of the same action must see the response as met.
            case.sla = {**case.sla, "targets": {**case.sla.get("targets", {}), "response": {"met_at": _iso(at)}}}
    return True


def _act(
    *,
    actor: User,
    case_id: int,
    action: CaseAction,
    kind: str,
    channel: str,
    if_match: int | None,
    now: datetime | None,
    data: dict[str, Any] | None = None,
    code: str | None = None,
    fields: tuple[str, ...] = (),
) -> Case:
    at = now or clock_now()
    case = _locked(actor, case_id, if_match)
    step = _step(case, actor, action, code)
    case.status = step.after.value
    if action is CaseAction.RESTORE:
        case.restored_at = at
    elif action is CaseAction.RESOLVE:
        case.resolved_at, case.resolution_code = at, step.code.value if step.code else ""
        case.resolution_summary = (data or {}).get("summary", "")
    elif action is CaseAction.REOPEN:
        case.resolved_at, case.resolution_code, case.resolution_summary = None, "", ""
    elif action is CaseAction.CLOSE:
        case.closed_at = at
    sla = _record(case, actor, step, kind=kind, at=at, channel=channel, data=data)
    _save(
        case,
        at,
        refresh=sla,
        fields=["status", "restored_at", "resolved_at", "resolution_code", "resolution_summary", "closed_at", *fields],
    )
    if action in (CaseAction.RESOLVE, CaseAction.REOPEN):
        # Service Resolution opens the post-mortem the policy owes; reopening cancels an open one.
        from caredesk.incidents.services import post_incident_case_changed

        post_incident_case_changed(case=case, action=action.value, at=at)
    return case


def _required(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise ValidationFailed(message, errors={field: "must not be empty"})
    return value.strip()


@transaction.atomic
def case_comment(
    *,
    actor: User,
    case_id: int,
    body: str,
    internal: bool = False,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Comment:
    """A comment. Customer Care's public comment is a response; a Designated Contact's reply to a
    case awaiting the reseller resumes its clocks; an internal note is seen by Customer Care only."""
    at = now or clock_now()
    body = _required(body, "body", "the comment is empty")
    case = _locked(actor, case_id, if_match)
    care = roles.is_care(actor.role_enum)
    if internal and not care:
        raise PermissionDenied("Only Customer Care writes internal notes.")
    comment = Comment(
        case=case, reseller_id=case.reseller_id, author=actor, body=body, internal=internal, created_at=at
    )
    if internal:
        if case.status == CaseStatus.CLOSED:
            raise InvalidTransition("The case is closed; open a new case instead.")
        comment.save()
        case_event_append(
            case=case,
            actor=actor,
            kind="internal_note_added",
            at=at,
            channel=channel,
            internal=True,
            data={"comment": comment.pk, "body": body},
        )
        _save(case, at, refresh=False, fields=[])
        return comment
    step = _step(case, actor, CaseAction.RESPOND if care else CaseAction.REPLY)
    comment.save()
    case.status = step.after.value
    sla = _record(
        case, actor, step, kind="comment_added", at=at, channel=channel, data={"comment": comment.pk, "body": body}
    )
    _save(case, at, refresh=sla, fields=["status"])
    return comment


@transaction.atomic
def case_acknowledge(
    *, actor: User, case_id: int, channel: str = "api", if_match: int | None = None, now: datetime | None = None
) -> Case:
    """Customer Care's explicit first response, visible to the reseller."""
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.ACKNOWLEDGE,
        kind="acknowledged",
        channel=channel,
        if_match=if_match,
        now=now,
    )


@transaction.atomic
def case_await_reseller(
    *,
    actor: User,
    case_id: int,
    message: str,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Customer Care asks the Designated Contact for information or action (a public message):
    restoration and resolution clocks pause until the reseller replies or Customer Care resumes."""
    at = now or clock_now()
    message = _required(message, "message", "say what you need from the reseller")
    case = _locked(actor, case_id, if_match)
    step = _step(case, actor, CaseAction.AWAIT_RESELLER)
    comment = Comment.objects.create(case=case, reseller_id=case.reseller_id, author=actor, body=message, created_at=at)
    case.status = step.after.value
    _record(
        case,
        actor,
        step,
        kind="awaiting_reseller",
        at=at,
        channel=channel,
        data={"comment": comment.pk, "message": message},
    )
    return _save(case, at, refresh=True, fields=["status"])


@transaction.atomic
def case_resume(
    *, actor: User, case_id: int, channel: str = "api", if_match: int | None = None, now: datetime | None = None
) -> Case:
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.RESUME,
        kind="resumed",
        channel=channel,
        if_match=if_match,
        now=now,
    )


@transaction.atomic
def case_restore(
    *,
    actor: User,
    case_id: int,
    summary: str,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    summary = _required(summary, "summary", "describe the restoration or workaround")
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.RESTORE,
        kind="restored",
        channel=channel,
        if_match=if_match,
        now=now,
        data={"summary": summary},
    )


@transaction.atomic
def case_resolve(
    *,
    actor: User,
    case_id: int,
    code: str,
    summary: str,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    summary = _required(summary, "summary", "describe the solution or workaround to the root cause")
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.RESOLVE,
        kind="resolved",
        channel=channel,
        if_match=if_match,
        now=now,
        code=code,
        data={"code": code, "summary": summary},
    )


@transaction.atomic
def case_reopen(
    *,
    actor: User,
    case_id: int,
    reason: str,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    reason = _required(reason, "reason", "say why the case is reopened")
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.REOPEN,
        kind="reopened",
        channel=channel,
        if_match=if_match,
        now=now,
        data={"reason": reason},
    )


@transaction.atomic
def case_close(
    *, actor: User, case_id: int, channel: str = "api", if_match: int | None = None, now: datetime | None = None
) -> Case:
    return _act(
        actor=actor,
        case_id=case_id,
        action=CaseAction.CLOSE,
        kind="closed",
        channel=channel,
        if_match=if_match,
        now=now,
    )


@transaction.atomic
def case_assign(
    *,
    actor: User,
    case_id: int,
    assignee_id: int | None,
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    at = now or clock_now()
    if not roles.is_care(actor.role_enum):
        raise PermissionDenied("Only Customer Care assigns cases.")
    case = _locked(actor, case_id, if_match)
    assignee = None
    if assignee_id is not None:
        assignee = User.objects.filter(
            pk=assignee_id, is_active=True, role__in=[Role.CARE_AGENT.value, Role.CARE_MANAGER.value]
        ).first()
        if assignee is None:
            raise ValidationFailed(
                "no such agent", errors={"assignee_id": "no active Customer Care agent with this id"}
            )
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition("The case is closed; open a new case instead.")
    before = case.assignee_id
    case.assignee = assignee
    case_event_append(
        case=case,
        actor=actor,
        kind="assigned",
        at=at,
        channel=channel,
        data={"assignee": [before, assignee.pk if assignee else None]},
    )
    return _save(case, at, refresh=False, fields=["assignee"])
