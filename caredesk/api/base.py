"""The API's common parts. Every router uses these; nothing here knows a business rule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle
from pydantic import ConfigDict

from caredesk.tenancy.models import User
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


class TokenRateThrottle(SimpleRateThrottle):
    """Per-token request budget (CAREDESK_API_RATE, e.g. 600/m); anonymous calls count per address."""

    scope = "token"

    def __init__(self) -> None:
        super().__init__(settings.CAREDESK_API_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user: Any = getattr(request, "auth", None)
        ident = (
            f"t{user.api_token_id}" if user is not None and hasattr(user, "api_token_id") else self.get_ident(request)
        )
        return f"throttle_{self.scope}_{ident}"


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}
