"""The API's own route list (its OpenAPI document) and what the generated security tests need from
it: the routes, their JSON request schemas, plausible bodies, and URLs with real ids.

Generated from ``config.api.api`` at import, so a route added tomorrow is probed by every test that
walks ``ROUTES`` without anyone remembering to add it.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from config.api import api
from tests.conftest import MULTIPART, Tenant, World

SCHEMA: dict[str, Any] = api.get_openapi_schema(path_prefix="/api/")
METHODS = ("get", "post", "put", "patch", "delete")
ROUTES: list[tuple[str, str]] = sorted(
    (method.upper(), path) for path, ops in SCHEMA["paths"].items() for method in ops if method in METHODS
)
# Routes anyone may call without a token (they carry no tenant data).
PUBLIC = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}
PROTECTED = [r for r in ROUTES if r not in PUBLIC]


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


def operation(method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = SCHEMA["paths"][path][method.lower()]
    return op


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def variants(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """A property's schema and its anyOf/oneOf/allOf alternatives, resolved."""
    prop = resolve(prop)
    out = [prop]
    for key in ("anyOf", "oneOf", "allOf"):
        out += [resolve(p) for p in prop.get(key, [])]
    return out


def kinds(prop: dict[str, Any]) -> set[str]:
    return {str(v["type"]) for v in variants(prop) if "type" in v}


def json_body(method: str, path: str) -> dict[str, Any] | None:
    content = operation(method, path).get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(content["application/json"]["schema"])


def multipart_body(method: str, path: str) -> dict[str, Any] | None:
    content = operation(method, path).get("requestBody", {}).get("content", {})
    if "multipart/form-data" not in content:
        return None
    return resolve(content["multipart/form-data"]["schema"])


JSON_ROUTES = [r for r in ROUTES if json_body(*r) is not None]
MULTIPART_ROUTES = [r for r in ROUTES if multipart_body(*r) is not None]
GET_ROUTES = [r for r in PROTECTED if r[0] == "GET"]


def query_params(method: str, path: str) -> list[dict[str, Any]]:
    return [p for p in operation(method, path).get("parameters", []) if p.get("in") == "query"]


def text_fields(schema: dict[str, Any]) -> list[str]:
    """The free-text (string without format or enum) properties of a body schema."""
    names = []
    for name, prop in schema.get("properties", {}).items():
        vs = variants(prop)
        if any(v.get("type") == "string" and not v.get("format") and not v.get("enum") for v in vs):
            names.append(name)
    return names


def sample(name: str, prop: dict[str, Any], ids: dict[str, int], values: dict[str, Any] | None = None) -> Any:
    """A plausible value of a body property: ``values`` by name, ids from ``ids``, else a value of
    the right type."""
    vs = variants(prop)
    if values and name in values:
        typed = values[name]
        wanted = kinds(prop)
        if not wanted or _type_of(typed) in wanted or (typed is None and "null" in wanted):
            return typed
    if name.endswith("_id") and name in ids:
        return ids[name]
    ks = kinds(prop)
    fmt = next((v["format"] for v in vs if v.get("format")), None)
    enum = next((v["enum"] for v in vs if v.get("enum")), None)
    if "default" in resolve(prop) and resolve(prop)["default"] is not None:
        return resolve(prop)["default"]
    if enum:
        return enum[0]
    if fmt == "date":
        return "2027-06-01"
    if fmt == "date-time":
        return "2027-06-01T12:00:00Z"
    if "integer" in ks or "number" in ks:
        return 2
    if "boolean" in ks:
        return False
    if "array" in ks:
        return []
    if "object" in ks:
        obj = next((v for v in vs if v.get("properties")), None)
        return body_from(obj, ids, values) if obj else {}
    return "probe"


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def body_from(schema: dict[str, Any], ids: dict[str, int], values: dict[str, Any] | None = None) -> dict[str, Any]:
    return {name: sample(name, prop, ids, values) for name, prop in schema.get("properties", {}).items()}


def valid_values(world: World, path: str = "") -> dict[str, Any]:
    """Values that the services accept for fields that are not free text, by field name (and, where
    a name means different things on different routes, by route), for tenant A."""
    from datetime import timedelta

    from django.utils import timezone

    call = timezone.now() - timedelta(microseconds=1)  # after any case of the test, not in the future
    values: dict[str, Any] = {
        "service": "premier_edition",
        "package": "business_care_for_cloud",
        "role": "reseller_staff",
        "email": "new.person@alpha.test",
        "timezone": "UTC",
        "impacted_timezone": "America/Chicago",
        "frequency": "intermittent",
        "kind": "incident",
        "code": "solution",
        "url": "https://93.184.215.14/hook",
        "event_types": ["*"],
        "calendar": {"timezone": "America/New_York"},
        "csm_id": world.csm.pk,
        "reseller_id": world.a.reseller.pk,
        "account_id": world.a.account.pk,
        "first_observed_at": "2026-11-02T08:30:00Z",
        "phone_call_at": call.isoformat(),
        "severity": 3,
        "start": "2030-01-01T00:00:00Z",
        "end": "2030-01-01T01:00:00Z",
        "term_start": "2026-01-01",
        "term_end": "2027-12-31",
        "expires_at": "2030-01-01T00:00:00Z",
        "password": "a-Strong-passw0rd-1",
        "deployment_timezone": "America/New_York",
        "users_affected": 3,
        "level1": dict.fromkeys(
            [
                "help_consulted",
                "user_guide_faq_consulted",
                "service_advisories_checked",
                "problem_reproduced",
                "third_party_cause_ruled_out",
            ],
            True,
        ),
    }
    if path.startswith("/api/knowledge/"):
        values.update(kind="faq", severity="info")
    if path.startswith("/api/feature-requests/"):
        values.update(status="under_review")
    if path.startswith("/api/csm-requests/"):
        values.update(status="in_progress")
    if path.endswith("/severity"):
        values.update(severity=4, phone_call_at=None, available_contact_id=None)
    if path.endswith("/raise-to-critical"):
        values.update(available_contact_id=world.a.dcs[0].pk)
    if path == "/api/subscriptions":
        values.update(service="social_analytics")
    if path == "/api/users/{user_id}":
        values.update(role=None)
    return values


def multipart_form(schema: dict[str, Any], ids: dict[str, int], filename: str = "probe.log") -> dict[str, Any]:
    form: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if resolve(prop).get("format") == "binary":
            form[name] = SimpleUploadedFile(filename, b"2026-11-27 12:00:00 INFO probe\n")
        else:
            form[name] = sample(name, prop, ids)
    return form


def body_for(method: str, path: str, ids: dict[str, int]) -> dict[str, Any] | None:
    """A request body for the route (``{MULTIPART: form}`` for uploads), or None if it takes none."""
    schema = json_body(method, path)
    if schema is not None:
        return body_from(schema, ids)
    form = multipart_body(method, path)
    if form is not None:
        return {MULTIPART: multipart_form(form, ids)}
    return None


def finish(response: Any) -> Any:
    """Read a streamed answer (a download) to its end, which closes its file the way Django's test
    client does. (``response.close()`` instead would send request_finished, whose handler closes
    the database connection and, on PostgreSQL, the test's transaction with it.)"""
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def tenant_ids(t: Tenant) -> dict[str, int]:
    """A tenant's object for every id parameter name the API uses (as tests/api's matrix)."""
    token = t.dcs[0].api_tokens.first()
    ids = {
        "reseller_id": t.reseller.pk,
        "account_id": t.account.pk,
        "user_id": t.dcs[0].pk,
        "subscription_id": t.subscriptions[0].pk,
        "token_id": token.pk if token else 0,
    }
    ids.update(t.extra_ids)
    return ids


def own_ids(world: World) -> dict[str, int]:
    """Tenant A's own ids, falling back to B's (then a miss) for kinds A has none of."""
    return {**tenant_ids(world.b), **tenant_ids(world.a)}


def url_for(path: str, ids: dict[str, int], default: int = 999_999) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), default)), path)
