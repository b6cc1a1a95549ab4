"""API composition: one NinjaAPI, every app's router, and the DomainError -> HTTP mapping."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from caredesk.api.base import BearerToken, TokenRateThrottle, error_body
from caredesk.api.openapi import CaredeskAPI
from caredesk.domain.errors import (
    CustomerDataFound,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    StaleVersion,
    UploadRefused,
    ValidationFailed,
)

api = CaredeskAPI(
    title="caredesk",
    version="1",
    description="The support desk that runs the vendor's Support Guide for Cloud Resellers as code.",
    auth=BearerToken(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
)

STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (PermissionDenied, 403),
    (StaleVersion, 412),
    (InvalidTransition, 409),
    (ValidationFailed, 422),
    (RuleViolation, 422),
    (DomainError, 400),
]


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = next(code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls))
    fields = exc.errors if isinstance(exc, ValidationFailed) else None
    body = error_body(exc.code, exc.message, fields)
    if isinstance(exc, CustomerDataFound):
        body["error"]["findings"] = list(exc.findings)  # masked: type, member, line, column, preview
    if isinstance(exc, UploadRefused):
        body["error"]["reason"] = exc.reason
        body["error"]["member"] = exc.member
    return api.create_response(request, body, status=status)


def _field_path(loc: list[object]) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "path", "header", "form", "file")
        else [str(p) for p in loc]
    )
    # A body parameter named "payload" is ninja's wrapper, not the client's field.
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        path = _field_path(list(err.get("loc", [])))
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        fields.setdefault(path, msg)
    return api.create_response(
        request, error_body("validation_failed", "The request is not valid.", fields), status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, error_body("unauthenticated", "A valid API token is required (Authorization: Bearer ...)."), status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = api.create_response(request, error_body("rate_limited", "Too many requests; slow down."), status=429)
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, error_body(f"http_{exc.status_code}", str(exc)), status=exc.status_code)


def _register_routers() -> None:
    from caredesk.cases.api import router as cases_router
    from caredesk.cases.attachments_api import router as attachments_router
    from caredesk.cases.history_api import router as history_router
    from caredesk.cases.requests_api import router as requests_router
    from caredesk.incidents.api import router as incidents_router
    from caredesk.knowledge.api import router as knowledge_router
    from caredesk.maintenance.api import router as maintenance_router
    from caredesk.notifications.api import router as notifications_router
    from caredesk.reports.api import router as reports_router
    from caredesk.tenancy.api import router as tenancy_router

    api.add_router("/", tenancy_router)
    # Before the cases router: its GET /cases/{case_id} would otherwise also match /cases/import.
    api.add_router("/", history_router)
    api.add_router("/", cases_router)
    api.add_router("/", attachments_router)
    api.add_router("/", requests_router)
    api.add_router("/", incidents_router)
    api.add_router("/", maintenance_router)
    api.add_router("/", knowledge_router)
    api.add_router("/", notifications_router)
    api.add_router("/", reports_router)


_register_routers()
