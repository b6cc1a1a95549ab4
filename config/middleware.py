"""Process-wide HTTP guards that belong to no single app."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger("caredesk.http")


class DatabaseUnavailableMiddleware:
    """A database that is down answers 503 with a retry hint, never a 500 with a trace."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            log.warning("database unavailable", extra={"path": request.path})
            response = JsonResponse(
                {"error": {"code": "service_unavailable", "message": "The database is unavailable; retry shortly."}},
                status=503,
            )
            response["Retry-After"] = "5"
            return response
        return None


BIGINT_MAX = 2**63 - 1


def client_error(request: HttpRequest, code: str, message: str) -> HttpResponse:
    """A request the client must change: 422 with the API's error body, or 400 in plain text on a page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message}}, status=422)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class ValueOutOfRangeMiddleware:
    """A number too large for the database (``?reseller_id=99999999999999999999``: SQLite cannot
    bind it, PostgreSQL refuses it for a narrower column) or a date that leaves Python's range once
    in UTC (``0001-01-01T00:00:00+20:00``) is the client's error, 422 on the API and 400 on a page,
    never a 500. Raised while binding parameters, before anything is written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Refuse before the database sees it: on PostgreSQL a refused value also aborts the
        # transaction the request runs in.
        values = [*request.path.split("/"), *(v for vs in request.GET.lists() for v in vs[1])]
        if any(v.isdigit() and len(v) > 18 and int(v) > BIGINT_MAX for v in values):
            return client_error(request, "out_of_range", "A number in the request is out of range.")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OverflowError, DataError)):
            return None
        log.info("value out of range", extra={"path": request.path, "error": type(exception).__name__})
        return client_error(request, "out_of_range", "A number or date in the request is out of range.")


_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class NulCharacterMiddleware:
    """Text with a NUL character (``%00``, JSON ``\\u0000``) is refused up front, 422 on the API and
    400 on a page: PostgreSQL cannot store it and SQLite would, so the two databases would disagree
    (and an export from one would not import into the other). Files in an upload may hold any byte."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            return client_error(request, "nul_character", "Text in the request contains a NUL (0x00) character.")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or any("\x00" in v for _, vs in request.GET.lists() for v in vs):
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        if request.content_type == "application/json":
            return bool(_JSON_NUL.search(request.body))
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return any("\x00" in v for _, vs in request.POST.lists() for v in vs)
        return False


def login_locked_out(
    request: HttpRequest, credentials: dict[str, object] | None = None, *args: object, **kwargs: object
) -> HttpResponse:
    body = {"error": {"code": "login_locked", "message": "Too many failed log-ins; try again in 15 minutes."}}
    if request.path.startswith("/api/"):
        return JsonResponse(body, status=429)
    response = HttpResponse(body["error"]["message"], status=429, content_type="text/plain; charset=utf-8")
    return response
