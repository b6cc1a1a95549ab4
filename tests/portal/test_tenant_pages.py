"""Every portal page, walked as the users of tenant A against tenant B's objects (DOMAIN.md: "No
reseller ever sees another reseller's anything ... a miss looks like not found").

The walk is generated from the portal's own URL patterns, so a page added tomorrow is probed
tomorrow. A page with a path parameter must answer 404 (B's object is "not found"), or 403 for a
role that may never use the page, or 405 for a method it does not take. A page without one must
answer without any of B's names, whatever ids of B's the query or form names, and no request may
change any row of B's.

A new path parameter must be taught to ``foreign_kwargs`` below: the walk fails until it is.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from caredesk.portal import urls as portal_urls
from caredesk.tenancy.models import ApiToken, Reseller, User
from tests.conftest import Tenant, World
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db

# Pages with no tenant data at all (anyone may load them).
PUBLIC = {"login", "logout", "health"}
# A sample for each string path parameter: every value the page knows, and one it does not.
STRING_SAMPLES = {
    "action": [
        "comment",
        "acknowledge",
        "await_reseller",
        "resume",
        "restore",
        "resolve",
        "reopen",
        "close",
        "assign",
        "severity",
        "propose",
        "decide",
        "no-such-action",
    ],
    "step": ["schedule", "hold", "not_applicable", "request_report", "no-such-step"],
    "change": ["rotate", "revoke", "pause", "resume", "delete", "no-such-change"],
}


def portal_patterns() -> list[tuple[str, list[str]]]:
    """(name, path parameter names) of every named pattern under the portal's URLconf."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((pattern.name, list(pattern.pattern.converters)))

    walk(portal_urls.urlpatterns)
    return found


def foreign_ids(world: World) -> dict[str, int]:
    b = world.b
    token = ApiToken.objects.filter(user=b.dcs[0]).first()
    assert token is not None
    ids = {
        "reseller_id": b.reseller.pk,
        "account_id": b.account.pk,
        "user_id": b.dcs[1].pk,
        "subscription_id": b.subscriptions[0].pk,
        "token_id": token.pk,
        "csm_request_id": b.extra_ids["request_id"],
    }
    ids.update(b.extra_ids)
    return ids


def foreign_kwargs(name: str, params: list[str], ids: dict[str, int]) -> list[dict[str, Any]]:
    """Every way to fill the page's path parameters with B's objects."""
    combos: list[dict[str, Any]] = [{}]
    for param in params:
        if param in STRING_SAMPLES:
            values: list[Any] = STRING_SAMPLES[param]
        elif param in ids:
            values = [ids[param]]
        else:
            raise AssertionError(f"teach foreign_kwargs() about path parameter {param!r} of page {name!r}")
        combos = [{**c, param: v} for c in combos for v in values]
    return combos


def form_data(ids: dict[str, int]) -> dict[str, Any]:
    """A form that names B's objects in every field a portal form has for an id."""
    data: dict[str, Any] = {k: str(v) for k, v in ids.items()}
    data.update(
        case_ids=[str(ids["case_id"])],
        proposal_id=str(ids["proposal_id"]),
        assignee_id=str(ids["on_behalf_of_id"]),
        step="details",
        service="premier_edition",
        title="probe",
        description="probe",
        body="probe",
        reason="probe",
        message="probe",
        summary="probe",
        status="in_progress",
        decision="accept",
        severity="3",
        code="solution",
    )
    return data


def _tenant_tables() -> list[tuple[str, str]]:
    """(table, tenant column) of every model that carries the tenant key, plus the users'."""
    tables = []
    for model in apps.get_models():
        field = next(
            (f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey) and f.name == "reseller"), None
        )
        if field is not None and field.related_model is Reseller:
            tables.append((model._meta.db_table, field.column))
    return sorted(tables)


def b_state(b: Tenant) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of B's, column by column (raw SQL, so the walk can afford it after every page):
    any change made through a page shows up here."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table, column in [*_tenant_tables(), (User._meta.db_table, "reseller_id")]:
            cursor.execute(f'SELECT * FROM "{table}" WHERE "{column}" = %s ORDER BY 1', [b.reseller.pk])
            state[table] = cursor.fetchall()
        people = [dc.pk for dc in b.dcs] + [b.staff.pk]
        marks = ", ".join(["%s"] * len(people))
        cursor.execute(f'SELECT * FROM "{ApiToken._meta.db_table}" WHERE user_id IN ({marks}) ORDER BY 1', people)
        state["tokens"] = cursor.fetchall()
    return state


def leaks(body: str, b: Tenant) -> list[str]:
    words = [b.reseller.name, b.account.name, b.staff.email, b.staff.name]
    for dc in b.dcs:
        words += [dc.email, dc.name]
    return [w for w in words if w.lower() in body.lower()]


def walk(client: Client, world: World) -> list[str]:
    ids = foreign_ids(world)
    query: dict[str, str] = {k: str(v) for k, v in ids.items()}
    problems: list[str] = []
    for name, params in portal_patterns():
        if name in PUBLIC:
            continue
        before = b_state(world.b)
        for kwargs in foreign_kwargs(name, params, ids):
            url = reverse(f"portal:{name}", kwargs=kwargs)
            for method in ("GET", "POST"):
                response = client.get(url, query) if method == "GET" else client.post(url, form_data(ids))
                body = response.content.decode(errors="replace")
                where = f"{method} {url} ({name}) -> {response.status_code}"
                if params and response.status_code not in (403, 404, 405):
                    problems.append(f"{where}: expected 404/403/405 for another tenant's object")
                if not params and response.status_code >= 500:
                    problems.append(f"{where}: server error")
                found = leaks(body, world.b)
                if found:
                    problems.append(f"{where}: shows tenant B's {found}")
        if b_state(world.b) != before:
            problems.append(f"page {name}: a request changed tenant B's data")
    return problems


def test_the_walk_covers_every_portal_page() -> None:
    names = {name for name, _ in portal_patterns()}
    assert {"home", "case_detail", "case_action", "queue", "case_new", "macd_detail"} <= names
    assert len(names) == len(portal_patterns()), "every portal page has its own name"


@pytest.mark.parametrize("role", ["designated_contact", "reseller_staff"])
def test_a_reseller_never_reaches_another_tenants_objects_through_any_page(world: World, role: str) -> None:
    """Each reseller role of A, against every page with every id of B's (404, never a leak)."""
    user = world.a.dcs[0] if role == "designated_contact" else world.a.staff
    problems = walk(login(user), world)
    assert problems == []


def test_a_foreign_case_page_is_not_found_and_says_nothing_of_it(world: World) -> None:
    client = login(world.a.dcs[0])
    case_id = world.b.extra_ids["case_id"]
    response = client.get(f"/cases/{case_id}/")
    assert response.status_code == 404
    assert world.b.account.name not in response.content.decode()
    assert client.get(f"/cases/{case_id}/clocks/").status_code == 404


def test_the_case_list_filters_cannot_widen_the_tenant(world: World) -> None:
    client = login(world.a.staff)
    body = client.get("/cases/", {"account_id": str(world.b.account.pk), "status": "open"}).content.decode()
    assert "Zephyrine" not in body


def test_console_pages_are_forbidden_to_reseller_roles(world: World) -> None:
    for user in (world.a.dcs[0], world.a.staff):
        client = login(user)
        for url in ("/console/", "/console/phone-intake/", f"/cases/{world.a.dcs[0].pk}/raise-critical/"):
            assert client.get(url).status_code in (403, 404), url
        assert client.post("/console/assign/", {"case_ids": [world.b.extra_ids["case_id"]]}).status_code == 403
