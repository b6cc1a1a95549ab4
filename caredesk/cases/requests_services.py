"""Writes for the requests that are not incidents: MAC/D requests (a service request for Customer
Care, or a request in the account's CSM's inbox, as the policy routes the service; guide section 6)
and feature requests (their own statuses, no SLA clock; section 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.models import Case, CsmRequest, FeatureRequest
from caredesk.cases.services import _create
from caredesk.cases.timeline import request_event_append
from caredesk.domain.cases.intake import CaseKind, Channel, Frequency, IntakeData, macd_route
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import EndUserAccount, Subscription, User
from caredesk.tenancy.selectors import active_designated_contacts

FEATURE_TRANSITIONS = {
    "submitted": {"under_review", "declined"},
    "under_review": {"planned", "declined"},
    "planned": {"delivered", "declined"},
    "declined": set(),
    "delivered": set(),
}
CSM_TRANSITIONS = {
    "open": {"in_progress", "done", "declined"},
    "in_progress": {"done", "declined"},
    "done": set(),
    "declined": set(),
}


@dataclass(frozen=True)
class MacdOutcome:
    routed_to: str
    case: Case | None = None
    csm_request: CsmRequest | None = None


def _dc_only(actor: User) -> None:
    if actor.role_enum is not Role.DESIGNATED_CONTACT:
        raise PermissionDenied("Only a Designated Contact submits requests for a reseller.")


def _texts(title: str, description: str) -> dict[str, str]:
    errors = {}
    if not title.strip():
        errors["title"] = "required"
    elif len(title) > 200:
        errors["title"] = "at most 200 characters"
    if not description.strip():
        errors["description"] = "required"
    return errors


@transaction.atomic
def macd_submit(
    *,
    actor: User,
    account_id: int,
    service: str,
    title: str,
    description: str,
    local_contact: str,
    channel: str = "api",
    now: datetime | None = None,
) -> MacdOutcome:
    at = now or clock_now()
    _dc_only(actor)
    roles.check_can_open_cases(active_designated_contacts(reseller_id=actor.tenant_id).count())
    account = EndUserAccount.objects.select_related("csm").filter(pk=account_id, reseller_id=actor.tenant_id).first()
    errors = _texts(title, description)
    if account is None:
        errors["account_id"] = "no such End User Account"
    day = at.date()
    sub = (
        Subscription.objects.filter(account=account, service=service, term_start__lte=day, term_end__gte=day).first()
        if account is not None
        else None
    )
    if account is not None and sub is None:
        errors["service"] = "the account does not subscribe to this cloud service"
    if errors:
        raise ValidationFailed("the MAC/D request cannot be submitted", errors=errors)
    assert account is not None and sub is not None
    version = policy_current()
    policy = policy_of(version)
    csm = account.csm
    route = macd_route(policy, service, csm_assigned=csm is not None and csm.is_active)
    if route == "customer_care":
        data = IntakeData(
            kind=CaseKind.SERVICE_REQUEST,
            account_id=account.pk,
            department=account.department,
            service=service,
            severity=policy.requests.service_request_severity,
            title=title.strip(),
            users_affected=0,
            frequency=Frequency.ONCE,
            first_observed_at=at,
            business_impact="Move/Add/Change/Delete request",
            steps_to_reproduce=description.strip(),
            local_contact=local_contact.strip() or actor.phone or actor.email,
            impacted_working_hours="",
            impacted_timezone=account.calendar.get("timezone", "UTC"),
            level1={},
        )
        case = _create(
            data=data,
            account=account,
            opened_by=actor,
            recorded_by=actor,
            channel=Channel(channel),
            policy_version=version,
            package=sub.package,
            at=at,
        )
        return MacdOutcome(routed_to="customer_care", case=case)
    assert csm is not None  # macd_route refused the request otherwise
    request = CsmRequest.objects.create(
        reseller_id=account.reseller_id,
        account=account,
        service=service,
        csm=csm,
        requested_by=actor,
        title=title.strip(),
        description=description.strip(),
        created_at=at,
        updated_at=at,
    )
    request_event_append(
        subject_type="csm_request",
        subject_id=request.pk,
        reseller_id=request.reseller_id,
        actor=actor,
        kind="csm_request_submitted",
        at=at,
        channel=channel,
        data={"service": service, "csm": account.csm_id, "title": request.title},
    )
    return MacdOutcome(routed_to="csm", csm_request=request)


def _status_change(
    obj: CsmRequest | FeatureRequest,
    subject_type: str,
    transitions: dict[str, set[str]],
    label: str,
    *,
    actor: User,
    status: str,
    note: str,
    at: datetime,
    channel: str,
    fields: tuple[str, ...] = (),
) -> None:
    """The one status step of a request: check it against ``transitions``, save, and append its event."""
    if status not in transitions:
        raise ValidationFailed("unknown status", errors={"status": f"use one of: {', '.join(transitions)}"})
    if status not in transitions[obj.status]:
        raise InvalidTransition(f"{label} that is {obj.status} cannot become {status}.")
    before = obj.status
    obj.status, obj.updated_at = status, at
    obj.save(update_fields=["status", "updated_at", *fields])
    request_event_append(
        subject_type=subject_type,
        subject_id=obj.pk,
        reseller_id=obj.reseller_id,
        actor=actor,
        kind="status_changed",
        at=at,
        channel=channel,
        data={"status": [before, status], "note": note},
    )


@transaction.atomic
def csm_request_set_status(
    *, actor: User, request_id: int, status: str, note: str = "", channel: str = "api", now: datetime | None = None
) -> CsmRequest:
    from caredesk.cases.requests_selectors import csm_request_get_for_actor

    at = now or clock_now()
    request = csm_request_get_for_actor(actor=actor, request_id=request_id, for_update=True)
    if actor.role_enum not in (Role.CSM, Role.VENDOR_ADMIN):
        raise PermissionDenied("Only the account's CSM works MAC/D requests routed to them.")
    _status_change(
        request,
        "csm_request",
        CSM_TRANSITIONS,
        "A MAC/D request",
        actor=actor,
        status=status,
        note=note.strip(),
        at=at,
        channel=channel,
    )
    return request


@transaction.atomic
def feature_request_submit(
    *,
    actor: User,
    service: str,
    title: str,
    description: str,
    business_case: str = "",
    account_id: int | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> FeatureRequest:
    at = now or clock_now()
    _dc_only(actor)
    errors = _texts(title, description)
    policy = policy_of(policy_current())
    if service not in policy.services:
        errors["service"] = f"unknown cloud service {service!r}; use one of: {', '.join(policy.services)}"
    account = None
    if account_id is not None:
        account = EndUserAccount.objects.filter(pk=account_id, reseller_id=actor.tenant_id).first()
        if account is None:
            errors["account_id"] = "no such End User Account"
    if errors:
        raise ValidationFailed("the feature request cannot be submitted", errors=errors)
    fr = FeatureRequest.objects.create(
        reseller_id=actor.tenant_id,
        account=account,
        service=service,
        submitted_by=actor,
        title=title.strip(),
        description=description.strip(),
        business_case=business_case.strip(),
        created_at=at,
        updated_at=at,
    )
    request_event_append(
        subject_type="feature_request",
        subject_id=fr.pk,
        reseller_id=fr.reseller_id,
        actor=actor,
        kind="feature_request_submitted",
        at=at,
        channel=channel,
        data={"service": service, "title": fr.title},
    )
    return fr


@transaction.atomic
def feature_request_set_status(
    *, actor: User, request_id: int, status: str, note: str = "", channel: str = "api", now: datetime | None = None
) -> FeatureRequest:
    at = now or clock_now()
    if not roles.is_care(actor.role_enum):
        raise PermissionDenied("Only Customer Care reviews feature requests.")
    fr = FeatureRequest.objects.select_for_update().filter(pk=request_id).first()
    if fr is None:
        raise NotFound("feature request not found")
    fr.status_note = note.strip()
    _status_change(
        fr,
        "feature_request",
        FEATURE_TRANSITIONS,
        "A feature request",
        actor=actor,
        status=status,
        note=fr.status_note,
        at=at,
        channel=channel,
        fields=("status_note",),
    )
    return fr
