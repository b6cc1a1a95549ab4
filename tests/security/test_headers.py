"""Browser hardening headers on every page and API answer (ASVS 5 V3.4): a strict CSP without
inline script or style, no framing, no MIME sniffing, no referrer leaking ids to other sites, and
no caching of pages that show tenant data. Walked from the URL resolver and the OpenAPI route list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.security.pages import login, page_values, site_pages
from tests.security.routes import GET_ROUTES, finish, own_ids, url_for

pytestmark = pytest.mark.django_db


def _html_pages(sworld: World) -> list[tuple[str, Any]]:
    values = page_values(own_ids(sworld))
    out = []
    browser = login(sworld.a.dcs[0])
    agent = login(sworld.agent)
    for page in site_pages():
        if page.route.startswith(("logout", "health")):
            continue
        for client in (browser, agent):
            r = client.get(page.url(values))
            if r.streaming:
                finish(r)
                continue
            if r.status_code == 200 and "html" in r.headers.get("Content-Type", ""):
                out.append((page.url(values), r))
    return out


def test_every_page_sends_a_strict_csp_and_the_hardening_headers(sworld: World) -> None:
    pages = _html_pages(sworld)
    assert len(pages) >= 10, [u for u, _ in pages]
    for url, r in pages:
        csp = r.headers.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (url, csp)
        assert directives.get("script-src") == "'self'", (url, csp)
        assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", (url, csp)
        assert directives.get("base-uri") == "'none'" and directives.get("form-action") == "'self'", (url, csp)
        assert r.headers.get("X-Frame-Options") == "DENY", url
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
        assert r.headers.get("Referrer-Policy") == "same-origin", url
        assert "<script>" not in r.content.decode() and " on" + "click=" not in r.content.decode(), url


def test_pages_with_tenant_data_are_not_cached(sworld: World) -> None:
    for url, r in _html_pages(sworld):
        if url.startswith("/login"):
            continue
        cache = r.headers.get("Cache-Control", "")
        assert "no-store" in cache or "private" in cache, f"{url} may be cached: {cache!r}"


def test_api_answers_are_json_with_nosniff(sworld: World) -> None:
    api = sworld.client(sworld.a.dcs[0])
    ids = own_ids(sworld)
    for _, path in GET_ROUTES:
        r = api.get(url_for(path, ids))
        if r.streaming:
            finish(r)
            continue
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
        assert r.headers["Content-Type"].split(";")[0] in ("application/json", "application/pdf", "text/csv"), (
            path,
            r.headers["Content-Type"],
        )
