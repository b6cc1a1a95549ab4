"""An exception no view handled is answered without a trace: a database that went away is 503 with
Retry-After wherever it was noticed, including inside a middleware (the idempotency middleware
authenticates before any view runs), and anything else is a bare 500 (JSON under /api/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from caredesk.api import idempotency

pytestmark = pytest.mark.django_db


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("connection to server failed: the database system is starting up")


def _bug(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug with secret details")


def test_database_down_inside_a_middleware_is_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "token_authenticate", _fail)
    client = Client(raise_request_exception=False)
    r = client.post(
        "/api/cases", "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer cdk_x", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 503 and r["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "service_unavailable"
    assert b"Traceback" not in r.content and b"starting up" not in r.content


def test_any_other_unhandled_error_is_a_bare_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "token_authenticate", _bug)
    client = Client(raise_request_exception=False)
    r = client.post(
        "/api/cases", "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer cdk_x", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 500 and r.json()["error"]["code"] == "server_error"
    assert b"secret details" not in r.content and b"Traceback" not in r.content
