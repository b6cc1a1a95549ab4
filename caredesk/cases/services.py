"""Writes for cases: intake, phone intake, and every action of the lifecycle. Each public function
is the one write path for its action: it locks the case, checks the version (If-Match) and the
lifecycle, appends the timeline event(s), recomputes the SLA clocks and saves, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.clocks import clocks_refresh
from caredesk.cases.models import Case, CaseEvent, CaseStatus, Comment, SeverityProposal
from caredesk.cases.timeline import case_event_append
from caredesk.domain.cases import lifecycle
from caredesk.domain.cases.intake import Channel, IntakeData, check_intake
from caredesk.domain.cases.lifecycle import CaseAction, CaseState, Transition
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import EndUserAccount, Subscription, User
from caredesk.tenancy.selectors import active_designated_contacts


def _iso(at: datetime) -> str:
    return at.isoformat()


def _subscribed(account: EndUserAccount, at: datetime) -> dict[str, str]:
    day = at.date()
    return dict(
        Subscription.objects.filter(account=account, term_start__lte=day, term_end__gte=day).values_list(
            "service", "package"
        )
    )


def _intake_account(reseller_id: int, account_id: Any) -> EndUserAccount | None:
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        return None
    return EndUserAccount.objects.filter(pk=account_id, reseller_id=reseller_id).first()


def _create(
    *,
    data: IntakeData,
    account: EndUserAccount,
    opened_by: User,
    recorded_by: User,
    channel: Channel,
    policy_version: Any,
    package: str,
    at: datetime,
) -> Case:
    case = Case.objects.create(
        reseller_id=account.reseller_id,
        account=account,
        policy=policy_version,
        kind=data.kind.value,
        service=data.service,
        package=package,
        severity=data.severity,
        status=CaseStatus.NEW,
        channel=channel.value,
        title=data.title,
        department=data.department or account.department,
        users_affected=data.users_affected,
        frequency=data.frequency.value,
        first_observed_at=data.first_observed_at,
        business_impact=data.business_impact,
        steps_to_reproduce=data.steps_to_reproduce,
        local_contact=data.local_contact,
        impacted_working_hours=data.impacted_working_hours,
        impacted_timezone=data.impacted_timezone,
        calendar=account.calendar,
        level1=dict(data.level1),
        additional_details=dict(data.additional_details),
        opened_by=opened_by,
        recorded_by=recorded_by,
        submitted_at=at,
        updated_at=at,
    )
    case_event_append(
        case=case,
        actor=recorded_by,
        kind="case_opened",
        at=at,
        channel=channel.value,
        data={
            "severity": data.severity,
            "service": data.service,
            "package": package,
            "kind": data.kind.value,
            "policy": policy_version.key,
            "opened_by": opened_by.pk,
            "title": data.title,
        },
        sla={"type": "submitted", "at": _iso(at), "severity": data.severity},
    )
    clocks_refresh(case, at=at, created=True)
    case.save(update_fields=["next_due_at", "sla"])
    return case


def _dc_intake(
    actor: User, payload: dict[str, Any], channel: str, at: datetime
) -> tuple[IntakeData, EndUserAccount, dict[str, str], Any]:
    if actor.role_enum is not Role.DESIGNATED_CONTACT:
        raise PermissionDenied("Only a Designated Contact may open cases.")
    roles.check_can_open_cases(active_designated_contacts(reseller_id=actor.tenant_id).count())
    version = policy_current()
    policy = policy_of(version)
    account = _intake_account(actor.tenant_id, payload.get("account_id"))
    subscribed = _subscribed(account, at) if account is not None else None
    data = check_intake(payload, now=at, policy=policy, subscribed_services=subscribed, channel=Channel(channel))
    assert account is not None and subscribed is not None
    return data, account, subscribed, version


def case_intake_check(
    *, actor: User, payload: dict[str, Any], channel: str = "api", now: datetime | None = None
) -> IntakeData:
    """Every check ``case_open`` makes, writing nothing (the portal's inline validation): raises
    the same errors ``case_open`` would raise for ``payload``, or returns the valid intake."""
    return _dc_intake(actor, payload, channel, now or clock_now())[0]


@transaction.atomic
def case_open(*, actor: User, payload: dict[str, Any], channel: str = "api", now: datetime | None = None) -> Case:
    """A Designated Contact opens a case in the portal or through the API."""
    at = now or clock_now()
    data, account, subscribed, version = _dc_intake(actor, payload, channel, at)
    return _create(
        data=data,
        account=account,
        opened_by=actor,
        recorded_by=actor,
        channel=Channel(channel),
        policy_version=version,
        package=subscribed[data.service],
        at=at,
    )


@transaction.atomic
def case_open_by_phone(
    *, actor: User, on_behalf_of_id: int, payload: dict[str, Any], now: datetime | None = None
) -> Case:
    """An agent records a case telephoned in by a Designated Contact (packages with a phone channel)."""
    at = now or clock_now()
    if not roles.is_care(actor.role_enum):
        raise PermissionDenied("Only Customer Care records cases received by telephone.")
    dc = User.objects.filter(pk=on_behalf_of_id, role=Role.DESIGNATED_CONTACT.value, is_active=True).first()
    if dc is None:
        raise ValidationFailed(
            "no such Designated Contact", errors={"on_behalf_of_id": "no active Designated Contact with this id"}
        )
    roles.check_can_open_cases(active_designated_contacts(reseller_id=dc.tenant_id).count())
    version = policy_current()
    policy = policy_of(version)
    account = _intake_account(dc.tenant_id, payload.get("account_id"))
    subscribed = _subscribed(account, at) if account is not None else None
    data = check_intake(payload, now=at, policy=policy, subscribed_services=subscribed, channel=Channel.PHONE)
    assert account is not None and subscribed is not None
    return _create(
        data=data,
        account=account,
        opened_by=dc,
        recorded_by=actor,
        channel=Channel.PHONE,
        policy_version=version,
        package=subscribed[data.service],
        at=at,
    )


# --------------------------------------------------------------------------- working a case


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


# --------------------------------------------------------------------------- severity


def _change_severity(
    case: Case,
    actor: User,
    new: int,
    reason: str,
    at: datetime,
    channel: str,
    kind: str = "severity_changed",
    data: dict[str, Any] | None = None,
    counts_from: datetime | None = None,
) -> None:
    before = case.severity
    case.severity = new
    # The SLA history must stay in time order: a change dated before the latest SLA event (a phone
    # call recorded after the agent already answered) counts from that latest event instead.
    latest = (
        CaseEvent.objects.filter(case=case, sla__isnull=False).order_by("-seq").values_list("at", flat=True).first()
    )
    start = counts_from or at
    sla_at = max(start, latest) if latest is not None else start
    case_event_append(
        case=case,
        actor=actor,
        kind=kind,
        at=at,
        channel=channel,
        data={"severity": [before, new], "reason": reason, **(data or {})},
        sla={"type": "severity_changed", "at": _iso(sla_at), "severity": new},
    )
    if roles.is_manager(actor.role_enum):
        case.severity_final = True


def _open_for_severity(case: Case) -> None:
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise InvalidTransition(f"The case is {case.status}; its severity no longer changes (reopen it first).")


def _critical_contact(case: Case, contact_id: int | None) -> User | None:
    if contact_id is None:
        return None
    contact = User.objects.filter(
        pk=contact_id, reseller_id=case.reseller_id, is_active=True, role=Role.DESIGNATED_CONTACT.value
    ).first()
    if contact is None:
        raise ValidationFailed(
            "no such Designated Contact",
            errors={"available_contact_id": "no active Designated Contact of this case's reseller with this id"},
        )
    if not contact.available_24x7:
        raise ValidationFailed(
            "not available 24x7",
            errors={"available_contact_id": "this Designated Contact is not marked available 24x7 for Critical cases"},
        )
    return contact


def _check_phone_call(case: Case, phone_call_at: datetime | None, at: datetime) -> None:
    if phone_call_at is None:
        return
    if phone_call_at.tzinfo is None:
        raise ValidationFailed("bad phone call time", errors={"phone_call_at": "must carry a UTC offset"})
    if phone_call_at > at:
        raise ValidationFailed("bad phone call time", errors={"phone_call_at": "must not be in the future"})
    if phone_call_at < case.submitted_at:
        raise ValidationFailed(
            "bad phone call time", errors={"phone_call_at": "must not be before the case was submitted"}
        )


@transaction.atomic
def case_change_severity(
    *,
    actor: User,
    case_id: int,
    severity: int,
    reason: str,
    phone_call_at: datetime | None = None,
    available_contact_id: int | None = None,
    notes: str = "",
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Customer Care sets the severity. A manager's decision is final for agents. Raising to Critical
    is the guide's procedure: the DC submitted the case as High and telephoned; the agent records the
    call (the Critical response counts from it) and the DC available for it at all times."""
    at = now or clock_now()
    case = _locked(actor, case_id, if_match)
    _open_for_severity(case)
    policy = _policy(case)
    _check_phone_call(case, phone_call_at, at)
    contact = _critical_contact(case, available_contact_id)
    lifecycle.check_severity_change(
        role=actor.role_enum,
        current=case.severity,
        new=severity,
        reason=reason,
        policy=policy,
        decided_by_manager=case.severity_final,
        phone_call_at=phone_call_at,
        available_contact=contact,
    )
    raising_to_top = phone_call_at is not None and contact is not None and severity < policy.intake.portal_max_severity
    if raising_to_top:
        assert phone_call_at is not None and contact is not None
        _change_severity(
            case,
            actor,
            severity,
            reason.strip(),
            at,
            "phone",
            kind="raised_to_critical",
            counts_from=phone_call_at,
            data={"phone_call_at": phone_call_at.isoformat(), "available_contact": contact.pk, "notes": notes.strip()},
        )
        case.critical_contact = contact
    else:
        _change_severity(case, actor, severity, reason.strip(), at, channel)
    return _save(case, at, refresh=True, fields=["severity", "severity_final", "critical_contact"])


@transaction.atomic
def severity_propose(
    *, actor: User, case_id: int, severity: int, reason: str, channel: str = "api", now: datetime | None = None
) -> SeverityProposal:
    """A Designated Contact proposes another severity; Customer Care accepts or rejects it."""
    at = now or clock_now()
    case = _locked(actor, case_id, None)
    _open_for_severity(case)
    lifecycle.check_severity_proposal(
        role=actor.role_enum, current=case.severity, proposed=severity, reason=reason, policy=_policy(case)
    )
    if SeverityProposal.objects.filter(case=case, status=SeverityProposal.Status.PENDING).exists():
        raise InvalidTransition("A severity proposal for this case is waiting for Customer Care's decision.")
    proposal = SeverityProposal.objects.create(
        case=case,
        reseller_id=case.reseller_id,
        proposed_by=actor,
        severity=severity,
        reason=reason.strip(),
        created_at=at,
    )
    case_event_append(
        case=case,
        actor=actor,
        kind="severity_proposed",
        at=at,
        channel=channel,
        data={"proposal": proposal.pk, "severity": [case.severity, severity], "reason": proposal.reason},
    )
    _save(case, at, refresh=False, fields=[])
    return proposal


@transaction.atomic
def severity_decide(
    *,
    actor: User,
    case_id: int,
    proposal_id: int,
    accept: bool,
    reason: str,
    channel: str = "api",
    now: datetime | None = None,
) -> SeverityProposal:
    at = now or clock_now()
    case = _locked(actor, case_id, None)
    proposal = SeverityProposal.objects.select_for_update().filter(pk=proposal_id, case=case).first()
    if proposal is None:
        raise NotFound("proposal not found")
    if proposal.status != SeverityProposal.Status.PENDING:
        raise InvalidTransition(f"This proposal was already {proposal.status}.")
    if accept:
        _open_for_severity(case)
    lifecycle.check_severity_decision(
        role=actor.role_enum,
        accept=accept,
        current=case.severity,
        proposed=proposal.severity,
        reason=reason,
        policy=_policy(case),
        decided_by_manager=case.severity_final,
    )
    proposal.status = SeverityProposal.Status.ACCEPTED if accept else SeverityProposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = actor, at, reason.strip()
    proposal.save()
    case_event_append(
        case=case,
        actor=actor,
        kind="severity_decided",
        at=at,
        channel=channel,
        data={
            "proposal": proposal.pk,
            "accepted": accept,
            "reason": proposal.decision_reason,
            "final": roles.is_manager(actor.role_enum),
        },
    )
    if accept:
        _change_severity(
            case, actor, proposal.severity, f"proposal {proposal.pk} accepted: {reason.strip()}", at, channel
        )
    elif roles.is_manager(actor.role_enum):
        case.severity_final = True
    _save(case, at, refresh=accept, fields=["severity", "severity_final"])
    return proposal


def case_raise_to_critical(
    *,
    actor: User,
    case_id: int,
    phone_call_at: datetime,
    available_contact_id: int,
    notes: str = "",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    """The telephone procedure of the guide's Table 1 footnote, to the policy's most severe level."""
    from caredesk.cases.selectors import case_get_for_actor

    top = min(policy_of(case_get_for_actor(actor=actor, case_id=case_id).policy).severities)
    return case_change_severity(
        actor=actor,
        case_id=case_id,
        severity=top,
        reason="raised after the Designated Contact's telephone call",
        phone_call_at=phone_call_at,
        available_contact_id=available_contact_id,
        notes=notes,
        if_match=if_match,
        now=now,
    )
