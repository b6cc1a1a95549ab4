"""Web log-in: Django sessions with CSRF, argon2 hashes, and log-in throttling (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from caredesk.tenancy.models import User
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_dc_and_agent_log_in_and_see_their_own_tenant(world: World) -> None:
    client = Client()
    r = client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    home = client.get("/").content.decode()
    assert world.a.account.name in home and world.b.account.name not in home and world.b.reseller.name not in home

    agent = Client()
    agent.post("/login/", {"username": world.agent.email, "password": PASSWORD})
    page = agent.get("/").content.decode()
    assert world.a.account.name in page and world.b.account.name in page


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(world: World) -> None:
    r = Client().post("/login/", {"username": world.a.dcs[0].email, "password": "nope-nope-nope"})
    assert r.status_code == 200 and b"match. Please try again" in r.content


def test_login_form_requires_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    r = client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD})
    assert r.status_code == 403
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    r = client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert r.status_code == 302


def test_repeated_failures_lock_the_login_out(world: World) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": world.a.dcs[0].email, "password": "wrong-password-x"})
    r = client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


def test_session_cookie_is_http_only_and_expires(world: World) -> None:
    client = Client()
    client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.session.get_expire_at_browser_close()


def test_session_id_changes_at_login(world: World) -> None:
    client = Client()
    client.get("/login/")
    client.session["probe"] = 1
    before = client.session.session_key
    client.post("/login/", {"username": world.a.dcs[0].email, "password": PASSWORD})
    assert client.session.session_key != before


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2(world: World) -> None:
    user = User.objects.get(pk=world.a.staff.pk)
    user.set_password("a-fresh-password-42")
    user.save()
    assert user.password.startswith("argon2$")


def test_pages_need_a_login_and_send_a_strict_csp(world: World) -> None:
    r = Client().get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login/")
    csp = Client().get("/login/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_tokens_page_mints_a_token_shown_once_and_revokes_it(world: World) -> None:
    client = Client()
    client.post("/login/", {"username": world.a.dcs[1].email, "password": PASSWORD})
    r = client.post("/tokens/", {"name": "laptop"})
    body = r.content.decode()
    assert "cdk_" in body and "laptop" in body
    token_id = world.a.dcs[1].api_tokens.get(name="laptop").pk
    again = client.get("/tokens/").content.decode()
    secret = body.split("<code>")[1].split("</code>")[0]
    assert secret not in again
    client.post(f"/tokens/{token_id}/revoke/")
    assert world.a.dcs[1].api_tokens.get(pk=token_id).revoked_at is not None


def test_health_endpoint_answers(db: None) -> None:
    r = Client().get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
