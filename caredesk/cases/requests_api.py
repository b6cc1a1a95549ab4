"""Requests API: MAC/D requests (routed by the policy) and feature requests."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import CursorPagination, paginate
from pydantic import Field

from caredesk.api.base import ErrorOut, InSchema, actor
from caredesk.cases import requests_selectors as selectors
from caredesk.cases import requests_services as services

router = Router(tags=["requests"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MacdIn(InSchema):
    account_id: int
    service: str
    title: str = Field(max_length=200)
    description: str = Field(max_length=50_000)
    local_contact: str = Field(default="", max_length=1000)


class MacdOut(Schema):
    routed_to: str = Field(description="customer_care (a service request case) or csm")
    case_id: int | None
    csm_request_id: int | None


class CsmRequestOut(Schema):
    id: int
    reseller_id: int
    account_id: int
    service: str
    csm_id: int
    requested_by_id: int
    title: str
    description: str
    status: str
    created_at: datetime
    updated_at: datetime


class StatusIn(InSchema):
    status: str
    note: str = Field(default="", max_length=10_000)


class FeatureRequestIn(InSchema):
    service: str
    title: str = Field(max_length=200)
    description: str = Field(max_length=50_000)
    business_case: str = Field(default="", max_length=50_000)
    account_id: int | None = None


class FeatureRequestOut(Schema):
    id: int
    reseller_id: int
    account_id: int | None
    service: str
    submitted_by_id: int
    title: str
    description: str
    business_case: str
    status: str
    status_note: str
    created_at: datetime
    updated_at: datetime


@router.post("/macd-requests", response={201: MacdOut, **ERRORS})
def macd_submit(request: HttpRequest, payload: MacdIn) -> object:
    outcome = services.macd_submit(actor=actor(request), **payload.model_dump())
    return Status(
        201,
        {
            "routed_to": outcome.routed_to,
            "case_id": outcome.case.pk if outcome.case else None,
            "csm_request_id": outcome.csm_request.pk if outcome.csm_request else None,
        },
    )


@router.get("/csm-requests", response=list[CsmRequestOut])
@paginate(CursorPagination, ordering=("-id",))
def csm_request_list(request: HttpRequest, status: str | None = None) -> object:
    return selectors.csm_request_list_for_actor(actor=actor(request), status=status)


@router.get("/csm-requests/{request_id}", response={200: CsmRequestOut, **ERRORS})
def csm_request_get(request: HttpRequest, request_id: int) -> object:
    return selectors.csm_request_get_for_actor(actor=actor(request), request_id=request_id)


@router.post("/csm-requests/{request_id}/status", response={200: CsmRequestOut, **ERRORS})
def csm_request_status(request: HttpRequest, request_id: int, payload: StatusIn) -> object:
    return services.csm_request_set_status(actor=actor(request), request_id=request_id, **payload.model_dump())


@router.get("/feature-requests", response=list[FeatureRequestOut])
@paginate(CursorPagination, ordering=("-id",))
def feature_request_list(request: HttpRequest, status: str | None = None) -> object:
    return selectors.feature_request_list_for_actor(actor=actor(request), status=status)


@router.post("/feature-requests", response={201: FeatureRequestOut, **ERRORS})
def feature_request_submit(request: HttpRequest, payload: FeatureRequestIn) -> object:
    return Status(201, services.feature_request_submit(actor=actor(request), **payload.model_dump()))


@router.get("/feature-requests/{feature_request_id}", response={200: FeatureRequestOut, **ERRORS})
def feature_request_get(request: HttpRequest, feature_request_id: int) -> object:
    return selectors.feature_request_get_for_actor(actor=actor(request), request_id=feature_request_id)


@router.post("/feature-requests/{feature_request_id}/status", response={200: FeatureRequestOut, **ERRORS})
def feature_request_status(request: HttpRequest, feature_request_id: int, payload: StatusIn) -> object:
    selectors.feature_request_get_for_actor(actor=actor(request), request_id=feature_request_id)
    return services.feature_request_set_status(
        actor=actor(request), request_id=feature_request_id, **payload.model_dump()
    )
