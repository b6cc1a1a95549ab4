"""Reads for cases: the only doors to case data. Reseller roles see their own reseller's cases and
never an internal note; a CSM sees the cases of the accounts assigned to them; Customer Care sees
every case. Anything else is "not found"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from caredesk.api.keyset import Column
from caredesk.cases.models import OPEN_STATUSES, Case, CaseEvent, Comment, SeverityProposal
from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.tenancy.models import User

ORDERINGS = {
    "next_due": [Column("next_due_at", nullable=True), Column("id")],
    "-submitted": [Column("submitted_at", descending=True), Column("id", descending=True)],
    "submitted": [Column("submitted_at"), Column("id")],
    "severity": [Column("severity"), Column("next_due_at", nullable=True), Column("id")],
    "-updated": [Column("updated_at", descending=True), Column("id", descending=True)],
}
STATES = ("met", "breached", "running", "paused", "not_applicable", "cancelled")


def case_visible_for_actor(*, actor: User) -> QuerySet[Case]:
    qs = Case.objects.all()
    if not is_vendor(actor.role_enum):
        return qs.filter(reseller_id=actor.tenant_id)
    if actor.role_enum is Role.CSM:
        return qs.filter(account__csm=actor)
    return qs


def case_get_for_actor(*, actor: User, case_id: int) -> Case:
    case = (
        case_visible_for_actor(actor=actor)
        .select_related("account", "opened_by", "assignee", "policy", "critical_contact")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("case not found")
    return case


def case_list_for_actor(
    *,
    actor: User,
    status: list[str] | None = None,
    open_only: bool = False,
    severity: list[int] | None = None,
    reseller_id: int | None = None,
    account_id: int | None = None,
    assignee: str | None = None,
    service: str | None = None,
    package: str | None = None,
    target_state: str | None = None,
    due_before: datetime | None = None,
    ordering: str = "next_due",
) -> QuerySet[Case]:
    if ordering not in ORDERINGS:
        raise ValidationFailed("unknown ordering", errors={"ordering": f"use one of: {', '.join(ORDERINGS)}"})
    qs = case_visible_for_actor(actor=actor).select_related("account", "assignee")
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if status:
        qs = qs.filter(status__in=status)
    if severity:
        qs = qs.filter(severity__in=severity)
    if reseller_id is not None:
        qs = qs.filter(reseller_id=reseller_id)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if assignee == "me":
        qs = qs.filter(assignee=actor)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        if not assignee.isdigit():
            raise ValidationFailed("bad assignee", errors={"assignee": "use me, none or an agent id"})
        qs = qs.filter(assignee_id=int(assignee))
    if service:
        qs = qs.filter(service=service)
    if package:
        qs = qs.filter(package=package)
    if target_state:
        if target_state not in STATES:
            raise ValidationFailed("unknown target state", errors={"target_state": f"use one of: {', '.join(STATES)}"})
        qs = qs.filter(targets__state=target_state).distinct()
    if due_before is not None:
        qs = qs.filter(next_due_at__lt=due_before)
    return qs


def comment_list_for_actor(*, actor: User, case: Case) -> QuerySet[Comment]:
    qs = Comment.objects.filter(case=case).select_related("author")
    if not is_vendor(actor.role_enum):
        qs = qs.filter(internal=False)
    return qs.order_by("id")


def timeline_for_actor(*, actor: User, case: Case) -> list[dict[str, Any]]:
    """The timeline as the actor may see it: internal notes and their content never reach a reseller."""
    qs = CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")
    if not is_vendor(actor.role_enum):
        qs = qs.filter(internal=False)
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor.name if e.actor else "system",
            "actor_role": e.actor_role,
            "channel": e.channel,
            "internal": e.internal,
            "data": e.data,
            "hash": e.hash,
        }
        for e in qs
    ]


def proposal_list_for_actor(*, actor: User, case: Case) -> QuerySet[SeverityProposal]:
    return SeverityProposal.objects.filter(case=case).order_by("id")
