"""CSRF (ASVS 5 V3.5.1): every page outside /api, walked from the URL resolver, refuses a POST that
carries no CSRF token, for a logged-in user and for an anonymous visitor; the same POST with the
token gets past the check (so the refusal is the token's, not the route's). The API takes bearer
tokens only and never a session cookie, so a browser cannot be tricked into an API write."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World
from tests.security.pages import Page, login, page_id, page_values, site_pages
from tests.security.routes import own_ids

pytestmark = pytest.mark.django_db

PAGES = site_pages()
# Pages that may take a POST without a token, with the reason. None today.
EXEMPT: dict[str, str] = {}


def _csrf_refused(response: object) -> bool:
    content = getattr(response, "content", b"")
    return getattr(response, "status_code", 0) == 403 and b"CSRF" in content


@pytest.mark.parametrize("page", PAGES, ids=[page_id(p) for p in PAGES])
def test_every_page_refuses_a_post_without_the_token(sworld: World, page: Page) -> None:
    if page.route in EXEMPT:
        pytest.skip(EXEMPT[page.route])
    url = page.url(page_values(own_ids(sworld)))
    for client in (login(sworld.a.dcs[0], enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
        r = client.post(url, {"name": "x", "body": "x"})
        assert _csrf_refused(r), f"POST {url} without a CSRF token answered {r.status_code}"


def test_a_post_with_the_token_passes_the_check(sworld: World) -> None:
    """The refusal above is the token's: the same client with the token is let through."""
    client = login(sworld.a.dcs[0], enforce_csrf_checks=True)
    client.get("/tokens/")
    token = client.cookies["csrftoken"].value
    r = client.post("/tokens/", {"name": "laptop", "csrfmiddlewaretoken": token})
    assert r.status_code == 200 and b"cdk_" in r.content
    r = client.post("/tokens/", {"name": "laptop"}, headers={"X-CSRFToken": "forged" * 6})
    assert _csrf_refused(r)


def test_the_walk_covers_the_pages_that_write() -> None:
    routes = {p.route for p in PAGES}
    assert {"login/", "logout/", "tokens/", "cases/new/", "console/assign/"} <= routes, routes


def test_the_api_never_accepts_a_session_cookie(sworld: World) -> None:
    """A logged-in browser calling the API without a bearer token is anonymous there: 401."""
    browser = login(sworld.admin)
    assert browser.get("/").status_code == 200
    for method, path in (("GET", "/api/me"), ("POST", "/api/resellers"), ("GET", "/api/cases")):
        r = browser.generic(method, path, b'{"name": "x"}', content_type="application/json")
        assert r.status_code == 401, (method, path, r.status_code)


def test_the_admin_login_needs_the_token_too(sworld: World) -> None:
    r = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": sworld.admin.email, "password": "x"})
    assert _csrf_refused(r)
