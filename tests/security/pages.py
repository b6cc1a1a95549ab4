"""The web pages outside /api, walked from Django's URL resolver, so a page added tomorrow is probed
by the CSRF, XSS and header tests without anyone remembering to list it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from caredesk.tenancy.models import User
from tests.conftest import PASSWORD


@dataclass(frozen=True)
class Page:
    route: str  # e.g. "cases/<int:case_id>/"
    name: str  # "portal:case_detail"
    view: Callable[..., Any]

    @property
    def params(self) -> list[tuple[str, str]]:
        return re.findall(r"<(?:(\w+):)?(\w+)>", self.route)

    def url(self, values: dict[str, Any]) -> str:
        def sub(match: re.Match[str]) -> str:
            return str(values.get(match.group(2), "1"))

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, self.route)


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Page]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield Page(prefix + str(p.pattern), f"{namespace}:{p.name}" if namespace else str(p.name), p.callback)


def site_pages() -> list[Page]:
    """Every URL pattern except the API (bearer tokens, no cookies) and Django's admin (its own
    CSRF-protected forms, vendor admins only)."""
    return [
        page
        for page in _walk(get_resolver().url_patterns)
        if not page.route.startswith(("api/", "admin/")) and not page.route.startswith("^")
    ]


def page_id(page: Page) -> str:
    return "/" + page.route


def login(user: User, **client_kwargs: Any) -> Client:
    """A browser session of ``user`` (force_login: the log-in form itself is tested elsewhere)."""
    client = Client(**client_kwargs)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def login_by_form(user: User, client: Client | None = None) -> Client:
    """Log in through the real form (django-axes, session rotation), as a browser does."""
    client = client or Client()
    r = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert r.status_code == 302, r.content[:300]
    return client


def page_values(ids: dict[str, int]) -> dict[str, Any]:
    """Values for every path parameter the pages use: ids by name, plus the non-id ones."""
    values: dict[str, Any] = dict(ids)
    values.setdefault("feature_request_id", ids.get("feature_request_id", 1))
    values.setdefault("csm_request_id", ids.get("request_id", 1))
    values.setdefault("action", "comment")
    values.setdefault("secret", "cdf_not-a-real-secret")
    return values
