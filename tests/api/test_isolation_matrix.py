"""The tenant-isolation matrix, generated from the API's own route list (its OpenAPI document).

Every route, now and later, is called by every reseller role of tenant A against tenant B's objects.
A route with a path parameter must answer 404 (the object is "not found") or 403 (a role that may
never use the route); a collection answers without any of B's data; a body that names B's objects
changes nothing of B's. No answer may contain B's names or e-mail addresses.

A new path or body parameter ending in ``_id`` must be taught to ``foreign_ids`` below: the matrix
fails until it is, so no route escapes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.api import api
from tests.conftest import MULTIPART, Tenant, World

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_prefix="/api/")
ROUTES = sorted(
    (method.upper(), path)
    for path, ops in SCHEMA["paths"].items()
    for method in ops
    if method in {"get", "post", "put", "patch", "delete"}
)
# Routes anyone may read without a tenant (none carry tenant data).
PUBLIC = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}


def foreign_ids(b: Tenant) -> dict[str, int]:
    """Tenant B's object for every id parameter name the API uses."""
    ids = {
        "reseller_id": b.reseller.pk,
        "account_id": b.account.pk,
        "user_id": b.dcs[0].pk,
        "subscription_id": b.subscriptions[0].pk,
        "token_id": b.dcs[0].api_tokens.first().pk,  # type: ignore[union-attr]
        "csm_id": 0,
    }
    ids.update(getattr(b, "extra_ids", {}))
    return ids


def secrets_of(b: Tenant) -> list[str]:
    words = [b.reseller.name, b.account.name, b.staff.email, b.staff.name]
    for dc in b.dcs:
        words += [dc.email, dc.name]
    return words


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _sample(name: str, prop: dict[str, Any], ids: dict[str, int]) -> Any:
    if name.endswith("_id"):
        if name not in ids:
            raise AssertionError(f"teach foreign_ids() about body parameter {name!r}")
        return ids[name]
    prop = _resolve(prop)
    kinds = [prop.get("type")] + [p.get("type") for p in prop.get("anyOf", [])]
    fmt = prop.get("format") or next((p.get("format") for p in prop.get("anyOf", []) if p.get("format")), None)
    if fmt == "date":
        return "2026-06-01"
    if fmt == "date-time":
        return "2030-06-01T12:00:00Z"
    if "integer" in kinds:
        return 2
    if "boolean" in kinds:
        return False
    if "array" in kinds:
        return []
    if "object" in kinds:
        return {}
    return "probe"


def body_for(method: str, path: str, ids: dict[str, int]) -> dict[str, Any] | None:
    op = SCHEMA["paths"][path][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        schema = _resolve(content["multipart/form-data"]["schema"])
        form: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            prop = _resolve(prop)
            if prop.get("format") == "binary":
                form[name] = SimpleUploadedFile("probe.log", b"2026-11-27 12:00:00 INFO probe\n")
            else:
                form[name] = _sample(name, prop, ids)
        return {MULTIPART: form}
    if "application/json" not in content:
        return None
    schema = _resolve(content["application/json"]["schema"])
    return {name: _sample(name, prop, ids) for name, prop in schema.get("properties", {}).items()}


def url_for(path: str, ids: dict[str, int]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            raise AssertionError(f"teach foreign_ids() about path parameter {name!r}")
        return str(ids[name])

    return re.sub(r"\{(\w+)\}", sub, path)


def _b_state(world: World) -> str:
    from django.core import serializers

    from caredesk.tenancy.models import ApiToken, EndUserAccount, Reseller, Subscription, User

    rows = [
        *Reseller.objects.filter(pk=world.b.reseller.pk),
        *User.objects.filter(reseller=world.b.reseller).order_by("pk"),
        *EndUserAccount.objects.filter(reseller=world.b.reseller).order_by("pk"),
        *Subscription.objects.filter(reseller=world.b.reseller).order_by("pk"),
        *ApiToken.objects.filter(reseller=world.b.reseller).exclude(last_used_at__isnull=False).order_by("pk"),
    ]
    return serializers.serialize("json", rows, fields=[f for f in ()] or None)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("role", ["designated_contact", "reseller_staff"])
def test_foreign_tenant_learns_nothing(world: World, method: str, path: str, role: str) -> None:
    if (method, path) in PUBLIC:
        return
    me = world.a.dcs[0] if role == "designated_contact" else world.a.staff
    client = world.client(me)
    ids = foreign_ids(world.b)
    before = _b_state(world)
    response = client.request(method, url_for(path, ids), body_for(method, path, ids))
    text = response.content.decode()
    for secret in secrets_of(world.b):
        assert secret not in text, f"{method} {path} leaked {secret!r} to {role} of another tenant"
    if "{" in path:
        assert response.status_code in (403, 404), f"{method} {path} answered {response.status_code}: {text[:300]}"
        if response.status_code == 404:
            assert json.loads(text)["error"]["code"] == "not_found"
    else:
        assert response.status_code < 500, text[:300]
    assert _b_state(world) == before, f"{method} {path} changed tenant B's data"


def test_the_matrix_covers_every_route() -> None:
    # A guard against an empty or truncated route list: the tenancy router alone has these.
    assert ("GET", "/api/accounts/{account_id}") in ROUTES
    assert ("DELETE", "/api/tokens/{token_id}") in ROUTES
    assert len(ROUTES) >= 18
