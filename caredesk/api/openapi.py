"""The answers every operation can give, declared once for the whole API.

Routers declare the answers of their own rules (404, 409, 412...). Three come from the API's common
parts, whatever the route: 400 for a body that cannot be read (not JSON), 401 from the bearer-token
check (every operation with security), 429 from the request budgets (caredesk.api.base), and 422
from input validation (unknown fields, wrong types, numbers out of range). ``CaredeskAPI`` adds
them to every operation of the OpenAPI document, so clients (and schemathesis,
tests/security/test_schemathesis.py) see every status the API can answer, each with the one error
body ``{"error": {"code", "message", "fields"?}}``.
"""

from __future__ import annotations

from typing import Any

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


class CaredeskAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares the common answers of every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return declare_common_answers(super().get_openapi_schema(*args, **kwargs))
