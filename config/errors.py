"""``handler500``: the answer to an exception that no view handled, including those raised inside a
middleware (``process_exception`` hooks only see exceptions of views, so a database that goes away
while the idempotency middleware or the authentication reads it would otherwise be a bare 500).

A database that is down or restarting is a 503 with a retry hint wherever it was noticed (token
look-up, idempotency record, the commit); anything else is a 500 without detail, JSON under /api/.
Never a trace: the exception goes to the log (``django.request``), not to the client."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

UNAVAILABLE = {"error": {"code": "service_unavailable", "message": "The database is unavailable; retry shortly."}}
INTERNAL = {"error": {"code": "server_error", "message": "Internal error; it was logged."}}


def server_error(request: HttpRequest) -> HttpResponse:
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        response = JsonResponse(UNAVAILABLE, status=503)
        response["Retry-After"] = "5"
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(INTERNAL, status=500)
    return defaults.server_error(request)
