"""Injection through filters, ordering, cursors and path ids (OWASP API8/API10 and A03, ASVS 5 V1.2).

Generated over every GET route of the OpenAPI document: each query parameter (and each path id)
gets SQL metacharacters, huge and overflowing numbers, very long strings, NUL and other control
characters, unicode look-alikes, JSON and operator objects and repeated values. The answer must be
a client error or a normal answer, never 5xx, always the JSON error shape, and never anything of
another tenant. The same is done to the query strings of the site's pages, and to keyset cursors
forged with values of the wrong type.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.conftest import PASSWORD, World
from tests.security.pages import login, page_values, site_pages
from tests.security.routes import GET_ROUTES, PROTECTED, finish, own_ids, query_params, route_id, url_for

pytestmark = pytest.mark.django_db

HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE cases_case;--",
    "1) UNION SELECT password FROM tenancy_user--",
    "%' AND 1=1 --",
    "\\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    "99999999999999999999999999",  # overflows every integer column
    "-9223372036854775809",
    "1e309",
    "NaN",
    "-1",
    "0",
    "\u0661\u0662",  # Arabic-Indic digits
    "\ufeff1",
    "x" * 5000,
    "𝕏é\u202e\u200b",
    '{"$gt": ""}',
    "[]",
    "null",
    "../../../../etc/passwd",
    "__proto__",
    "2026-02-30T25:61:00Z",
    "9999-12-31T23:59:59+14:00",
]
# The vendor admin (whose lists are not scoped to a tenant) gets the values most likely to break.
ADMIN_HOSTILE = ["' OR '1'='1", "99999999999999999999999999", "a\x00b", "x" * 5000, "[]", "2026-02-30T25:61:00Z"]
PATH_HOSTILE = ["1' OR '1'='1", "99999999999999999999999999", "-1", "0", "1.5", "1e3", "%00", "\u0661", "x" * 300]
QUERY_ROUTES = [r for r in GET_ROUTES if query_params(*r)]
PATH_ROUTES = [r for r in PROTECTED if "{" in r[1]]


def _secrets(w: World) -> list[str]:
    words = [w.b.reseller.name, w.b.account.name, w.b.staff.email]
    return words + [dc.email for dc in w.b.dcs]


def _check(response: Any, where: str, secrets: list[str]) -> None:
    if response.streaming:
        finish(response)
        return
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.content[:300]!r}"
    text = response.content.decode("utf-8", "replace")
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(text)
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), f"{where}: {text[:300]}"
    for secret in secrets:
        assert secret not in text, f"{where} leaked {secret!r}"


@pytest.mark.parametrize("route", QUERY_ROUTES, ids=[route_id(r) for r in QUERY_ROUTES])
def test_hostile_query_values_are_client_errors_never_5xx_or_leaks(sworld: World, route: tuple[str, str]) -> None:
    method, path = route
    ids = own_ids(sworld)
    names = [p["name"] for p in query_params(method, path)]
    url = url_for(path, ids)
    dc, admin = sworld.client(sworld.a.dcs[0]), sworld.client(sworld.admin)
    secrets = _secrets(sworld)
    for value in HOSTILE:
        query = urlencode(dict.fromkeys(names, value))
        _check(dc.get(f"{url}?{query}"), f"{path}?{query[:80]} as a DC", secrets)
    for value in ADMIN_HOSTILE:
        query = urlencode(dict.fromkeys(names, value))
        _check(admin.get(f"{url}?{query}"), f"{path}?{query[:80]} as the admin", [])
    # Arrays where one value is expected, and one parameter at a time (a bad neighbour can hide a bug).
    repeated = urlencode([(n, v) for n in names for v in ("1", "2", "' OR 1=1")])
    _check(dc.get(f"{url}?{repeated}"), f"{path}?{repeated[:80]}", secrets)
    for name in names:
        for value in ("99999999999999999999999999", "' OR '1'='1"):
            _check(dc.get(f"{url}?{urlencode({name: value})}"), f"{path}?{name}={value}", secrets)


@pytest.mark.parametrize("route", PATH_ROUTES, ids=[route_id(r) for r in PATH_ROUTES])
def test_hostile_path_ids_are_client_errors_never_5xx(sworld: World, route: tuple[str, str]) -> None:
    method, path = route
    client = sworld.client(sworld.a.dcs[0])
    for value in PATH_HOSTILE:
        url = url_for(path, {}, default=value)  # type: ignore[arg-type]
        r = client.request(method, url, {} if method in ("POST", "PATCH", "PUT") else None)
        _check(r, f"{method} {url[:120]}", _secrets(sworld))


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


FORGED = [
    _cursor(["not a date", 1]),
    _cursor([None, "x"]),
    _cursor([{"$gt": 1}, [1]]),
    _cursor([99999999999999999999999999, 1]),
    _cursor([1, 2, 3, 4, 5, 6, 7, 8]),
    _cursor(["2026-01-01T00:00:00Z' OR 1=1--", 1]),
    _cursor([True, False]),
    "not-base64-!!",
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
]


def test_forged_keyset_cursors_are_refused(sworld: World) -> None:
    dc = sworld.client(sworld.a.dcs[0])
    secrets = _secrets(sworld)
    for route in [r for r in GET_ROUTES if "cursor" in {p["name"] for p in query_params(*r)}]:
        url = url_for(route[1], own_ids(sworld))
        for ordering in ("", "&ordering=-submitted", "&ordering=next_due", "&ordering=severity"):
            for cursor in FORGED:
                _check(dc.get(f"{url}?cursor={cursor}{ordering}"), f"{url}?cursor={cursor}{ordering}", secrets)


def test_hostile_query_strings_on_every_page(sworld: World) -> None:
    # (health probes answer 503 by design while no worker runs)
    pages = [p for p in site_pages() if not p.route.startswith(("logout", "feeds/", "health"))]
    values = page_values(own_ids(sworld))
    names = ["status", "severity", "ordering", "cursor", "account_id", "reseller_id", "assignee", "service", "package"]
    names += ["q", "kind", "from", "to", "group_by", "section", "tz", "next", "page", "weeks", "month"]
    secrets = _secrets(sworld)
    for user in (sworld.a.dcs[0], sworld.agent):
        browser = login(user)
        for page in pages:
            for value in ("' OR '1'='1", "99999999999999999999999999", "\x00", "x" * 3000):
                query = urlencode(dict.fromkeys(names, value))
                r = browser.get(f"{page.url(values)}?{query}")
                _check(r, f"/{page.route}?{query[:60]} as {user.role}", secrets if user.reseller_id else [])


def test_open_redirects_through_next_are_refused(sworld: World) -> None:
    """``next`` may only point into this site (log-in and the pages that redirect after a POST)."""
    for target in ("https://evil.test/", "//evil.test/", "/\\evil.test", "javascript:alert(1)", "http:evil.test"):
        r = Client().post(
            f"/login/?{urlencode({'next': target})}", {"username": sworld.a.dcs[0].email, "password": PASSWORD}
        )
        assert r.status_code == 302
        location = r.headers["Location"]
        assert "evil.test" not in location and not location.startswith("javascript"), (target, location)


def test_a_nul_character_is_refused_before_anything_is_stored(sworld: World) -> None:
    """PostgreSQL cannot store NUL and SQLite can: the two would disagree, so NUL in a query, a
    JSON body or a form is the client's error on both (422 with a code on the API, 400 on a page)
    and nothing is written; an escaped backslash before ``u0000`` is ordinary text."""
    from caredesk.cases.models import Case, CaseEvent

    api = sworld.client(sworld.a.dcs[0])
    case_id = own_ids(sworld)["case_id"]
    before = (Case.objects.count(), CaseEvent.objects.count())
    refused = [
        api.get("/api/cases?service=a%00b"),
        api.post(f"/api/cases/{case_id}/comments", {"body": "before\x00after"}),
    ]
    for r in refused:
        assert r.status_code == 422 and r.json()["error"]["code"] == "nul_character", r.content
    page = login(sworld.a.dcs[0]).post(f"/cases/{case_id}/actions/comment/", {"body": "a\x00b"})
    assert page.status_code == 400 and b"NUL" in page.content
    assert (Case.objects.count(), CaseEvent.objects.count()) == before
    fine = api.post(f"/api/cases/{case_id}/comments", {"body": "a literal \\u0000 in a log line"})
    assert fine.status_code in (200, 201), fine.content
