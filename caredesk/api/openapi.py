"""The answers every operation can give, declared once for the whole API, and answers that carry a
secret marked so that nothing keeps them.

Routers declare the answers of their own rules (404, 409, 412...). Three come from the API's common
parts, whatever the route: 400 for a body that cannot be read (not JSON), 401 from the bearer-token
check (every operation with security), 429 from the request budgets (caredesk.api.base), and 422
from input validation (unknown fields, wrong types, numbers out of range). ``CaredeskAPI`` adds
them to every operation of the OpenAPI document, so clients (and schemathesis,
tests/security/test_schemathesis.py) see every status the API can answer, each with the one error
body ``{"error": {"code", "message", "fields"?}}``.

An answer that shows a secret once (a new API token, a webhook signing secret, a calendar feed URL)
gets ``Cache-Control: no-store``: no browser or proxy keeps it, nor does the Idempotency-Key store
(caredesk.api.idempotency), so the database only ever holds the secrets' hashes (or, for webhook
signing, the endpoint row itself).
"""

from __future__ import annotations

import copy
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from caredesk.api.base import ErrorOut

COMMON_ANSWERS = {
    400: "The request cannot be read (a body that is not JSON).",
    401: "No valid API token (missing, unknown, revoked, expired, or its user deactivated).",
    422: "The request is not valid: unknown or missing fields, wrong types, numbers out of range.",
    429: "Over the request budget (per token), or too many invalid tokens from this address.",
}
AUTHENTICATED_ONLY = {401, 429}


def declare_common_answers(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" not in components:
        model = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model.pop("$defs", {}))
        components["ErrorOut"] = model
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ANSWERS.items():
                if status in AUTHENTICATED_ONLY and not operation.get("security"):
                    continue
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, "content": body}
    return schema


def carries_secret(data: Any) -> bool:
    """The answer shows a freshly made secret: an API token or webhook secret (``token``,
    ``secret``), or a calendar feed URL (``url``, ``webcal_url``, whose path is the secret)."""
    from caredesk.maintenance.feeds import SECRET_PREFIX as FEED
    from caredesk.notifications.webhook_services import SECRET_PREFIX as WEBHOOK
    from caredesk.tenancy.services import TOKEN_PREFIX

    if not isinstance(data, dict):
        return False
    token, secret = str(data.get("token", "")), str(data.get("secret", ""))
    urls = [str(data.get("url", "")), str(data.get("webcal_url", ""))]
    return token.startswith(TOKEN_PREFIX) or secret.startswith(WEBHOOK) or any(f"/{FEED}" in u for u in urls)


class CaredeskAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares the common answers of every operation, and whose
    answers that show a secret are never stored by anyone."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        # The document is the same for the life of the process (the routes are registered at
        # start), and building it walks every operation's pydantic models: about a second. Built
        # once per path prefix; each caller gets its own copy to change as it likes.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache: dict[str, Any] = self.__dict__.setdefault("_openapi_documents", {})
        if path_prefix not in cache:
            cache[path_prefix] = declare_common_answers(super().get_openapi_schema(path_prefix=path_prefix))
        return copy.deepcopy(cache[path_prefix])

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        if carries_secret(data):
            response["Cache-Control"] = "no-store"
        return response
