"""Writes for cases: intake, phone intake, and every action of the lifecycle. Each public function
is the one write path for its action: it locks the case, checks the version (If-Match) and the
lifecycle, appends the timeline event(s), recomputes the SLA clocks and saves, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.clocks import clocks_compute, targets_store
from caredesk.cases.models import Case, CaseStatus
from caredesk.cases.timeline import case_event_append
from caredesk.domain.cases.intake import Channel, IntakeData, check_intake
from caredesk.domain.errors import PermissionDenied, ValidationFailed
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_current, policy_of, policy_version_known
from caredesk.sqlrows import Columns, Insert
from caredesk.tenancy.models import EndUserAccount, Subscription, User


def _iso(at: datetime) -> str:
    return at.isoformat()


BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class IntakeReads:
    """What an intake reads before it may write: the reseller's active Designated Contacts (the
    two-DC rule), the current policy version, the account (``None``: not the reseller's, or no
    such id) and the services it subscribes to on the day (service -> package)."""

    designated_contacts: int
    version: PolicyVersion
    account: EndUserAccount | None
    subscribed: dict[str, str] | None


_ACCOUNT = Columns(EndUserAccount, "a")
_CASE_INSERT = Insert(Case)
_INTAKE_SQL_TEXT = f"""
    SELECT
        (SELECT COUNT(*) FROM "{User._meta.db_table}" u
         WHERE u."reseller_id" = %s AND u."role" = %s AND u."is_active" = %s),
        p."id", p."key", p."sha256",
        {_ACCOUNT.sql},
        s."service", s."package"
    FROM (SELECT 1 AS "one") o
    LEFT JOIN "{PolicyVersion._meta.db_table}" p ON p."is_current" = %s
    LEFT JOIN "{EndUserAccount._meta.db_table}" a ON a."id" = %s AND a."reseller_id" = %s
    LEFT JOIN "{Subscription._meta.db_table}" s
        ON s."account_id" = a."id" AND s."term_start" <= %s AND s."term_end" >= %s
    ORDER BY s."service", s."id"
"""  # noqa: S608 -- our own tables and columns
_INTAKE_SQL = " ".join(_INTAKE_SQL_TEXT.split())  # one line in query logs


def _intake_reads(reseller_id: int, account_id: Any, at: datetime) -> IntakeReads:
    """Every row an intake needs, in one statement (they were four, each costing more CPU to build
    through the ORM than the check itself: docs/performance.md, "Creation"). The same rows as
    ``active_designated_contacts(...).count()``, ``policy_current()``, the account of that id
    within the reseller and its subscriptions running on ``at``'s day."""
    wanted = None  # an id that is not a whole number, or out of any id's range: no account has it
    if isinstance(account_id, int) and not isinstance(account_id, bool) and BIGINT_MIN <= account_id <= BIGINT_MAX:
        wanted = account_id
    day = at.date()
    params: list[Any] = [reseller_id, Role.DESIGNATED_CONTACT.value, True, True, wanted, reseller_id, day, day]
    with connection.cursor() as cursor:
        cursor.execute(_INTAKE_SQL, params)
        rows = cursor.fetchall()
    first = rows[0]
    count, policy_id, policy_key, policy_sha256 = first[:4]
    if policy_id is None:
        version = policy_current()  # a fresh installation: the shipped policy is loaded now
    else:
        version = policy_version_known(
            pk=policy_id, key=policy_key, sha256=policy_sha256, is_current=True, using=connection.alias
        )
    account_values = first[4 : 4 + len(_ACCOUNT)]
    if account_values[0] is None:
        return IntakeReads(int(count), version, None, None)
    account = _ACCOUNT.build(account_values, connection.alias)
    subscribed = {row[-2]: row[-1] for row in rows if row[-2] is not None}
    return IntakeReads(int(count), version, account, subscribed)


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
    case = Case(
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
        first_observed_at=data.first_observed_at.astimezone(UTC),  # as a re-read would give it
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
    # Clocks first, so that they go into the case's INSERT; the history is the one event below.
    submitted = {"type": "submitted", "at": _iso(at), "severity": data.severity}
    state = clocks_compute(case, at=at, history=[submitted])
    _CASE_INSERT.run([case], connection.alias)  # as case.save(force_insert=True), compiled once
    case_event_append(
        case=case,
        actor=recorded_by,
        kind="case_opened",
        first=True,
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
        sla=submitted,
    )
    targets_store(case, state, at=at, created=True)
    return case


def _dc_intake(
    actor: User, payload: dict[str, Any], channel: str, at: datetime
) -> tuple[IntakeData, EndUserAccount, dict[str, str], Any]:
    if actor.role_enum is not Role.DESIGNATED_CONTACT:
        raise PermissionDenied("Only a Designated Contact may open cases.")
    reads = _intake_reads(actor.tenant_id, payload.get("account_id"), at)
    roles.check_can_open_cases(reads.designated_contacts)
    policy = policy_of(reads.version)
    data = check_intake(payload, now=at, policy=policy, subscribed_services=reads.subscribed, channel=Channel(channel))
    assert reads.account is not None and reads.subscribed is not None
    return data, reads.account, reads.subscribed, reads.version


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
    reads = _intake_reads(dc.tenant_id, payload.get("account_id"), at)
    roles.check_can_open_cases(reads.designated_contacts)
    policy = policy_of(reads.version)
    data = check_intake(payload, now=at, policy=policy, subscribed_services=reads.subscribed, channel=Channel.PHONE)
    assert reads.account is not None and reads.subscribed is not None
    return _create(
        data=data,
        account=reads.account,
        opened_by=dc,
        recorded_by=actor,
        channel=Channel.PHONE,
        policy_version=reads.version,
        package=reads.subscribed[data.service],
        at=at,
    )


# The write paths of working a case live in actions.py and severity.py; they are re-exported here so
# that "caredesk.cases.services" stays the one door callers use.
from caredesk.cases.actions import (  # noqa: E402
    case_acknowledge,
    case_assign,
    case_await_reseller,
    case_close,
    case_comment,
    case_reopen,
    case_resolve,
    case_restore,
    case_resume,
)
from caredesk.cases.severity import (  # noqa: E402
    case_change_severity,
    case_raise_to_critical,
    severity_decide,
    severity_propose,
)

__all__ = [
    "case_acknowledge",
    "case_assign",
    "case_await_reseller",
    "case_change_severity",
    "case_close",
    "case_comment",
    "case_intake_check",
    "case_open",
    "case_open_by_phone",
    "case_raise_to_critical",
    "case_reopen",
    "case_resolve",
    "case_restore",
    "case_resume",
    "severity_decide",
    "severity_propose",
]
