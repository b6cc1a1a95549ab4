"""Status steps of MAC/D requests routed to a CSM and of feature requests: allowed steps move and
are on the timeline; an unknown status is 422, an illegal step 409, and neither changes anything."""

from __future__ import annotations

import pytest

from caredesk.cases.models import CsmRequest, FeatureRequest, RequestEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_feature_request_steps(world: World) -> None:
    fr_id = world.b.extra_ids["feature_request_id"]
    api = world.client(world.agent)
    assert api.post(f"/api/feature-requests/{fr_id}/status", {"status": "shipped"}).status_code == 422
    r = api.post(f"/api/feature-requests/{fr_id}/status", {"status": "delivered"})
    assert r.status_code == 409 and FeatureRequest.objects.get(pk=fr_id).status == "submitted"
    r = api.post(f"/api/feature-requests/{fr_id}/status", {"status": "under_review", "note": " Looking "})
    assert r.status_code == 200 and r.json()["status"] == "under_review" and r.json()["status_note"] == "Looking"
    event = RequestEvent.objects.filter(subject_type="feature_request", subject_id=fr_id).order_by("seq").last()
    assert event is not None and event.data == {"status": ["submitted", "under_review"], "note": "Looking"}


def test_csm_request_steps(world: World) -> None:
    req_id = world.b.extra_ids["request_id"]
    api = world.client(world.csm)
    r = api.post(f"/api/csm-requests/{req_id}/status", {"status": "done"})
    assert r.status_code == 200 and CsmRequest.objects.get(pk=req_id).status == "done"
    r = api.post(f"/api/csm-requests/{req_id}/status", {"status": "open"})
    assert r.status_code == 409 and CsmRequest.objects.get(pk=req_id).status == "done"
