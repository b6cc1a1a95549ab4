"""Cases API: intake, phone intake, every lifecycle action, comments, severity, timeline. Thin:
parse, one service or selector call, render. Case answers carry ``ETag: "<version>"``; actions
accept ``If-Match`` and PATCH-like actions on a stale version answer 412."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from caredesk.api.base import ErrorOut, actor
from caredesk.api.keyset import keyset_page
from caredesk.cases import selectors, services
from caredesk.cases.schemas import (
    AssignIn,
    CaseIn,
    CaseListOut,
    CaseOut,
    CommentIn,
    CommentOut,
    DecisionIn,
    EventOut,
    MessageIn,
    PhoneCaseIn,
    ProposalOut,
    RaiseIn,
    ReasonIn,
    ResolveIn,
    SeverityChangeIn,
    SeverityIn,
    SummaryIn,
)
from caredesk.domain.errors import ValidationFailed

router = Router(tags=["cases"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut, 422: ErrorOut}


def if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed("bad If-Match", errors={"If-Match": 'use the case\'s ETag, e.g. "3"'})
    return int(value)


def _case(request: HttpRequest, response: HttpResponse, case_id: int) -> object:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    response["ETag"] = f'"{case.version}"'
    return case


class CaseFilters(Schema):
    status: list[str] | None = None
    open: bool = False
    severity: list[int] | None = None
    reseller_id: int | None = None
    account_id: int | None = None
    assignee: str | None = None
    service: str | None = None
    package: str | None = None
    target_state: str | None = None
    due_before: datetime | None = None
    ordering: str = "next_due"


class CasePage(Schema):
    results: list[CaseListOut]
    next: str | None = Field(description="The cursor of the next page, or null on the last page.")


LIST_COLUMNS = (
    *("id", "version", "reseller", "account", "title", "service", "package", "severity", "status", "assignee"),
    *("submitted_at", "next_due_at", "updated_at", "sla"),
)


@router.get("/cases", response={200: CasePage, **ERRORS})
def case_list(
    request: HttpRequest, filters: Query[CaseFilters], cursor: str | None = None, page_size: int = 25
) -> object:
    """Cases the caller may see, filtered; ordered by `ordering` (default `next_due`: soonest breach first)."""
    data = filters.dict()
    data["open_only"] = data.pop("open")
    # Only the columns CaseListOut answers (and the orderings' keys): not every case's intake text
    # and JSON, nor its account and assignee rows (docs/performance.md, "Case list").
    qs = selectors.case_list_for_actor(actor=actor(request), **data).select_related(None).only(*LIST_COLUMNS)
    rows, next_cursor = keyset_page(qs, selectors.ORDERINGS[data["ordering"]], cursor=cursor, page_size=page_size)
    return {"results": rows, "next": next_cursor}


@router.post("/cases", response={201: CaseOut, **ERRORS})
def case_open(request: HttpRequest, response: HttpResponse, payload: CaseIn) -> object:
    case = services.case_open(actor=actor(request), payload=payload.model_dump(), channel="api")
    response["ETag"] = f'"{case.version}"'
    return Status(201, case)  # the service's own instance: account, policy and author are loaded


@router.post("/cases/phone", response={201: CaseOut, **ERRORS})
def case_open_by_phone(request: HttpRequest, response: HttpResponse, payload: PhoneCaseIn) -> object:
    data = payload.model_dump()
    on_behalf_of_id = data.pop("on_behalf_of_id")
    case = services.case_open_by_phone(actor=actor(request), on_behalf_of_id=on_behalf_of_id, payload=data)
    return Status(201, _case(request, response, case.pk))


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def case_get(request: HttpRequest, response: HttpResponse, case_id: int) -> object:
    return _case(request, response, case_id)


@router.get("/cases/{case_id}/comments", response={200: list[CommentOut], **ERRORS})
def comment_list(request: HttpRequest, case_id: int) -> object:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    return list(selectors.comment_list_for_actor(actor=actor(request), case=case))


@router.post("/cases/{case_id}/comments", response={201: CommentOut, **ERRORS})
def comment_add(request: HttpRequest, case_id: int, payload: CommentIn) -> object:
    comment = services.case_comment(
        actor=actor(request), case_id=case_id, body=payload.body, internal=payload.internal, if_match=if_match(request)
    )
    return Status(201, comment)


@router.get("/cases/{case_id}/timeline", response={200: list[EventOut], **ERRORS})
def case_timeline(request: HttpRequest, case_id: int) -> object:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    return selectors.timeline_for_actor(actor=actor(request), case=case)


@router.post("/cases/{case_id}/acknowledge", response={200: CaseOut, **ERRORS})
def case_acknowledge(request: HttpRequest, response: HttpResponse, case_id: int) -> object:
    services.case_acknowledge(actor=actor(request), case_id=case_id, if_match=if_match(request))
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/assign", response={200: CaseOut, **ERRORS})
def case_assign(request: HttpRequest, response: HttpResponse, case_id: int, payload: AssignIn) -> object:
    services.case_assign(
        actor=actor(request), case_id=case_id, assignee_id=payload.assignee_id, if_match=if_match(request)
    )
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/await-reseller", response={200: CaseOut, **ERRORS})
def case_await_reseller(request: HttpRequest, response: HttpResponse, case_id: int, payload: MessageIn) -> object:
    services.case_await_reseller(
        actor=actor(request), case_id=case_id, message=payload.message, if_match=if_match(request)
    )
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/resume", response={200: CaseOut, **ERRORS})
def case_resume(request: HttpRequest, response: HttpResponse, case_id: int) -> object:
    services.case_resume(actor=actor(request), case_id=case_id, if_match=if_match(request))
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/restore", response={200: CaseOut, **ERRORS})
def case_restore(request: HttpRequest, response: HttpResponse, case_id: int, payload: SummaryIn) -> object:
    services.case_restore(actor=actor(request), case_id=case_id, summary=payload.summary, if_match=if_match(request))
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/resolve", response={200: CaseOut, **ERRORS})
def case_resolve(request: HttpRequest, response: HttpResponse, case_id: int, payload: ResolveIn) -> object:
    services.case_resolve(
        actor=actor(request), case_id=case_id, code=payload.code, summary=payload.summary, if_match=if_match(request)
    )
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/reopen", response={200: CaseOut, **ERRORS})
def case_reopen(request: HttpRequest, response: HttpResponse, case_id: int, payload: ReasonIn) -> object:
    services.case_reopen(actor=actor(request), case_id=case_id, reason=payload.reason, if_match=if_match(request))
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/close", response={200: CaseOut, **ERRORS})
def case_close(request: HttpRequest, response: HttpResponse, case_id: int) -> object:
    services.case_close(actor=actor(request), case_id=case_id, if_match=if_match(request))
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/severity", response={200: CaseOut, **ERRORS})
def case_change_severity(
    request: HttpRequest, response: HttpResponse, case_id: int, payload: SeverityChangeIn
) -> object:
    services.case_change_severity(
        actor=actor(request), case_id=case_id, **payload.model_dump(), if_match=if_match(request)
    )
    return _case(request, response, case_id)


@router.post("/cases/{case_id}/raise-to-critical", response={200: CaseOut, **ERRORS})
def case_raise_to_critical(request: HttpRequest, response: HttpResponse, case_id: int, payload: RaiseIn) -> object:
    services.case_raise_to_critical(
        actor=actor(request),
        case_id=case_id,
        phone_call_at=payload.phone_call_at,
        available_contact_id=payload.available_contact_id,
        notes=payload.notes,
        if_match=if_match(request),
    )
    return _case(request, response, case_id)


@router.get("/cases/{case_id}/severity-proposals", response={200: list[ProposalOut], **ERRORS})
def proposal_list(request: HttpRequest, case_id: int) -> object:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    return list(selectors.proposal_list_for_actor(actor=actor(request), case=case))


@router.post("/cases/{case_id}/severity-proposals", response={201: ProposalOut, **ERRORS})
def proposal_create(request: HttpRequest, case_id: int, payload: SeverityIn) -> object:
    return Status(
        201,
        services.severity_propose(
            actor=actor(request), case_id=case_id, severity=payload.severity, reason=payload.reason
        ),
    )


@router.post("/cases/{case_id}/severity-proposals/{proposal_id}/decision", response={200: ProposalOut, **ERRORS})
def proposal_decide(request: HttpRequest, case_id: int, proposal_id: int, payload: DecisionIn) -> object:
    return services.severity_decide(
        actor=actor(request), case_id=case_id, proposal_id=proposal_id, accept=payload.accept, reason=payload.reason
    )
