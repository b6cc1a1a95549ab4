"""In and Out schemas of the maintenance API. Instants in answers are shown in the viewer's zone
(with their UTC offset) and again in UTC; ``zone`` always names the zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from caredesk.api.base import InSchema


class WindowQuery(Schema):
    model_config = ConfigDict(populate_by_name=True)

    start: datetime | None = Field(default=None, alias="from", description="Default: now.")
    end: datetime | None = Field(default=None, alias="to", description="Default: 4 weeks after `from`.")
    tz: str | None = Field(default=None, description="The zone to show times in. Default: your profile's.")


class OccurrenceOut(Schema):
    account_id: int
    service: str
    label: str
    source: str = Field(description="planned, moved (an accepted reschedule) or notice")
    start: datetime = Field(description="In the viewer's zone.")
    end: datetime
    zone: str
    display: str = Field(description='e.g. "Tue 2027-01-05 00:00 EST to 06:00 EST (America/New_York)"')
    start_utc: datetime
    end_utc: datetime
    planned_start: datetime = Field(description="UTC; identifies the planned occurrence in a reschedule request.")
    moved_from: datetime | None
    reschedule_id: int | None
    notice_id: int | None
    emergency: bool | None
    reason: str | None


class ScheduleOut(Schema):
    zone: str
    start: datetime
    end: datetime
    occurrences: list[OccurrenceOut]


class InWindowOut(Schema):
    account_id: int
    service: str
    at: datetime
    in_window: bool
    occurrence: OccurrenceOut | None


class RescheduleIn(InSchema):
    account_id: int
    service: str = Field(max_length=32)
    planned_start: datetime = Field(description="The start of the planned occurrence to move (any offset).")
    proposed_start: datetime
    reason: str = Field(max_length=2000)


class NoteIn(InSchema):
    note: str = Field(default="", max_length=2000)


class MaintenanceReasonIn(InSchema):
    reason: str = Field(max_length=2000)


class RescheduleOut(Schema):
    id: int
    reseller_id: int
    account_id: int
    service: str
    planned_start: datetime
    planned_end: datetime
    proposed_start: datetime
    proposed_end: datetime
    reason: str
    status: str
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str

    @staticmethod
    def resolve_proposed_end(obj: Any) -> datetime:
        end: datetime = obj.proposed_start + (obj.planned_end - obj.planned_start)
        return end


class RescheduleEventOut(Schema):
    seq: int
    at: datetime
    actor_id: int | None
    actor_role: str
    channel: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class NoticeIn(InSchema):
    service: str = Field(max_length=32)
    start: datetime
    end: datetime
    reason: str = Field(max_length=2000)
    emergency: bool = False


class NoticeOut(Schema):
    id: int
    service: str
    start: datetime
    end: datetime
    reason: str
    emergency: bool
    posted_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str


class FeedIn(InSchema):
    reseller_id: int | None = Field(default=None, description="Default: your reseller (Customer Care must name one).")
    account_id: int | None = Field(default=None, description="One account's feed; omit for the whole reseller.")


class FeedOut(Schema):
    id: int
    reseller_id: int
    account_id: int | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_fetched_at: datetime | None


class FeedCreatedOut(FeedOut):
    url: str = Field(description="The secret feed URL. Shown once; only a hash of the secret is stored.")
    webcal_url: str


class SourceOut(Schema):
    kind: str = Field(description="account (its business calendar) or case (hours recorded on a recent case)")
    case_id: int | None
    timezone: str
    text: str
    understood: bool
    hours: dict[str, list[list[str]]] | None


class OverlapOut(Schema):
    source: str
    case_id: int | None
    zone: str
    start: datetime = Field(description="In the impacted users' zone.")
    end: datetime
    display: str


class DraftOut(Schema):
    account_id: int
    service: str
    planned_start: datetime
    proposed_start: datetime | None = Field(description="null when no free slot was found within two weeks")
    reason: str


class ConflictOut(Schema):
    occurrence: OccurrenceOut
    overlap_minutes: int
    overlaps: list[OverlapOut]
    draft: DraftOut | None = Field(description="POST it to /api/maintenance/reschedules as is (or edited).")


class ConflictReportOut(Schema):
    account_id: int
    start: datetime
    end: datetime
    sources: list[SourceOut]
    conflicts: list[ConflictOut]
