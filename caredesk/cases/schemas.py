"""In and Out schemas of the cases API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.timezone import now as clock_now
from ninja import Schema
from pydantic import Field

from caredesk.api.base import InSchema
from caredesk.cases.clocks import live_targets


class Level1In(InSchema):
    help_consulted: bool
    user_guide_faq_consulted: bool
    service_advisories_checked: bool
    problem_reproduced: bool
    third_party_cause_ruled_out: bool


class CaseIn(InSchema):
    kind: str = Field(default="incident", description="incident or question (sow_change is refused: see section 5)")
    account_id: int
    department: str = ""
    service: str
    severity: int = Field(description="2 (High), 3 (Medium) or 4 (Low). Critical: submit High, then telephone.")
    title: str
    users_affected: int
    frequency: str = Field(description="once, intermittent, constant or recurring")
    first_observed_at: datetime
    business_impact: str
    steps_to_reproduce: str
    local_contact: str
    impacted_working_hours: str
    impacted_timezone: str
    level1: Level1In
    issue_in_third_party_application: bool = False
    additional_details: dict[str, str] | None = None


class PhoneCaseIn(CaseIn):
    on_behalf_of_id: int = Field(description="The Designated Contact who telephoned.")


class TargetOut(Schema):
    state: str | None = None
    due: str | None = None
    met_at: str | None = None


class CaseOut(Schema):
    id: int
    version: int
    reseller_id: int
    account_id: int
    account_name: str = Field(validation_alias="account.name")
    kind: str
    service: str
    package: str
    policy: str = Field(validation_alias="policy.key")
    severity: int
    status: str
    channel: str
    title: str
    department: str
    users_affected: int
    frequency: str
    first_observed_at: datetime
    business_impact: str
    steps_to_reproduce: str
    local_contact: str
    impacted_working_hours: str
    impacted_timezone: str
    level1: dict[str, bool]
    additional_details: dict[str, str]
    opened_by_id: int
    assignee_id: int | None
    critical_contact_id: int | None
    severity_final: bool
    submitted_at: datetime
    resolved_at: datetime | None
    resolution_code: str
    resolution_summary: str
    closed_at: datetime | None
    next_due_at: datetime | None
    targets: dict[str, TargetOut]
    post_mortem_due: str | None

    @staticmethod
    def resolve_targets(obj: Any) -> dict[str, Any]:
        return live_targets(obj, now=clock_now())

    @staticmethod
    def resolve_post_mortem_due(obj: Any) -> str | None:
        return obj.sla.get("post_mortem_due") if obj.sla else None


class CaseListOut(Schema):
    id: int
    version: int
    reseller_id: int
    account_id: int
    title: str
    service: str
    package: str
    severity: int
    status: str
    assignee_id: int | None
    submitted_at: datetime
    next_due_at: datetime | None
    targets: dict[str, TargetOut]

    @staticmethod
    def resolve_targets(obj: Any) -> dict[str, Any]:
        return live_targets(obj, now=clock_now())


class CommentIn(InSchema):
    body: str = Field(min_length=1, max_length=50_000)
    internal: bool = False


class CommentOut(Schema):
    id: int
    author_id: int
    author_name: str = Field(validation_alias="author.name")
    body: str
    internal: bool
    created_at: datetime


class MessageIn(InSchema):
    message: str = Field(max_length=50_000)


class SummaryIn(InSchema):
    summary: str = Field(max_length=50_000)


class ResolveIn(InSchema):
    code: str
    summary: str = Field(max_length=50_000)


class ReasonIn(InSchema):
    reason: str = Field(max_length=10_000)


class AssignIn(InSchema):
    assignee_id: int | None


class SeverityIn(InSchema):
    severity: int
    reason: str = Field(max_length=10_000)


class SeverityChangeIn(SeverityIn):
    phone_call_at: datetime | None = Field(default=None, description="Raising to Critical: the DC's call.")
    available_contact_id: int | None = Field(default=None, description="Raising to Critical: the DC available 24x7.")
    notes: str = Field(default="", max_length=10_000)


class RaiseIn(InSchema):
    phone_call_at: datetime
    available_contact_id: int
    notes: str = Field(default="", max_length=10_000)


class ProposalOut(Schema):
    id: int
    severity: int
    reason: str
    status: str
    proposed_by_id: int
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str
    created_at: datetime


class DecisionIn(InSchema):
    accept: bool
    reason: str = Field(max_length=10_000)


class EventOut(Schema):
    seq: int
    at: datetime
    kind: str
    actor: str
    actor_role: str
    channel: str
    internal: bool
    data: dict[str, Any]
    hash: str
