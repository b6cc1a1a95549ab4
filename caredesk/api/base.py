"""The API's common parts. Every router uses these; nothing here knows a business rule."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import ConfigDict

from caredesk.tenancy.models import RateCounter, User
from caredesk.tenancy.services import token_authenticate


class InSchema(Schema):
    """Request bodies refuse unknown fields instead of silently ignoring them."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(Schema):
    error: ErrorBody


class BearerToken(HttpBearer):
    openapi_description = "An API token: `Authorization: Bearer cdk_...` (caredesk bootstrap / POST /api/tokens)."

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        # The idempotency middleware may have resolved this token already for this request.
        cached = getattr(request, "_caredesk_token_user", None)
        user = cached if cached is not None else token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class TokenRateThrottle(BaseThrottle):
    """Per-token request budget (CAREDESK_API_RATE, e.g. 600/m); anonymous calls count per address.

    A fixed window counted by one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING in the
    database (PostgreSQL and SQLite both have it), so every web process shares the budget and a
    request costs one query, not the five of a cache round trip."""

    PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def __init__(self) -> None:
        self.rate = settings.CAREDESK_API_RATE
        self._wait: float | None = None

    @property
    def rate(self) -> str:
        return self._rate

    @rate.setter
    def rate(self, value: str) -> None:
        count, _, period = value.partition("/")
        self.num_requests, self.duration = int(count), self.PERIODS[period[:1]]
        self._rate = value

    def allow_request(self, request: HttpRequest) -> bool:
        user: Any = getattr(request, "auth", None)
        token_id = getattr(user, "api_token_id", None)
        ident = f"t{token_id}" if token_id is not None else f"ip{self.get_ident(request)}"
        now = time.time()
        window = int(now // self.duration) * self.duration  # the window's start, in POSIX seconds
        table = RateCounter._meta.db_table
        sql = (
            f'INSERT INTO "{table}" ("key", "window", "count") VALUES (%s, %s, 1) '  # noqa: S608 -- our table name
            f'ON CONFLICT ("key", "window") DO UPDATE SET "count" = "{table}"."count" + 1 RETURNING "count"'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [f"api:{ident}", window])
            row = cursor.fetchone()
        if row is not None and row[0] <= self.num_requests:
            return True
        self._wait = window + self.duration - now
        return False

    def wait(self) -> float | None:
        return self._wait


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}
