"""Enumeration and rate limits (OWASP API4:2023 and API1's "not found, never forbidden"; ASVS 5 V6.3,
V8.4, V2.4).

- Another tenant's id and an id that does not exist get the same answer, byte for byte, on every
  route with an id (generated) and every page with one (walked): nobody learns which ids exist.
- The log-in form answers an unknown user exactly as a wrong password, and locks both out alike.
- A dead token (unknown, revoked, expired, a deactivated user's) is refused with one answer.
- Every route counts against the caller's request budget (generated), 429 with Retry-After; calls
  without a token count per address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from config.api import api as ninja_api
from tests.conftest import ApiClient, World
from tests.security.pages import login, page_id, page_values, site_pages
from tests.security.routes import PROTECTED, body_for, finish, own_ids, route_id, tenant_ids, url_for

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
ID_ROUTES = [r for r in PROTECTED if "{" in r[1]]
ID_PAGES = [p for p in site_pages() if any(name.endswith("_id") for _, name in p.params)]


def _normalised(text: str) -> str:
    """The answer with its per-response CSRF tokens blanked."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "<csrf>", text)


@pytest.mark.parametrize("route", ID_ROUTES, ids=[route_id(r) for r in ID_ROUTES])
def test_another_tenants_id_answers_exactly_like_a_missing_one(sworld: World, route: tuple[str, str]) -> None:
    method, path = route
    foreign = tenant_ids(sworld.b)
    names = re.findall(r"\{(\w+)\}", path)
    missing = dict.fromkeys(names, MISSING)
    body = body_for(method, path, own_ids(sworld))
    for user in (sworld.a.dcs[0],):  # (reseller staff: tests/api/test_isolation_matrix.py)
        client = sworld.client(user)
        theirs = client.request(method, url_for(path, foreign), body)
        nothing = client.request(method, url_for(path, missing), body)
        for r in (theirs, nothing):
            finish(r)
        assert theirs.status_code == nothing.status_code, (
            f"{method} {path} as {user.role}: another tenant's id {theirs.status_code}, a missing id "
            f"{nothing.status_code}"
        )
        assert theirs.content == nothing.content, (method, path, theirs.content[:200], nothing.content[:200])


@pytest.mark.parametrize("page", ID_PAGES, ids=[page_id(p) for p in ID_PAGES])
def test_pages_answer_another_tenants_id_like_a_missing_one(sworld: World, page: Any) -> None:
    foreign = page_values(tenant_ids(sworld.b))
    missing = {name: MISSING for _, name in page.params if name.endswith("_id")}
    browser = login(sworld.a.dcs[0])
    method = browser.get
    theirs, nothing = method(page.url(foreign)), method(page.url({**foreign, **missing}))
    if theirs.status_code == 405:  # a POST-only page: ask it the way its form does
        theirs, nothing = browser.post(page.url(foreign)), browser.post(page.url({**foreign, **missing}))
    assert theirs.status_code == nothing.status_code, (page.route, theirs.status_code, nothing.status_code)
    assert _normalised(theirs.content.decode()) == _normalised(nothing.content.decode())


def test_login_answers_an_unknown_user_like_a_wrong_password(sworld: World) -> None:
    wrong = Client().post("/login/", {"username": sworld.a.dcs[0].email, "password": "not-the-password-1"})
    unknown = Client().post("/login/", {"username": "nobody@alpha.test", "password": "not-the-password-1"})
    assert wrong.status_code == unknown.status_code == 200
    page_wrong = _normalised(wrong.content.decode()).replace(sworld.a.dcs[0].email, "<user>")
    page_unknown = _normalised(unknown.content.decode()).replace("nobody@alpha.test", "<user>")
    assert page_wrong == page_unknown


def test_lock_out_is_the_same_for_unknown_and_known_users(sworld: World) -> None:
    answers = {}
    for who in (sworld.a.dcs[0].email, "nobody@alpha.test"):
        client = Client()
        for _ in range(5):
            client.post("/login/", {"username": who, "password": "not-the-password-1"})
        r = client.post("/login/", {"username": who, "password": "not-the-password-1"})
        answers[who] = (r.status_code, r.content)
    assert len(set(answers.values())) == 1 and next(iter(answers.values()))[0] == 429


def test_every_dead_token_gets_the_same_answer(sworld: World) -> None:
    from caredesk.tenancy import services
    from caredesk.tenancy.models import ApiToken

    dc = sworld.a.dcs[0]
    revoked, revoked_secret = services.token_create(actor=dc, name="revoked")
    services.token_revoke(actor=dc, token_id=revoked.pk)
    expired, expired_secret = services.token_create(actor=dc, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answers = {
        (r.status_code, r.content, r.headers.get("WWW-Authenticate"))
        for r in (
            ApiClient(secret).get("/api/cases")
            for secret in (revoked_secret, expired_secret, "cdk_" + "Z" * 43, "garbage", None)
        )
    }
    assert len(answers) == 1 and next(iter(answers))[0] == 401, answers


@pytest.fixture
def budget() -> Iterator[Any]:
    """The API's request budget, turned down to one request an hour for the test."""
    throttle: Any = ninja_api.throttle[0]  # type: ignore[index]
    old = throttle.rate
    throttle.rate = "1/h"
    try:
        yield throttle
    finally:
        throttle.rate = old


@pytest.mark.parametrize("route", PROTECTED, ids=[route_id(r) for r in PROTECTED])
def test_every_route_counts_against_the_callers_budget(sworld: World, budget: Any, route: tuple[str, str]) -> None:
    method, path = route
    ids = own_ids(sworld)
    client = sworld.client(sworld.agent)
    first = client.request(method, url_for(path, ids), body_for(method, path, ids))
    finish(first)
    assert first.status_code != 429
    second = client.request(method, url_for(path, ids), body_for(method, path, ids))
    assert second.status_code == 429, f"{method} {path} is not rate limited: {second.status_code}"
    assert second.json()["error"]["code"] == "rate_limited" and int(second.headers["Retry-After"]) > 0


def test_failed_tokens_are_budgeted_per_address(sworld: World, settings: Any) -> None:
    """Tokens cannot be guessed at full speed: past CAREDESK_API_FAILED_AUTH_RATE failures an address
    gets 429; a valid token from that address still works; X-Forwarded-For is not believed unless
    NINJA_NUM_PROXIES says which hop to trust."""
    settings.CAREDESK_API_FAILED_AUTH_RATE = "3/m"
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    codes = [
        guesser.get("/api/me", headers={"Authorization": f"Bearer cdk_guess{i}", "X-Forwarded-For": f"10.0.0.{i}"})
        for i in range(5)
    ]
    assert [r.status_code for r in codes] == [401, 401, 401, 429, 429]
    assert codes[3].json()["error"]["code"] == "rate_limited" and int(codes[3].headers["Retry-After"]) > 0
    valid = sworld.tokens[sworld.a.dcs[0].email]
    same_address = Client(REMOTE_ADDR="203.0.113.7").get("/api/me", headers={"Authorization": f"Bearer {valid}"})
    assert same_address.status_code == 200
    other = Client(REMOTE_ADDR="203.0.113.8").get("/api/me", headers={"Authorization": "Bearer cdk_guess"})
    assert other.status_code == 401


def test_the_trusted_proxy_hop_names_the_address(sworld: World, settings: Any) -> None:
    settings.CAREDESK_API_FAILED_AUTH_RATE = "1/m"
    from ninja.conf import settings as ninja_settings

    old = ninja_settings.NUM_PROXIES
    ninja_settings.NUM_PROXIES = 1
    try:
        proxy = Client(REMOTE_ADDR="10.0.0.1")
        bad = {"Authorization": "Bearer cdk_guess"}
        assert proxy.get("/api/me", headers={**bad, "X-Forwarded-For": "198.51.100.1"}).status_code == 401
        assert proxy.get("/api/me", headers={**bad, "X-Forwarded-For": "198.51.100.1"}).status_code == 429
        assert proxy.get("/api/me", headers={**bad, "X-Forwarded-For": "198.51.100.2"}).status_code == 401
    finally:
        ninja_settings.NUM_PROXIES = old
