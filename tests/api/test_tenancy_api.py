"""API contract of the tenancy router: creation by a vendor admin, bad input, the DC rule, tokens."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.tenancy.models import ApiToken, AuditEvent, EndUserAccount, Reseller, Subscription, User
from tests.conftest import ApiClient, World

pytestmark = pytest.mark.django_db


def test_admin_builds_a_reseller_with_accounts_subscriptions_and_users(world: World) -> None:
    api = world.client(world.admin)
    r = api.post("/api/resellers", {"name": "Fabrikam"})
    assert r.status_code == 201, r.content
    reseller = r.json()
    assert reseller["active_designated_contacts"] == 0 and reseller["can_open_cases"] is False
    for i in (1, 2):
        r = api.post(
            "/api/users",
            {
                "email": f"dc{i}@fabrikam.test",
                "name": f"DC {i}",
                "role": "designated_contact",
                "reseller_id": reseller["id"],
                "available_24x7": True,
                "phone": "+1 555 0100",
            },
        )
        assert r.status_code == 201, r.content
    assert api.get(f"/api/resellers/{reseller['id']}").json()["can_open_cases"] is True
    r = api.post(
        "/api/accounts",
        {
            "reseller_id": reseller["id"],
            "name": "Umbrella",
            "department": "Sales",
            "country": "de",
            "calendar": {"timezone": "Europe/Berlin", "holiday_country": "DE"},
            "csm_id": world.csm.pk,
        },
    )
    assert r.status_code == 201, r.content
    account = r.json()
    assert account["country"] == "DE" and account["calendar"]["timezone"] == "Europe/Berlin"
    r = api.post(
        "/api/subscriptions",
        {
            "account_id": account["id"],
            "service": "pureengage_cloud",
            "package": "pure_success",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
            "deployment_timezone": "Europe/Berlin",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["reseller_id"] == reseller["id"]
    kinds = set(AuditEvent.objects.filter(reseller_id=reseller["id"]).values_list("kind", flat=True))
    assert kinds == {"reseller_created", "user_created", "account_created", "subscription_created"}


def _no_change(counts_before: dict[str, int]) -> None:
    assert _counts() == counts_before


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Reseller, User, EndUserAccount, Subscription, ApiToken, AuditEvent)}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"email": "x@y.test", "name": "X", "role": "superhero"}, "role", "unknown role"),
        ({"email": "not-an-email", "name": "X", "role": "care_agent"}, "email", "not a valid e-mail"),
        (
            {"email": "x@y.test", "name": "X", "role": "designated_contact", "reseller_id": 999999},
            "reseller_id",
            "no such reseller",
        ),
        ({"email": "x@y.test", "name": "X", "role": "designated_contact"}, "reseller_id", "must belong to a reseller"),
        (
            {"email": "x@y.test", "name": "X", "role": "care_agent", "timezone": "Mars/Olympus"},
            "timezone",
            "unknown IANA",
        ),
        ({"email": "x@y.test", "name": "X", "role": "care_agent", "password": "123"}, "password", "too short"),
        (
            {"email": "x@y.test", "name": "X", "role": "care_agent", "is_superuser": True},
            "is_superuser",
            "unknown field",
        ),
        ({"name": "X", "role": "care_agent"}, "email", "required"),
    ],
)
def test_bad_user_input_gets_a_field_error_and_creates_nothing(
    world: World, body: dict[str, Any], field: str, fragment: str
) -> None:
    before = _counts()
    r = world.client(world.admin).post("/api/users", body)
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert fragment.lower() in err["fields"][field].lower()
    _no_change(before)


def test_user_input_reports_every_bad_field_at_once(world: World) -> None:
    r = world.client(world.admin).post("/api/users", {"email": "bad", "name": " ", "role": "nope", "timezone": "X/Y"})
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) >= {"email", "name", "role", "timezone"}


def test_duplicate_email_is_refused(world: World) -> None:
    r = world.client(world.admin).post(
        "/api/users", {"email": "AGENT@vendor.test", "name": "Dup", "role": "care_agent"}
    )
    assert r.status_code == 422 and "exists" in r.json()["error"]["fields"]["email"]


def test_bad_account_calendar_is_refused_with_calendar_field_paths(world: World) -> None:
    before = _counts()
    r = world.client(world.admin).post(
        "/api/accounts", {"reseller_id": world.a.reseller.pk, "name": "Bad", "calendar": {"timezone": "Nowhere/City"}}
    )
    assert r.status_code == 422, r.content
    assert any(k.startswith("calendar") for k in r.json()["error"]["fields"])
    _no_change(before)


def test_pureengage_subscription_needs_the_deployment_time_zone(world: World) -> None:
    r = world.client(world.admin).post(
        "/api/subscriptions",
        {
            "account_id": world.a.account.pk,
            "service": "pureengage_cloud",
            "package": "care_for_cloud",
            "term_start": "2028-01-01",
            "term_end": "2028-12-31",
        },
    )
    assert r.status_code == 422 and "deployment" in r.json()["error"]["fields"]["deployment_timezone"]


def test_unknown_service_and_package_and_reversed_term_are_field_errors(world: World) -> None:
    r = world.client(world.admin).post(
        "/api/subscriptions",
        {
            "account_id": world.a.account.pk,
            "service": "fax",
            "package": "gold",
            "term_start": "2028-02-01",
            "term_end": "2028-01-01",
        },
    )
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"service", "package", "term_end"}


@pytest.mark.parametrize("role_attr", ["agent", "manager", "csm"])
def test_vendor_roles_other_than_admin_may_not_create_tenants(world: World, role_attr: str) -> None:
    r = world.client(getattr(world, role_attr)).post("/api/resellers", {"name": "Sneaky"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"


def test_deactivating_a_dc_that_would_leave_one_is_refused(world: World) -> None:
    api = world.client(world.admin)
    dc = world.a.dcs[0]
    r = api.post(f"/api/users/{dc.pk}/deactivate")
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_enough_designated_contacts"
    dc.refresh_from_db()
    assert dc.is_active
    # With a third DC, one may go.
    r = api.post(
        "/api/users",
        {"email": "dc3@alpha.test", "name": "DC3", "role": "designated_contact", "reseller_id": world.a.reseller.pk},
    )
    assert r.status_code == 201
    assert api.post(f"/api/users/{dc.pk}/deactivate").status_code == 200
    assert api.get(f"/api/resellers/{world.a.reseller.pk}").json()["active_designated_contacts"] == 2


def test_demoting_a_dc_to_staff_is_the_same_rule(world: World) -> None:
    r = world.client(world.admin).patch(f"/api/users/{world.a.dcs[1].pk}", {"role": "reseller_staff"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_enough_designated_contacts"


def test_a_user_edits_own_contact_details_but_not_own_role(world: World) -> None:
    dc = world.a.dcs[0]
    api = world.client(dc)
    assert api.patch(f"/api/users/{dc.pk}", {"phone": "+1 646 555 0199"}).json()["phone"] == "+1 646 555 0199"
    r = api.patch(f"/api/users/{dc.pk}", {"role": "designated_contact"})
    assert r.status_code == 200  # unchanged role is no change
    r = api.patch(f"/api/users/{dc.pk}", {"role": "reseller_staff"})
    assert r.status_code == 403


class TestTokenLifecycle:
    def test_token_is_shown_once_stored_as_hash_and_works(self, world: World) -> None:
        api = world.client(world.a.dcs[0])
        r = api.post("/api/tokens", {"name": "ci"})
        assert r.status_code == 201
        secret = r.json()["token"]
        row = ApiToken.objects.get(pk=r.json()["id"])
        assert secret not in (row.digest, row.prefix) and secret.startswith(row.prefix)
        assert not ApiToken.objects.filter(digest__contains=secret).exists()
        listed = api.get("/api/tokens").json()["results"]
        assert all("token" not in t for t in listed) and any(t["id"] == row.pk for t in listed)
        assert ApiClient(secret).get("/api/me").json()["email"] == world.a.dcs[0].email

    def test_revoked_token_stops_working_at_once(self, world: World) -> None:
        api = world.client(world.a.dcs[0])
        created = api.post("/api/tokens", {"name": "short-lived"}).json()
        mine = ApiClient(created["token"])
        assert mine.get("/api/me").status_code == 200
        r = api.delete(f"/api/tokens/{created['id']}")
        assert r.status_code == 200 and r.json()["revoked_at"]
        r = mine.get("/api/me")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"

    def test_unknown_and_missing_tokens_are_401(self, world: World) -> None:
        assert ApiClient("cdk_not-a-real-token").get("/api/me").status_code == 401
        assert ApiClient(None).get("/api/me").status_code == 401

    def test_admin_mints_a_token_for_any_user_others_cannot(self, world: World) -> None:
        dc_b = world.b.dcs[0]
        r = world.client(world.admin).post("/api/tokens", {"name": "for-b", "user_id": dc_b.pk})
        assert r.status_code == 201 and r.json()["user_id"] == dc_b.pk
        assert ApiClient(r.json()["token"]).get("/api/me").json()["email"] == dc_b.email
        r = world.client(world.a.dcs[0]).post("/api/tokens", {"name": "steal", "user_id": dc_b.pk})
        assert r.status_code == 403

    def test_deactivated_users_tokens_stop_working(self, world: World) -> None:
        api = world.client(world.admin)
        api.post(
            "/api/users",
            {
                "email": "dc3@alpha.test",
                "name": "DC3",
                "role": "designated_contact",
                "reseller_id": world.a.reseller.pk,
            },
        )
        dc = world.a.dcs[1]
        assert api.post(f"/api/users/{dc.pk}/deactivate").status_code == 200
        assert world.client(dc).get("/api/me").status_code == 401

    def test_expired_token_is_refused_and_past_expiry_cannot_be_set(self, world: World) -> None:
        r = world.client(world.agent).post("/api/tokens", {"name": "old", "expires_at": "2020-01-01T00:00:00Z"})
        assert r.status_code == 422 and "future" in r.json()["error"]["fields"]["expires_at"]
        token = ApiToken.objects.filter(user=world.agent).first()
        assert token is not None
        from django.utils import timezone

        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
        assert world.client(world.agent).get("/api/me").status_code == 401


def test_lists_are_cursor_paginated(world: World) -> None:
    api = world.client(world.admin)
    page = api.get("/api/users?page_size=3").json()
    assert len(page["results"]) == 3 and page["next"]
    cursor = page["next"].split("cursor=")[1]
    page2 = api.get(f"/api/users?page_size=3&cursor={cursor}").json()
    assert {u["id"] for u in page["results"]}.isdisjoint({u["id"] for u in page2["results"]})


def test_openapi_and_docs_are_served(world: World) -> None:
    schema = ApiClient(None).get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/resellers" in schema.json()["paths"]
    assert ApiClient(None).get("/api/docs").status_code == 200
    # Built once per process; every caller gets its own copy, so one caller's change reaches no other.
    from config.api import api

    mine = api.get_openapi_schema(path_prefix="/api/")
    mine["paths"].clear()
    assert ApiClient(None).get("/api/openapi.json").json() == schema.json()
    assert api.get_openapi_schema(path_prefix="/api/")["paths"].keys() == schema.json()["paths"].keys()
