"""Property-level authorisation (OWASP API3:2023, ASVS 5 V8.2.3 "field-level access").

1. Every JSON request body refuses an unknown field with 422 "unknown field", never ignores it:
   generated from the OpenAPI request schemas (statically: every object schema with declared
   properties forbids others; dynamically: each body plus ``is_superuser``, ``reseller_id``... is
   sent as a vendor admin and as a Designated Contact). Multipart forms likewise.
2. No role writes a field it does not own: every body field that carries authority (severity,
   package, internal, assignee, role, reseller...) is listed in ``OWNED`` with what a reseller
   role that tries to write it must get. A new route with such a field fails
   ``test_every_field_that_carries_authority_is_owned`` until it is listed, so none escapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from caredesk.cases.models import Case
from tests.conftest import MULTIPART, World
from tests.security.routes import (
    JSON_ROUTES,
    MULTIPART_ROUTES,
    SCHEMA,
    body_from,
    json_body,
    multipart_body,
    multipart_form,
    own_ids,
    resolve,
    route_id,
    url_for,
    variants,
)

pytestmark = pytest.mark.django_db

# Names an attacker tries to slip into a body: they must never be silently accepted.
INTRUDERS: dict[str, Any] = {
    "is_superuser": True,
    "is_staff": True,
    "role": "vendor_admin",
    "reseller_id": 1,
    "tenant_id": 1,
    "id": 1,
    "version": 99,
    "owner_id": 1,
    "created_by_id": 1,
    "internal": True,
    "package": "pure_success",
    "severity_final": True,
    "status": "closed",
}


def _reachable_object_schemas(schema: dict[str, Any], seen: set[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for v in variants(schema):
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.get("properties"):
            out.append(v)
            for prop in v["properties"].values():
                out += _reachable_object_schemas(prop, seen)
        if "items" in v:
            out += _reachable_object_schemas(v["items"], seen)
    return out


def _body_schemas() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for method, path in JSON_ROUTES:
        schema = json_body(method, path)
        assert schema is not None
        for obj in _reachable_object_schemas(schema, set()):
            found.append((f"{method} {path} {obj.get('title', '?')}", obj))
    return found


def test_every_request_object_schema_forbids_unknown_properties() -> None:
    lax = [name for name, obj in _body_schemas() if obj.get("additionalProperties") is not False]
    assert lax == [], f"request schemas that would ignore unknown fields (use caredesk.api.base.InSchema): {lax}"


def _nested_object(schema: dict[str, Any]) -> str | None:
    """A property whose value is an object with declared properties (to inject one level down)."""
    for name, prop in schema.get("properties", {}).items():
        if any(v.get("properties") for v in variants(prop)) and not any(
            v.get("type") == "null" for v in variants(prop)
        ):
            return str(name)
    return None


@pytest.mark.parametrize("route", JSON_ROUTES, ids=[route_id(r) for r in JSON_ROUTES])
def test_unknown_fields_are_refused_not_ignored(sworld: World, route: tuple[str, str]) -> None:
    method, path = route
    schema = json_body(method, path)
    assert schema is not None
    ids = own_ids(sworld)
    extras = {k: v for k, v in INTRUDERS.items() if k not in schema.get("properties", {})}
    for user in (sworld.admin, sworld.a.dcs[0]):
        body = {**body_from(schema, ids), **extras}
        nested = _nested_object(schema)
        if nested is not None:
            body[nested] = {**body[nested], "is_superuser": True}
        r = sworld.client(user).request(method, url_for(path, ids), body)
        assert r.status_code == 422, f"{method} {path} as {user.role} answered {r.status_code}: {r.content[:300]!r}"
        fields = r.json()["error"]["fields"]
        for name in extras:
            assert fields.get(name) == "unknown field", (name, fields)
        if nested is not None:
            assert fields.get(f"{nested}.is_superuser") == "unknown field", fields


@pytest.mark.parametrize("route", MULTIPART_ROUTES, ids=[route_id(r) for r in MULTIPART_ROUTES])
def test_unknown_form_fields_are_refused_not_ignored(sworld: World, route: tuple[str, str]) -> None:
    method, path = route
    schema = multipart_body(method, path)
    assert schema is not None
    ids = own_ids(sworld)
    form = {**multipart_form(schema, ids), "reseller_id": str(sworld.b.reseller.pk), "is_superuser": "true"}
    form["extra_file"] = SimpleUploadedFile("x.log", b"INFO\n")
    r = sworld.client(sworld.a.dcs[0]).request(method, url_for(path, ids), {MULTIPART: form})
    assert r.status_code == 422, r.content[:300]
    fields = r.json()["error"]["fields"]
    assert {"reseller_id", "is_superuser", "extra_file"} <= set(fields), fields


# --------------------------------------------------------------------------- fields that carry authority

# A field with one of these names, in any request body, decides who sees, owns or works something.
AUTHORITY = {
    "severity",
    "package",
    "internal",
    "assignee_id",
    "reseller_id",
    "role",
    "csm_id",
    "clear_csm",
    "calendar",
    "user_id",
    "on_behalf_of_id",
    "available_contact_id",
    "status",
    "accept",
    "is_published",
    "emergency",
    "account_id",
}


@dataclass(frozen=True)
class Owned:
    """What a reseller role gets when it writes ``field`` through ``route`` (``expect``), and, for
    a write it may make, what must stay unchanged (``unchanged``)."""

    expect: tuple[int, ...]
    value: Callable[[World], Any] = lambda w: None
    body: Callable[[World], dict[str, Any]] = lambda w: {}
    roles: tuple[str, ...] = ("designated_contact", "reseller_staff")
    unchanged: Callable[[World], Any] | None = None
    note: str = ""
    on_self: bool = False  # the path's user_id is the caller's own
    prepare: Callable[[World], None] | None = None
    covered_by: str = ""  # another test that owns this field's check (object-level ones)
    extra: dict[str, Any] = field(default_factory=dict)


def _case_body(w: World) -> dict[str, Any]:
    from tests.conftest import case_payload

    return case_payload(w.a.account)


def _call_just_now(w: World) -> str:
    """An instant after A's case was submitted and not in the future: a valid phone call time."""
    submitted = Case.objects.get(pk=w.a.extra_ids["case_id"]).submitted_at
    return min(submitted + timedelta(seconds=1), timezone.now()).isoformat()


def _decide_pending_proposal(w: World) -> None:
    from caredesk.cases import services

    services.severity_decide(
        actor=w.agent,
        case_id=w.a.extra_ids["case_id"],
        proposal_id=w.a.extra_ids["proposal_id"],
        accept=False,
        reason="keep High",
    )


def _severity(w: World) -> int:
    return int(Case.objects.get(pk=w.a.extra_ids["case_id"]).severity)


OBJECT_LEVEL = "tests/api/test_isolation_matrix.py (another tenant's id is 404) and test_object_ids_in_bodies"

OWNED: dict[tuple[str, str, str], Owned] = {
    ("POST", "/api/users", "role"): Owned((403,), lambda w: "vendor_admin"),
    ("POST", "/api/users", "reseller_id"): Owned((403,), lambda w: w.a.reseller.pk),
    ("PATCH", "/api/users/{user_id}", "role"): Owned((403,), lambda w: "vendor_admin", on_self=True),
    ("POST", "/api/accounts", "reseller_id"): Owned((403,), lambda w: w.a.reseller.pk),
    ("POST", "/api/accounts", "csm_id"): Owned((403,), lambda w: w.csm.pk),
    ("POST", "/api/accounts", "calendar"): Owned((403,), lambda w: {"timezone": "UTC"}),
    ("PATCH", "/api/accounts/{account_id}", "calendar"): Owned((403,), lambda w: {"timezone": "Pacific/Kiritimati"}),
    ("PATCH", "/api/accounts/{account_id}", "csm_id"): Owned((403,), lambda w: w.csm.pk),
    ("PATCH", "/api/accounts/{account_id}", "clear_csm"): Owned((403,), lambda w: True),
    ("POST", "/api/subscriptions", "package"): Owned((403,), lambda w: "pure_success"),
    ("POST", "/api/subscriptions", "account_id"): Owned((403,), lambda w: w.a.account.pk),
    ("POST", "/api/tokens", "user_id"): Owned((403,), lambda w: w.a.dcs[1].pk, note="a token for someone else"),
    ("POST", "/api/cases", "severity"): Owned(
        (422, 403), lambda w: 1, _case_body, note="Severity 1 is never opened directly (DOMAIN.md)"
    ),
    ("POST", "/api/cases", "account_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/cases/phone", "on_behalf_of_id"): Owned((403,), lambda w: w.a.dcs[0].pk, _case_body),
    ("POST", "/api/cases/phone", "severity"): Owned((403,), lambda w: 1, _case_body),
    ("POST", "/api/cases/phone", "account_id"): Owned((403,), lambda w: w.a.account.pk, _case_body),
    ("POST", "/api/cases/{case_id}/comments", "internal"): Owned((403,), lambda w: True, lambda w: {"body": "x"}),
    ("POST", "/api/cases/{case_id}/assign", "assignee_id"): Owned((403,), lambda w: w.a.dcs[0].pk),
    ("POST", "/api/cases/{case_id}/severity", "severity"): Owned(
        (403,), lambda w: 4, lambda w: {"reason": "we decide", "phone_call_at": None}, unchanged=_severity
    ),
    ("POST", "/api/cases/{case_id}/severity", "available_contact_id"): Owned(
        (403,), lambda w: w.a.dcs[0].pk, lambda w: {"severity": 1, "reason": "x", "phone_call_at": _call_just_now(w)}
    ),
    ("POST", "/api/cases/{case_id}/raise-to-critical", "available_contact_id"): Owned(
        (403,), lambda w: w.a.dcs[0].pk, lambda w: {"phone_call_at": _call_just_now(w)}, unchanged=_severity
    ),
    ("POST", "/api/cases/{case_id}/severity-proposals", "severity"): Owned(
        (201, 403),
        lambda w: 4,
        lambda w: {"reason": "less urgent"},
        unchanged=_severity,
        prepare=_decide_pending_proposal,
        note="a DC proposes; the case's severity is unchanged until Customer Care decides",
    ),
    ("POST", "/api/cases/{case_id}/severity-proposals/{proposal_id}/decision", "accept"): Owned(
        (403,), lambda w: True, lambda w: {"reason": "ok"}, unchanged=_severity
    ),
    ("POST", "/api/cases/import", "package"): Owned((403,), lambda w: "pure_success", note="vendor admins only"),
    ("POST", "/api/cases/import", "calendar"): Owned((403,), lambda w: {"timezone": "UTC"}),
    ("POST", "/api/macd-requests", "account_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/csm-requests/{request_id}/status", "status"): Owned((403,), lambda w: "done"),
    ("POST", "/api/feature-requests", "account_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/feature-requests/{feature_request_id}/status", "status"): Owned((403,), lambda w: "planned"),
    ("POST", "/api/maintenance/reschedules", "account_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/maintenance/notices", "emergency"): Owned(
        (403,),
        lambda w: True,
        lambda w: {
            "service": "premier_edition",
            "start": "2030-01-01T00:00Z",
            "end": "2030-01-01T01:00Z",
            "reason": "x",
        },
    ),
    ("POST", "/api/maintenance/feeds", "reseller_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/maintenance/feeds", "account_id"): Owned((), covered_by=OBJECT_LEVEL),
    ("POST", "/api/knowledge/advisories", "severity"): Owned(
        (403,), lambda w: "critical", lambda w: {"service": "premier_edition", "title": "x", "body": "x", "impact": ""}
    ),
    ("PATCH", "/api/knowledge/advisories/{advisory_id}", "severity"): Owned((403, 404), lambda w: "critical"),
    ("POST", "/api/knowledge/articles", "is_published"): Owned(
        (403,), lambda w: True, lambda w: {"service": "premier_edition", "kind": "faq", "title": "x", "body": "x"}
    ),
    ("PATCH", "/api/knowledge/articles/{article_id}", "is_published"): Owned((403, 404), lambda w: True),
    ("POST", "/api/webhooks", "reseller_id"): Owned((), covered_by=OBJECT_LEVEL),
}


def _authority_fields() -> list[tuple[str, str, str]]:
    out = []
    for method, path in JSON_ROUTES:
        schema = json_body(method, path)
        assert schema is not None
        out += [(method, path, name) for name in schema.get("properties", {}) if name in AUTHORITY]
    return sorted(out)


AUTHORITY_FIELDS = _authority_fields()
CHECKED = [
    (k, v) for k, v in sorted(OWNED.items()) if not v.covered_by and k[:2] in {(m, p) for m, p, _ in AUTHORITY_FIELDS}
]


def test_every_field_that_carries_authority_is_owned() -> None:
    missing = [f"{m} {p} .{f}" for m, p, f in AUTHORITY_FIELDS if (m, p, f) not in OWNED]
    assert missing == [], f"teach OWNED in {__file__} who may write: {missing}"


@pytest.mark.parametrize(("key", "owned"), CHECKED, ids=[f"{k[0]} {k[1]} .{k[2]}" for k, _ in CHECKED])
def test_no_reseller_role_writes_a_field_it_does_not_own(
    sworld: World, key: tuple[str, str, str], owned: Owned
) -> None:
    method, path, name = key
    schema = json_body(method, path)
    assert schema is not None
    ids = own_ids(sworld)
    if owned.prepare:
        owned.prepare(sworld)
    for role in owned.roles:
        user = sworld.a.dcs[0] if role == "designated_contact" else sworld.a.staff
        before = owned.unchanged(sworld) if owned.unchanged else None
        body = {**body_from(schema, ids), **owned.body(sworld), name: owned.value(sworld)}
        url = url_for(path, {**ids, "user_id": user.pk} if owned.on_self else ids)
        r = sworld.client(user).request(method, url, body)
        # Staff write nothing at all; a DC gets the row's answer.
        allowed = owned.expect if role == "designated_contact" else (403, *[s for s in owned.expect if s >= 400])
        assert r.status_code in allowed, (
            f"{role} wrote {name} through {method} {path}: {r.status_code} {r.content[:300]!r}"
        )
        if r.status_code == 422:
            # A 422 must be the rule about this field, not a badly built probe.
            assert name in json.dumps(r.json()["error"]) or "severity" in r.json()["error"]["message"].lower(), r.json()
        if owned.unchanged:
            assert owned.unchanged(sworld) == before, f"{method} {path} changed what {role} does not own"


def test_object_ids_in_bodies_never_reach_another_tenant(sworld: World) -> None:
    """Every ``*_id`` a body names is checked against the caller's tenant: tenant A's DC naming
    tenant B's account, reseller or user is refused (404/403/422) and B gains nothing."""
    from caredesk.cases.models import Case as CaseModel

    b_cases = CaseModel.objects.filter(reseller=sworld.b.reseller).count()
    foreign = {"account_id": sworld.b.account.pk, "reseller_id": sworld.b.reseller.pk, "user_id": sworld.b.dcs[0].pk}
    ids = own_ids(sworld)
    probed = 0
    for method, path in JSON_ROUTES:
        schema = json_body(method, path)
        assert schema is not None
        names = [n for n in schema.get("properties", {}) if n in foreign]
        for name in names:
            body = {**body_from(schema, ids), name: foreign[name]}
            if path in ("/api/cases", "/api/cases/phone"):
                body = {**_case_body(sworld), name: foreign[name]}
            r = sworld.client(sworld.a.dcs[0]).request(method, url_for(path, ids), body)
            probed += 1
            assert r.status_code in (403, 404, 422), f"{method} {path} .{name}={foreign[name]}: {r.status_code}"
            text = r.content.decode()
            assert sworld.b.account.name not in text and sworld.b.reseller.name not in text
    assert probed >= 8
    assert CaseModel.objects.filter(reseller=sworld.b.reseller).count() == b_cases


def test_the_schema_walk_sees_nested_bodies() -> None:
    """A guard against a vacuous walk: CaseIn's level1 is a nested object schema."""
    case_in = json_body("POST", "/api/cases")
    assert case_in is not None
    assert any(resolve(v).get("properties") for v in variants(case_in["properties"]["level1"]))
    assert len(SCHEMA["paths"]) > 40
