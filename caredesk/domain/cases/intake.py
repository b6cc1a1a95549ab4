"""Case intake: what a Designated Contact must tell Customer Care when opening a case (guide 4.2)
and where a request goes instead of becoming a case (guide 4.1, 5, 6, 7).

Invariants:
- Every required field of DOMAIN.md "Intake" is present and valid, or the request is refused with
  one clear message per bad field (all of them at once); nothing is created.
- A reseller never asks for Severity 1 directly: High (2) in the portal, then a telephone call and
  an agent raises it (guide Table 1 footnote).
- A package that does not list the channel refuses it (Care for Cloud: portal/API only).
- An issue in a third-party application is the reseller's responsibility; a Statement of Work
  change goes through the SOW's Change Request process. Both are refused, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caredesk.domain.cases.lifecycle import check_channel, check_intake_severity
from caredesk.domain.errors import RoutedElsewhere, ValidationFailed
from caredesk.domain.sla.policy import Policy


class CaseKind(StrEnum):
    INCIDENT = "incident"
    QUESTION = "question"
    SERVICE_REQUEST = "service_request"


class Frequency(StrEnum):
    ONCE = "once"
    INTERMITTENT = "intermittent"
    CONSTANT = "constant"
    RECURRING = "recurring"


class Channel(StrEnum):
    PORTAL = "portal"
    API = "api"
    PHONE = "phone"


LEVEL1_CHECKLIST = (
    "help_consulted",
    "user_guide_faq_consulted",
    "service_advisories_checked",
    "problem_reproduced",
    "third_party_cause_ruled_out",
)
ADDITIONAL_DETAIL_KEYS = (
    "dns",
    "user_information",
    "ani_cli",
    "equipment",
    "circuits",
    "campaign_name",
    "report_name",
    "other",
)
MAX_TEXT = 20_000

THIRD_PARTY_REFUSAL = (
    "Issues in third-party applications (provided by the reseller, the End User or third parties) are "
    "the reseller's responsibility under the support guide, section 4.1; resolve them with the "
    "application's provider. Open a case if the issue is in the cloud service itself."
)
SOW_REFUSAL = (
    "Changes to a Statement of Work are not handled by Customer Care: follow the Change Request "
    "process described in the applicable SOW (support guide, section 5)."
)


@dataclass(frozen=True, slots=True)
class IntakeData:
    """A valid request to open a case, ready for the service to persist."""

    kind: CaseKind
    account_id: int
    department: str
    service: str
    severity: int
    title: str
    users_affected: int
    frequency: Frequency
    first_observed_at: datetime
    business_impact: str
    steps_to_reproduce: str
    local_contact: str
    impacted_working_hours: str
    impacted_timezone: str
    level1: Mapping[str, bool]
    additional_details: Mapping[str, str] = field(default_factory=dict)


def _text(raw: Mapping[str, Any], name: str, errors: dict[str, str], *, max_len: int = MAX_TEXT) -> str:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[name] = "required"
        return ""
    if not isinstance(value, str):
        errors[name] = "must be text"
        return ""
    if len(value) > max_len:
        errors[name] = f"at most {max_len} characters"
    return value.strip()


def check_intake(
    raw: Mapping[str, Any],
    *,
    now: datetime,
    policy: Policy,
    subscribed_services: Mapping[str, str] | None,
    channel: Channel,
) -> IntakeData:
    """Validate an intake request. ``subscribed_services`` maps each cloud service the chosen
    account subscribes to (now) to its package; ``None`` if the account itself is unknown."""
    errors: dict[str, str] = {}
    kind_raw = raw.get("kind", CaseKind.INCIDENT.value)
    if kind_raw in ("sow_change", "sow_change_request"):
        raise RoutedElsewhere(SOW_REFUSAL, code="sow_change_request")
    try:
        kind = CaseKind(kind_raw)
    except ValueError:
        errors["kind"] = f"unknown kind {kind_raw!r}; use incident or question (MAC/D: the MAC/D request form)"
        kind = CaseKind.INCIDENT
    if raw.get("issue_in_third_party_application") is True:
        raise RoutedElsewhere(THIRD_PARTY_REFUSAL, code="third_party_application")

    account_id = raw.get("account_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        errors["account_id"] = "required: the End User Account's id"
    elif subscribed_services is None:
        errors["account_id"] = "no such End User Account"

    service = raw.get("service")
    if not isinstance(service, str) or not service:
        errors["service"] = "required: the affected cloud service"
    elif subscribed_services is not None and service not in subscribed_services:
        if service not in policy.services:
            errors["service"] = f"unknown cloud service {service!r}"
        else:
            errors["service"] = "the account does not subscribe to this cloud service"

    severity = raw.get("severity")
    if not isinstance(severity, int) or isinstance(severity, bool):
        errors["severity"] = "required: " + ", ".join(
            policy.severity_name(s) for s in policy.severities if s >= policy.intake.portal_max_severity
        )
    else:
        try:
            check_intake_severity(severity=severity, policy=policy)
        except ValidationFailed as exc:
            errors.update(exc.errors)

    if (
        not errors.get("service")
        and isinstance(service, str)
        and subscribed_services is not None
        and service in subscribed_services
    ):
        check_channel(policy=policy, package=subscribed_services[service], channel=channel.value)

    title = _text(raw, "title", errors, max_len=200)
    department = raw.get("department", "")
    if not isinstance(department, str) or len(department) > 200:
        errors["department"] = "text of at most 200 characters"
        department = ""

    users = raw.get("users_affected")
    if not isinstance(users, int) or isinstance(users, bool) or users < 0:
        errors["users_affected"] = "required: a whole number, 0 or more"
        users = 0

    freq_raw = raw.get("frequency")
    try:
        frequency = Frequency(str(freq_raw))
    except ValueError:
        errors["frequency"] = f"required: one of {', '.join(f.value for f in Frequency)}"
        frequency = Frequency.ONCE

    first = raw.get("first_observed_at")
    if not isinstance(first, datetime):
        errors["first_observed_at"] = "required: the instant the issue was first observed, with a UTC offset"
        first = now
    elif first.tzinfo is None or first.utcoffset() is None:
        errors["first_observed_at"] = "must carry a UTC offset"
        first = now
    elif first > now:
        errors["first_observed_at"] = "must not be in the future"

    impact = _text(raw, "business_impact", errors)
    steps = _text(raw, "steps_to_reproduce", errors)
    contact = _text(raw, "local_contact", errors, max_len=1000)
    hours = _text(raw, "impacted_working_hours", errors, max_len=500)
    tz = raw.get("impacted_timezone")
    if not isinstance(tz, str) or not tz:
        errors["impacted_timezone"] = "required: the IANA time zone of the impacted users, e.g. Europe/Paris"
        tz = "UTC"
    else:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            errors["impacted_timezone"] = f"unknown IANA time zone {tz!r}"

    level1 = _checklist(raw.get("level1"), errors)
    details = _details(raw.get("additional_details"), errors)

    if errors:
        raise ValidationFailed("the case cannot be opened: " + ", ".join(sorted(errors)), errors=errors)
    assert isinstance(account_id, int) and isinstance(service, str) and isinstance(severity, int)
    return IntakeData(
        kind=kind,
        account_id=account_id,
        department=department.strip(),
        service=service,
        severity=severity,
        title=title,
        users_affected=users,
        frequency=frequency,
        first_observed_at=first,
        business_impact=impact,
        steps_to_reproduce=steps,
        local_contact=contact,
        impacted_working_hours=hours,
        impacted_timezone=tz,
        level1=level1,
        additional_details=details,
    )


def _checklist(raw: object, errors: dict[str, str]) -> dict[str, bool]:
    if not isinstance(raw, Mapping):
        errors["level1"] = "required: answer the Level 1 checklist: " + ", ".join(LEVEL1_CHECKLIST)
        return {}
    answers: dict[str, bool] = {}
    for item in LEVEL1_CHECKLIST:
        value = raw.get(item)
        if not isinstance(value, bool):
            errors[f"level1.{item}"] = "required: true or false"
        else:
            answers[item] = value
    for extra in set(raw) - set(LEVEL1_CHECKLIST):
        errors[f"level1.{extra}"] = "unknown checklist item"
    return answers


def _details(raw: object, errors: dict[str, str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors["additional_details"] = "must be an object"
        return {}
    details: dict[str, str] = {}
    for key, value in raw.items():
        if key not in ADDITIONAL_DETAIL_KEYS:
            errors[f"additional_details.{key}"] = f"unknown detail; use: {', '.join(ADDITIONAL_DETAIL_KEYS)}"
        elif not isinstance(value, str) or len(value) > 2000:
            errors[f"additional_details.{key}"] = "text of at most 2000 characters"
        elif value.strip():
            details[key] = value.strip()
    return details


def macd_route(policy: Policy, service: str, *, csm_assigned: bool) -> str:
    """Where a MAC/D request for ``service`` goes: ``"customer_care"`` or ``"csm"``."""
    route = policy.requests.route_for(service)
    if route == "csm" and not csm_assigned:
        raise RoutedElsewhere(
            "MAC/D requests for this cloud service are handled by the account's Customer Success Manager "
            "(support guide, section 6), and no CSM is assigned to this account. Ask the vendor to assign one.",
            code="no_csm_assigned",
        )
    return route
