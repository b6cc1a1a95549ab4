"""API tokens (ASVS 5 V7.4, V9; OWASP API2:2023): revocation takes effect at once, on every route.

Generated over the OpenAPI route list: a fresh token is accepted by the route (anything but 401),
is revoked through the API, and the very next identical request is 401; a revoked, an expired and
a deactivated user's token are refused by every route, and no answer to them carries data. Tokens
are checked on every request (no cache), so there is no window after revocation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caredesk.tenancy import services
from caredesk.tenancy.models import ApiToken
from tests.conftest import ApiClient, World
from tests.security.routes import PROTECTED, body_for, finish, own_ids, route_id, url_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dead_tokens(sworld: World) -> Iterator[dict[str, str]]:
    """A revoked, an expired and a deactivated user's token (built in the module's transaction)."""
    dc = sworld.a.dcs[0]
    revoked, revoked_secret = services.token_create(actor=dc, name="revoked")
    services.token_revoke(actor=dc, token_id=revoked.pk)
    expired, expired_secret = services.token_create(actor=dc, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    leaver = services.user_create(
        actor=sworld.admin,
        email="leaver@alpha.test",
        name="Leaver",
        role="designated_contact",
        reseller_id=sworld.a.reseller.pk,
        password="a-Strong-passw0rd-1",
    )
    _, leaver_secret = services.token_create(actor=leaver, name="old laptop")
    services.user_deactivate(actor=sworld.admin, user_id=leaver.pk)
    yield {
        "revoked": revoked_secret,
        "expired": expired_secret,
        "deactivated user": leaver_secret,
        "unknown": "cdk_" + "A" * 43,
        "malformed": "not-a-token",
    }


def _call(client: ApiClient, method: str, path: str, ids: dict[str, int]) -> Any:
    response = client.request(method, url_for(path, ids), body_for(method, path, ids))
    return finish(response)


@pytest.mark.parametrize("route", PROTECTED, ids=[route_id(r) for r in PROTECTED])
def test_revocation_takes_effect_on_the_next_request(
    sworld: World, dead_tokens: dict[str, str], route: tuple[str, str]
) -> None:
    method, path = route
    ids = own_ids(sworld)
    dc = sworld.a.dcs[0]
    token, secret = services.token_create(actor=dc, name=f"probe {method} {path}")
    client = ApiClient(secret)
    before = _call(client, method, path, ids)
    assert before.status_code != 401, f"a fresh token was refused by {method} {path}"
    services.token_revoke(actor=dc, token_id=token.pk)
    after = _call(client, method, path, ids)
    assert after.status_code == 401, f"{method} {path} still answered {after.status_code} after revocation"
    assert after.json()["error"]["code"] == "unauthenticated"
    assert after.headers["WWW-Authenticate"] == "Bearer"
    # Every kind of dead token, one per route in turn (they share one code path: ninja's auth).
    kinds = sorted(dead_tokens)
    kind = kinds[PROTECTED.index(route) % len(kinds)]
    r = _call(ApiClient(dead_tokens[kind]), method, path, ids)
    assert r.status_code == 401, f"{method} {path} accepted a {kind} token: {r.status_code}"
    assert set(r.json()) == {"error"}


def test_every_kind_of_dead_token_is_refused(sworld: World, dead_tokens: dict[str, str]) -> None:
    for kind, secret in dead_tokens.items():
        r = ApiClient(secret).get("/api/me")
        assert r.status_code == 401, kind


def test_revoking_through_the_api_takes_effect_at_once(sworld: World) -> None:
    dc = sworld.a.dcs[0]
    token, secret = services.token_create(actor=dc, name="to revoke")
    assert ApiClient(secret).get("/api/cases").status_code == 200
    assert sworld.client(dc).delete(f"/api/tokens/{token.pk}").status_code == 200
    assert ApiClient(secret).get("/api/cases").status_code == 401


def test_an_idempotent_replay_is_not_served_to_a_revoked_token(sworld: World) -> None:
    """The Idempotency-Key store keeps answers; a revoked token must not get one replayed."""
    dc = sworld.a.dcs[0]
    token, secret = services.token_create(actor=dc, name="retrying client")
    client = ApiClient(secret)
    body = {"service": "premier_edition", "title": "Replay me", "description": "x"}
    first = client.post("/api/feature-requests", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert client.post("/api/feature-requests", body, HTTP_IDEMPOTENCY_KEY="k-1").headers["Idempotent-Replayed"]
    services.token_revoke(actor=dc, token_id=token.pk)
    again = client.post("/api/feature-requests", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 401 and "Replay me" not in again.content.decode()


def test_another_users_idempotency_key_replays_nothing(sworld: World) -> None:
    """Keys are per user: the same key from another user runs (or is refused) on its own."""
    body = {"service": "premier_edition", "title": "Mine", "description": "x"}
    first = sworld.client(sworld.a.dcs[0]).post("/api/feature-requests", body, HTTP_IDEMPOTENCY_KEY="shared")
    other = sworld.client(sworld.b.dcs[0]).post("/api/feature-requests", body, HTTP_IDEMPOTENCY_KEY="shared")
    assert first.status_code == 201 and other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers and other.json()["id"] != first.json()["id"]


def test_tokens_are_stored_as_hashes_only(sworld: World) -> None:
    secret = sworld.tokens[sworld.a.dcs[0].email]
    for row in ApiToken.objects.values():
        assert secret not in {str(v) for v in row.values()}


SECRET_MINTS = [
    ("/api/tokens", {"name": "ci"}, "token"),
    ("/api/webhooks", {"url": "https://93.184.215.14/hook", "event_types": ["*"]}, "secret"),
    ("/api/maintenance/feeds", {}, "url"),
]


@pytest.mark.parametrize(("path", "body", "field"), SECRET_MINTS, ids=[p for p, _, _ in SECRET_MINTS])
def test_a_secret_shown_once_is_never_stored_even_for_a_retry(
    sworld: World, path: str, body: dict[str, Any], field: str
) -> None:
    """An Idempotency-Key retry must not be served from a stored copy of a secret: the answer says
    no-store, the key's record keeps a 409 instead, and still only one thing was created."""
    from caredesk.cases.models import IdempotencyRecord

    client = sworld.client(sworld.a.dcs[0])
    first = client.post(path, body, HTTP_IDEMPOTENCY_KEY=f"mint {path}")
    assert first.status_code == 201, first.content
    secret = str(first.json()[field])
    assert first.headers["Cache-Control"] == "no-store"
    retry = client.post(path, body, HTTP_IDEMPOTENCY_KEY=f"mint {path}")
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "idempotency_secret_not_kept"
    assert secret.split("/")[-1].removesuffix(".ics") not in retry.content.decode()
    for row in IdempotencyRecord.objects.all():
        assert secret.split("/")[-1].removesuffix(".ics").encode() not in bytes(row.body or b"")
    # Answers without a secret are still replayed whole.
    r1 = client.post(
        "/api/feature-requests",
        {"service": "premier_edition", "title": "t", "description": "d"},
        HTTP_IDEMPOTENCY_KEY="plain",
    )
    r2 = client.post(
        "/api/feature-requests",
        {"service": "premier_edition", "title": "t", "description": "d"},
        HTTP_IDEMPOTENCY_KEY="plain",
    )
    assert r2.headers["Idempotent-Replayed"] == "true" and r2.content == r1.content
