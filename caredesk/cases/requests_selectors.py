"""Reads for MAC/D requests routed to CSMs and for feature requests."""

from __future__ import annotations

from django.db.models import QuerySet

from caredesk.cases.models import CsmRequest, FeatureRequest, RequestEvent
from caredesk.domain.errors import NotFound
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.tenancy.models import User


def csm_request_list_for_actor(*, actor: User, status: str | None = None) -> QuerySet[CsmRequest]:
    qs = CsmRequest.objects.select_related("account")
    if not is_vendor(actor.role_enum):
        qs = qs.filter(reseller_id=actor.tenant_id)
    elif actor.role_enum is Role.CSM:
        qs = qs.filter(csm=actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def csm_request_get_for_actor(*, actor: User, request_id: int, for_update: bool = False) -> CsmRequest:
    qs = csm_request_list_for_actor(actor=actor)
    if for_update:
        qs = qs.select_for_update()
    request = qs.filter(pk=request_id).first()
    if request is None:
        raise NotFound("MAC/D request not found")
    return request


def feature_request_list_for_actor(*, actor: User, status: str | None = None) -> QuerySet[FeatureRequest]:
    qs = FeatureRequest.objects.all()
    if not is_vendor(actor.role_enum):
        qs = qs.filter(reseller_id=actor.tenant_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def feature_request_get_for_actor(*, actor: User, request_id: int) -> FeatureRequest:
    fr = feature_request_list_for_actor(actor=actor).filter(pk=request_id).first()
    if fr is None:
        raise NotFound("feature request not found")
    return fr


def request_events(*, subject_type: str, subject_id: int) -> QuerySet[RequestEvent]:
    return RequestEvent.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("seq")
