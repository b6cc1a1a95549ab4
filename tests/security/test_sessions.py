"""Browser sessions (ASVS 5 V7): fixation, expiry, log-out, and what ends a session early.

tests/portal/test_login.py already checks that the session key changes at log-in, the cookie's
HttpOnly/SameSite flags, argon2 and the log-in lock-out; these add the attacker-planted cookie,
server-side expiry, log-out that kills the old cookie, deactivation and password change, and the
Django admin being closed to everyone but vendor admins.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from caredesk.tenancy.models import User
from tests.conftest import World
from tests.security.pages import login_by_form

pytestmark = pytest.mark.django_db


def _is_logged_in(client: Client) -> bool:
    r = client.get("/profile/")
    return r.status_code == 200


def test_a_session_id_planted_before_login_is_not_the_one_after(sworld: World) -> None:
    client = Client()
    planted = "attackerchosen0123456789abcdefgh"
    client.cookies["sessionid"] = planted
    login_by_form(sworld.a.dcs[0], client)
    assert client.cookies["sessionid"].value != planted
    assert not Session.objects.filter(session_key=planted).exists()


def test_sessions_expire_on_the_server_within_eight_hours(sworld: World) -> None:
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    client = login_by_form(sworld.a.dcs[0])
    assert _is_logged_in(client)
    key = client.cookies["sessionid"].value
    row = Session.objects.get(session_key=key)
    assert row.expire_date <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 5)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not _is_logged_in(client), "an expired session still opened a page"


def test_logout_invalidates_the_session_on_the_server(sworld: World) -> None:
    client = login_by_form(sworld.a.dcs[0])
    stolen = client.cookies["sessionid"].value
    r = client.post("/logout/")
    assert r.status_code in (200, 302)
    assert not Session.objects.filter(session_key=stolen).exists()
    replay = Client()
    replay.cookies["sessionid"] = stolen
    assert not _is_logged_in(replay), "the cookie from before log-out still works"


def test_logout_is_post_only(sworld: World) -> None:
    """A GET (an <img src=/logout/>) does not log anyone out."""
    client = login_by_form(sworld.a.dcs[0])
    client.get("/logout/")
    assert _is_logged_in(client)


def test_deactivating_a_user_ends_their_sessions_and_tokens_at_once(sworld: World) -> None:
    dc = sworld.a.dcs[1]
    from caredesk.tenancy import services

    # Tenant A needs two active DCs; a third lets the second go.
    services.user_create(
        actor=sworld.admin,
        email="dc3@alpha.test",
        name="DC3 Alpha",
        role="designated_contact",
        reseller_id=sworld.a.reseller.pk,
        password="a-Strong-passw0rd-1",
    )
    browser = login_by_form(dc)
    api = sworld.client(dc)
    assert _is_logged_in(browser) and api.get("/api/me").status_code == 200
    r = sworld.client(sworld.admin).post(f"/api/users/{dc.pk}/deactivate")
    assert r.status_code == 200, r.content
    assert not _is_logged_in(browser)
    assert api.get("/api/me").status_code == 401


def test_a_password_change_ends_the_other_sessions(sworld: World) -> None:
    dc = sworld.a.dcs[0]
    browser = login_by_form(dc)
    assert _is_logged_in(browser)
    user = User.objects.get(pk=dc.pk)
    user.set_password("a-brand-new-passw0rd")
    user.save()
    assert not _is_logged_in(browser), "a session from before the password change still works"


@pytest.mark.parametrize("who", ["dc", "staff", "agent", "csm"])
def test_only_vendor_admins_reach_the_django_admin(sworld: World, who: str) -> None:
    user = {"dc": sworld.a.dcs[0], "staff": sworld.a.staff, "agent": sworld.agent, "csm": sworld.csm}[who]
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    r = client.get("/admin/tenancy/user/")
    assert r.status_code == 302 and "/admin/login/" in r.headers["Location"], r.status_code


def test_no_reseller_side_user_is_django_staff(sworld: World) -> None:
    assert not User.objects.filter(reseller__isnull=False, is_staff=True).exists()
    assert not User.objects.filter(reseller__isnull=False, is_superuser=True).exists()


def test_a_vendor_admin_moved_to_another_role_loses_the_django_admin_at_once(sworld: World) -> None:
    from caredesk.tenancy import services

    second = services.user_create(
        actor=sworld.admin, email="admin2@vendor.test", name="Admin Two", role="vendor_admin", password=None
    )
    client = Client()
    client.force_login(second, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/tenancy/user/").status_code == 200
    r = sworld.client(sworld.admin).patch(f"/api/users/{second.pk}", {"role": "care_agent"})
    assert r.status_code == 200, r.content
    moved = User.objects.get(pk=second.pk)
    assert not moved.is_staff and not moved.is_superuser
    assert client.get("/admin/tenancy/user/").status_code == 302
