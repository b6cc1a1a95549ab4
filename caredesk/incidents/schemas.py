"""In and Out schemas of the post-incident API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from caredesk.api.base import InSchema


class PostMortemOut(Schema):
    id: int
    version: int
    case_id: int
    case_title: str = Field(validation_alias="case.title")
    severity: int
    status: str = Field(description="due, scheduled, held, not_applicable or cancelled")
    resolved_at: datetime = Field(description="The Service Resolution the deadline counts from.")
    due_at: datetime
    meeting_at: datetime | None
    held_at: datetime | None
    root_cause_analysis: str
    notes: str
    not_applicable_reason: str


class ScheduleIn(InSchema):
    meeting_at: datetime
    notes: str = ""


class HeldIn(InSchema):
    held_at: datetime | None = Field(
        default=None, description="When the meeting took place (default: the scheduled time if it has come, else now)."
    )
    root_cause_analysis: str = Field(default="", description="Required for Critical post-mortems.")
    notes: str = ""


class NotApplicableIn(InSchema):
    reason: str


class ReportRequestIn(InSchema):
    request: str = Field(description="The request, in writing (guide section 2).")


class IncidentReportOut(Schema):
    id: int
    version: int
    post_mortem_id: int
    case_id: int
    status: str = Field(description="requested or published")
    requested_by: str
    requested_at: datetime
    request: str
    due_at: datetime
    published_at: datetime | None
    summary: str | None = Field(description="Null for a reseller until the report is published.")
    timeline: str | None
    root_cause: str | None
    remediation: str | None = Field(description="The steps to address the root causes.")


class ReportWriteIn(InSchema):
    summary: str | None = None
    timeline: str | None = None
    root_cause: str | None = None
    remediation: str | None = None
