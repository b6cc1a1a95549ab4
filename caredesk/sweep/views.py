"""GET /health/worker: the age of the last sweep (503 when stale or never), for monitors."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.timezone import now

from caredesk.sweep.selectors import sweep_health


def health_worker(request: HttpRequest) -> JsonResponse:
    body = sweep_health(now=now())
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
