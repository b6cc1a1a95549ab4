"""The API's common parts. Every router uses these; nothing here knows a business rule."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import Throttled
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import ConfigDict

from caredesk.tenancy.models import RateCounter, User
from caredesk.tenancy.services import token_authenticate

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
        if user is None:
            refuse_token_guessing(request)
        else:
            request.user = user
        return user


def client_address(request: HttpRequest) -> str:
    """The caller's address, for every throttle (the API's and django-axes' log-in lock-outs):
    X-Forwarded-For is believed only through NINJA_NUM_PROXIES trusted proxies (set from
    CAREDESK_TRUSTED_PROXIES behind a load balancer), whose N-th address from the right is the
    client's; with none, a client could otherwise name itself anew on each request."""
    from ninja.conf import settings as ninja_settings

    proxies = ninja_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return str(request.META.get("REMOTE_ADDR", ""))
    hops = str(forwarded).split(",")
    return hops[-min(proxies, len(hops))].strip()


def refuse_token_guessing(request: HttpRequest) -> None:
    """A bearer token that is not valid counts against its address's budget of failures
    (CAREDESK_API_FAILED_AUTH_RATE, default 30/m); past it the answer is 429, not 401, so tokens are
    not tried at the web tier's full speed. Only failures count: a valid token is never slowed."""
    count, period = parse_rate(settings.CAREDESK_API_FAILED_AUTH_RATE)
    used, wait = window_count(f"auth-failed:{client_address(request)}", period)
    if used > count:
        raise Throttled(int(wait) + 1)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/m"`` -> (600, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period[:1]]


def window_count(key: str, duration: int) -> tuple[int, float]:
    """Count one request for ``key`` in the current fixed window: one atomic
    INSERT ... ON CONFLICT DO UPDATE ... RETURNING (PostgreSQL and SQLite). Returns the window's
    count so far and the seconds until it ends."""
    now = time.time()
    window = int(now // duration) * duration  # the window's start, in POSIX seconds
    table = RateCounter._meta.db_table
    sql = (
        f'INSERT INTO "{table}" ("key", "window", "count") VALUES (%s, %s, 1) '  # noqa: S608 -- our table name
        f'ON CONFLICT ("key", "window") DO UPDATE SET "count" = "{table}"."count" + 1 RETURNING "count"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, window])
        row = cursor.fetchone()
    return (int(row[0]) if row is not None else 0), window + duration - now


class TokenRateThrottle(BaseThrottle):
    """Per-token request budget (CAREDESK_API_RATE, e.g. 600/m); anonymous calls count per address.

    A fixed window counted by one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING in the
    database (PostgreSQL and SQLite both have it), so every web process shares the budget and a
    request costs one query, not the five of a cache round trip."""

    PERIODS = PERIODS

    def __init__(self) -> None:
        self.rate = settings.CAREDESK_API_RATE
        self._wait: float | None = None

    @property
    def rate(self) -> str:
        return self._rate

    @rate.setter
    def rate(self, value: str) -> None:
        self.num_requests, self.duration = parse_rate(value)
        self._rate = value

    def allow_request(self, request: HttpRequest) -> bool:
        user: Any = getattr(request, "auth", None)
        token_id = getattr(user, "api_token_id", None)
        ident = f"t{token_id}" if token_id is not None else f"ip{client_address(request)}"
        used, wait = window_count(f"api:{ident}", self.duration)
        if used <= self.num_requests:
            return True
        self._wait = wait
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
