"""Validation of a case import (``caredesk.cases.history.case_import``): the import body checked
part by part, every problem collected under its path (``events[3].at``, ``timeline[2].actor``,
``case.title``) and raised at once, and, when all is well, the plan of what to write: the case's
fields, its comments, its timeline entries in order (comments that no event records get their own),
and the clocks its SLA history replays to.

Rules (see the module docstring of ``history``): the account must exist and its reseller is the
case's tenant; a person is named by e-mail and must be vendor staff or of that tenant (one not found
here is kept by name in ``data.imported``); every instant is in the past and the timeline in time
order; an SLA event is never internal and never after the event that records it; the SLA history
must replay under the package and policy; the intake fields pass the intake rules as of the
submission; a given status, severity, resolution code or stored clocks must be what the history
says; a timeline that carries its hashes must still verify.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caredesk.cases.history_timeline import Check, Entry, comments_of, timeline_entries, with_comment_events
from caredesk.cases.models import CaseStatus
from caredesk.domain.cases.intake import Channel, IntakeData, check_intake
from caredesk.domain.cases.lifecycle import ResolutionCode
from caredesk.domain.errors import RuleViolation, ValidationFailed
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import THIRD_PARTY, ClockState, EventType, SlaEvent
from caredesk.domain.sla.replay import replay
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import EndUserAccount, Subscription, User

FORMAT = "caredesk.case-export/1"
INTAKE_FIELDS = (
    "kind",
    "department",
    "service",
    "title",
    "users_affected",
    "frequency",
    "first_observed_at",
    "business_impact",
    "steps_to_reproduce",
    "local_contact",
    "impacted_working_hours",
    "impacted_timezone",
    "level1",
    "additional_details",
)
TOP_LEVEL = frozenset(
    {"format", "exported_at", "id", "package", "calendar", "as_of", "events", "policy", "case", "clocks"}
    | {"comments", "timeline"}
)


@dataclass
class ImportPlan:
    account: EndUserAccount
    version: PolicyVersion
    package: str
    calendar: dict[str, Any]
    fields: dict[str, Any]
    entries: list[Entry]
    comments: list[tuple[Any, User, str, bool, datetime]]  # source id, author, body, internal, created_at
    as_of: datetime
    state: ClockState
    provenance: dict[str, Any]


def plan_import(data: Mapping[str, Any], *, actor: User, now: datetime) -> ImportPlan:
    check = Check(actor=actor, now=now)
    for key in sorted(set(data) - TOP_LEVEL):
        check.fail(str(key), "unknown field")
    if data.get("format") not in (None, FORMAT):
        check.fail("format", f"expected {FORMAT!r}")
    case = data.get("case")
    if not isinstance(case, Mapping):
        check.fail("case", "required: the case's intake fields and state")
        case = {}
    account = _account(check, case)
    version = _policy_version(check, data)
    entries, history, paths = timeline_entries(check, data)
    submitted = history[0] if history and history[0].type is EventType.SUBMITTED else None
    package = _package(check, data, account, version, case.get("service"), submitted)
    calendar = _calendar(check, data, account)
    comments = comments_of(check, data, submitted.at if submitted else None)
    sla_entries = [e for e in entries if e.sla is not None]
    as_of = sla_entries[-1].at if sla_entries else None
    if data.get("as_of") is not None and as_of is not None:
        given = check.instant(data["as_of"], "as_of")
        if given is not None and given != as_of:
            check.fail(
                "as_of",
                f"an imported case's clocks are computed as of the event that records its last SLA event "
                f"({as_of.isoformat()}); leave as_of out or give that instant",
            )
    if as_of is None and history == [] and not any(k.startswith(("events", "timeline")) for k in check.errors):
        check.fail("timeline" if "timeline" in data else "events", "no SLA event: a history starts with submitted")
    state = None
    if (
        version is not None
        and package is not None
        and calendar is not None
        and as_of is not None
        and len(history) == len(paths)
        and not any(k.startswith(("events", "timeline", "package", "calendar")) for k in check.errors)
    ):
        try:
            state = replay(
                history,
                package=package,
                policy=policy_of(version),
                calendar=BusinessCalendar.from_dict(calendar),
                as_of=as_of,
            )
        except ValidationFailed as exc:
            for key, message in exc.errors.items():
                head, bracket, rest = key.partition("]")
                if head.startswith("events[") and bracket:
                    key = paths[int(head[7:])] + rest
                check.fail(key, message)
    intake = None
    if account is not None and version is not None and package is not None and submitted is not None:
        assert submitted.severity is not None
        intake = _intake(check, case, version, package, submitted.severity, submitted.at, paths[0])
    fields: dict[str, Any] = {}
    provenance: dict[str, Any] = {
        "source": {k: data.get(k) for k in ("id", "format", "exported_at") if data.get(k) is not None},
        "events": len(entries),
        "comments": len(comments),
    }
    if state is not None and submitted is not None:
        fields = _case_state(check, case, state, history, entries)
        fields["submitted_at"] = submitted.at
        fields.update(_case_people(check, case, actor, provenance))
        _clocks_agree(check, data.get("clocks"), state)
    if check.errors:
        raise ValidationFailed(
            "the case history cannot be imported: " + ", ".join(sorted(check.errors)), errors=check.errors
        )
    assert account is not None and version is not None and package is not None and calendar is not None
    assert intake is not None and state is not None and as_of is not None
    fields.update(
        kind=intake.kind.value,
        service=intake.service,
        title=intake.title,
        department=intake.department or account.department,
        users_affected=intake.users_affected,
        frequency=intake.frequency.value,
        first_observed_at=intake.first_observed_at,
        business_impact=intake.business_impact,
        steps_to_reproduce=intake.steps_to_reproduce,
        local_contact=intake.local_contact,
        impacted_working_hours=intake.impacted_working_hours,
        impacted_timezone=intake.impacted_timezone,
        level1=dict(intake.level1),
        additional_details=dict(intake.additional_details),
        channel=case.get("channel", Channel.PORTAL.value),
    )
    entries = with_comment_events(entries, comments)
    return ImportPlan(
        account=account,
        version=version,
        package=package,
        calendar=dict(calendar),
        fields=fields,
        entries=entries,
        comments=[(ref, author or actor, body, internal, at) for ref, author, _orig, body, internal, at in comments],
        as_of=as_of,
        state=state,
        provenance=provenance,
    )


# --------------------------------------------------------------------------- import: pieces


def _account(check: Check, case: Mapping[str, Any]) -> EndUserAccount | None:
    account_id = case.get("account_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        check.fail("case.account_id", "required: the End User Account's id")
        return None
    account = EndUserAccount.objects.filter(pk=account_id).first()
    if account is None:
        check.fail("case.account_id", "no such End User Account")
        return None
    reseller_id = case.get("reseller_id")
    if reseller_id is not None and reseller_id != account.reseller_id:
        check.fail("case.reseller_id", "the account belongs to another reseller: a case's tenant is its account's")
    check.reseller_id = account.reseller_id
    return account


def _policy_version(check: Check, data: Mapping[str, Any]) -> PolicyVersion | None:
    key = data.get("policy")
    if key is None:
        return policy_current()
    version = PolicyVersion.objects.filter(key=key).first() if isinstance(key, str) else None
    if version is None:
        check.fail("policy", f"no policy version {key!r} is loaded here")
    return version


def _package(
    check: Check,
    data: Mapping[str, Any],
    account: EndUserAccount | None,
    version: PolicyVersion | None,
    service: object,
    submitted: SlaEvent | None,
) -> str | None:
    package = data.get("package")
    if not isinstance(package, str) or not package:
        check.fail("package", "required: the support package that governed the case")
        return None
    if version is not None:
        try:
            policy_of(version).package(package)
        except ValidationFailed as exc:
            check.fail("package", next(iter(exc.errors.values()), exc.message))
            return None
    if account is None or not isinstance(service, str):
        return package
    subs = list(
        Subscription.objects.filter(account=account, service=service).values_list("package", "term_start", "term_end")
    )
    if not subs:
        check.fail("case.service", "the account does not subscribe to this cloud service")
    elif submitted is not None:
        day = submitted.at.date()
        then = [p for p, start, end in subs if start <= day <= end]
        if then and package not in then:
            check.fail("package", f"on the submission date the account's {service} subscription is {then[0]}")
    return package


def _calendar(check: Check, data: Mapping[str, Any], account: EndUserAccount | None) -> dict[str, Any] | None:
    raw = data.get("calendar")
    if raw is None:
        return dict(account.calendar) if account is not None else None
    if not isinstance(raw, Mapping):
        check.fail("calendar", "expected the business calendar as an object")
        return None
    try:
        BusinessCalendar.from_dict(raw)
    except ValidationFailed as exc:
        check.take(exc, "calendar")
        return None
    return dict(raw)


def _intake(
    check: Check,
    case: Mapping[str, Any],
    version: PolicyVersion,
    package: str,
    severity: int,
    submitted: datetime,
    submitted_path: str,
) -> IntakeData | None:
    payload: dict[str, Any] = {name: case[name] for name in INTAKE_FIELDS if name in case}
    payload["account_id"] = case.get("account_id")
    payload["severity"] = severity
    if case.get("first_observed_at") is not None:
        payload["first_observed_at"] = check.instant(case["first_observed_at"], "case.first_observed_at")
        if payload["first_observed_at"] is None:
            return None
    channel_raw = case.get("channel", Channel.PORTAL.value)
    if not isinstance(channel_raw, str) or channel_raw not in Channel._value2member_map_:
        check.fail("case.channel", f"the channel the case came in by: {', '.join(c.value for c in Channel)}")
        return None
    service = payload.get("service")
    try:
        return check_intake(
            payload,
            now=submitted,
            policy=policy_of(version),
            subscribed_services={service: package} if isinstance(service, str) else {},
            channel=Channel(channel_raw),
        )
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            if key == "severity":
                check.fail(f"{submitted_path}.severity", f"{message} (the severity the case was submitted with)")
            elif key == "first_observed_at" and "future" in message:
                check.fail("case.first_observed_at", "must not be after the case was submitted")
            else:
                check.fail(f"case.{key}", message)
    except RuleViolation as exc:
        where = {"channel_not_allowed": "case.channel", "severity_one_by_phone_only": f"{submitted_path}.severity"}
        check.fail(where.get(exc.code, "case.kind"), exc.message)
    return None


def _case_state(
    check: Check, case: Mapping[str, Any], state: ClockState, history: list[SlaEvent], entries: list[Entry]
) -> dict[str, Any]:
    """The case's state as its history says it is; a given ``case.status`` etc. must agree."""
    restored = [e.at for e in history if e.type is EventType.RESTORED]
    resolved = [e.at for e in history if e.type is EventType.RESOLVED]
    given = case.get("status")
    closed = given == CaseStatus.CLOSED or (given is None and any(e.kind == "closed" for e in entries))
    if state.resolved:
        status = CaseStatus.CLOSED if closed else CaseStatus.RESOLVED
    elif state.paused:
        status = CaseStatus.AWAITING_RESELLER
    elif restored:
        status = CaseStatus.RESTORED
    elif state.response.met_at is not None:
        status = CaseStatus.OPEN
    else:
        status = CaseStatus.NEW
    if given is not None and given != status:
        check.fail("case.status", f"the history says the case is {status.value}")
    if case.get("severity") is not None and case["severity"] != state.severity:
        check.fail("case.severity", f"the history ends at severity {state.severity}")
    code = case.get("resolution_code") or ""
    if state.resolved:
        if state.resolution_code == THIRD_PARTY:
            if code not in ("", THIRD_PARTY):
                check.fail("case.resolution_code", "the resolved SLA event says third_party")
            code = THIRD_PARTY
        elif code not in (ResolutionCode.SOLUTION, ResolutionCode.WORKAROUND):
            check.fail("case.resolution_code", "required for a resolved case: solution or workaround")
    elif code:
        check.fail("case.resolution_code", "the history says the case is not resolved")
        code = ""
    closed_at = None
    if status is CaseStatus.CLOSED:
        closing = [e.at for e in entries if e.kind == "closed"]
        raw = case.get("closed_at")
        closed_at = check.instant(raw, "case.closed_at") if raw is not None else (closing or [entries[-1].at])[-1]
        if closed_at is not None and closed_at < resolved[-1]:
            check.fail("case.closed_at", "before the case was resolved")
    summary = case.get("resolution_summary", "")
    if not isinstance(summary, str) or len(summary) > 50_000:
        check.fail("case.resolution_summary", "text of at most 50000 characters")
        summary = ""
    final = case.get("severity_final", False)
    if not isinstance(final, bool):
        check.fail("case.severity_final", "true or false")
        final = False
    return {
        "status": status.value,
        "severity": state.severity,
        "severity_final": final,
        "restored_at": restored[-1] if restored else None,
        "resolved_at": resolved[-1] if state.resolved else None,
        "resolution_code": code,
        "resolution_summary": summary if state.resolved else "",
        "closed_at": closed_at,
    }


def _case_people(check: Check, case: Mapping[str, Any], actor: User, provenance: dict[str, Any]) -> dict[str, Any]:
    """The case's people; one not found here is kept by name in the ``case_imported`` event."""
    people: dict[str, Any] = {}
    opener, original = check.person(case.get("opened_by"), "case.opened_by")
    if opener is not None and opener.reseller_id is None:
        check.fail("case.opened_by", "a case is opened by a Designated Contact of the account's reseller")
    people["opened_by"] = opener or actor
    recorder, recorded = check.person(case.get("recorded_by"), "case.recorded_by")
    people["recorded_by"] = recorder or actor
    assignee, assigned = check.person(case.get("assignee"), "case.assignee")
    if assignee is not None and assignee.role not in (Role.CARE_AGENT, Role.CARE_MANAGER):
        check.fail("case.assignee", "cases are assigned to Customer Care agents and managers")
    people["assignee"] = assignee
    contact, contacted = check.person(case.get("critical_contact"), "case.critical_contact")
    if contact is not None and contact.role != Role.DESIGNATED_CONTACT:
        check.fail("case.critical_contact", "the contact for a Critical case is a Designated Contact")
    people["critical_contact"] = contact
    for key, user, ref in (
        ("opened_by", opener, original),
        ("recorded_by", recorder, recorded),
        ("assignee", assignee, assigned),
        ("critical_contact", contact, contacted),
    ):
        if user is None and ref:
            provenance.setdefault("people", {})[key] = ref
    return people


def _clocks_agree(check: Check, raw: object, state: ClockState) -> None:
    """An export's stored clocks must be what its history replays to (else something was edited)."""
    if raw is None:
        return
    ours = state.to_json()

    def walk(theirs: object, mine: object, path: str) -> bool:
        if isinstance(mine, dict) and isinstance(theirs, Mapping):
            return all(walk(theirs.get(k), v, f"{path}.{k}") for k, v in mine.items())
        if theirs != mine:
            check.fail(
                path,
                f"the history replays to {json.dumps(mine)}, not {json.dumps(theirs)}; if the export comes "
                "from an older caredesk, remove clocks to accept the replay",
            )
            return False
        return True

    walk(raw, ours, "clocks")
