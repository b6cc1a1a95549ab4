"""History API: a case's export (in the `caredesk sla replay` input format, plus the case, its
comments and its hash-chained timeline) and the vendor admin's import of such a history. Thin:
one service call each; the formats are described in caredesk.cases.history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from caredesk.api.base import ErrorOut, actor
from caredesk.cases import history, selectors
from caredesk.cases.schemas import CaseOut

router = Router(tags=["cases"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CaseExportOut(Schema):
    format: str
    exported_at: str
    id: int
    package: str
    calendar: dict[str, Any]
    as_of: str = Field(description="The instant the stored clocks were computed (replay input).")
    events: list[dict[str, Any]] = Field(description="The SLA events, in `caredesk sla replay` input format.")
    policy: str
    case: dict[str, Any]
    clocks: dict[str, Any] = Field(description="The stored targets: what `caredesk sla replay` answers.")
    comments: list[dict[str, Any]]
    timeline: list[dict[str, Any]] = Field(description="Every event with the fields its hash covers.")


class CaseImportIn(Schema):
    """A case export, or another helpdesk's history mapped into its shape. Every part is checked by
    the import itself, so that each problem is named by its path (``events[3].at``)."""

    model_config = ConfigDict(extra="forbid")

    format: Any = None
    exported_at: Any = None
    id: Any = None
    package: Any = None
    calendar: Any = None
    as_of: Any = None
    events: Any = None
    policy: Any = None
    case: Any = None
    clocks: Any = None
    comments: Any = None
    timeline: Any = None


@router.get("/cases/{case_id}/export", response={200: CaseExportOut, **ERRORS})
def case_export(request: HttpRequest, case_id: int) -> object:
    """The case's history (a reseller's export never holds internal notes or internal events)."""
    return history.case_export(actor=actor(request), case_id=case_id)


@router.post("/cases/import", response={201: CaseOut, **ERRORS})
def case_import(request: HttpRequest, response: HttpResponse, payload: CaseImportIn) -> object:
    """Vendor admins: create a case from an exported history, with its original instants."""
    case = history.case_import(actor=actor(request), data=payload.model_dump(exclude_unset=True))
    found = selectors.case_get_for_actor(actor=actor(request), case_id=case.pk)
    response["ETag"] = f'"{found.version}"'
    return Status(201, found)
