"""Personas for every test that needs a database: built by factories through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.test import Client

from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy import services
from caredesk.tenancy.models import EndUserAccount, Reseller, Subscription, User

PASSWORD = "correct-horse-battery-9"


@dataclass
class Tenant:
    reseller: Reseller
    dcs: list[User]
    staff: User
    account: EndUserAccount
    subscriptions: list[Subscription]
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    admin: User
    agent: User
    manager: User
    csm: User
    a: Tenant
    b: Tenant
    tokens: dict[str, str]

    def client(self, user: User) -> ApiClient:
        return ApiClient(self.tokens[user.email])


class ApiClient:
    """A real HTTP-level client (the whole middleware stack) that carries a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("POST", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.request("PATCH", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.request("DELETE", path, **headers)


def make_admin(email: str = "root@vendor.test") -> User:
    founder = User(email="founder@caredesk.invalid", name="founder", role=Role.VENDOR_ADMIN.value)
    return services.user_create(actor=founder, email=email, name="Root Admin", role="vendor_admin", password=PASSWORD)


def make_tenant(admin: User, label: str, csm: User | None) -> Tenant:
    reseller = services.reseller_create(actor=admin, name=f"Reseller {label}")
    dcs = [
        services.user_create(
            actor=admin,
            email=f"dc{i}@{label.lower()}.test",
            name=f"DC{i} {label}",
            role="designated_contact",
            reseller_id=reseller.pk,
            password=PASSWORD,
            available_24x7=(i == 1),
            phone=f"+1 212 555 01{i:02d}",
        )
        for i in (1, 2)
    ]
    staff = services.user_create(
        actor=admin,
        email=f"staff@{label.lower()}.test",
        name=f"Staff {label}",
        role="reseller_staff",
        reseller_id=reseller.pk,
        password=PASSWORD,
    )
    account = services.account_create(
        actor=admin,
        reseller_id=reseller.pk,
        name=f"Account {label}",
        department="Contact Centre",
        country="US",
        calendar={"timezone": "America/New_York", "holiday_country": "US"},
        csm_id=csm.pk if csm else None,
    )
    subs = [
        services.subscription_create(
            actor=admin,
            account_id=account.pk,
            service="pureengage_cloud",
            package="care_for_cloud",
            term_start=date(2026, 1, 1),
            term_end=date(2027, 12, 31),
            deployment_timezone="America/New_York",
        ),
        services.subscription_create(
            actor=admin,
            account_id=account.pk,
            service="premier_edition",
            package="business_care_for_cloud",
            term_start=date(2026, 1, 1),
            term_end=date(2027, 12, 31),
        ),
    ]
    return Tenant(reseller=reseller, dcs=dcs, staff=staff, account=account, subscriptions=subs)


@pytest.fixture
def world(db: Any) -> World:
    admin = make_admin()
    agent = services.user_create(
        actor=admin, email="agent@vendor.test", name="Agent", role="care_agent", password=PASSWORD
    )
    manager = services.user_create(
        actor=admin, email="manager@vendor.test", name="Manager", role="care_manager", password=PASSWORD
    )
    csm = services.user_create(actor=admin, email="csm@vendor.test", name="CSM", role="csm", password=PASSWORD)
    a = make_tenant(admin, "Alpha", csm)
    b = make_tenant(admin, "Zephyrine", None)
    tokens = {}
    for user in [admin, agent, manager, csm, *a.dcs, a.staff, *b.dcs, b.staff]:
        _, secret = services.token_create(actor=user, name="test")
        tokens[user.email] = secret
    return World(admin=admin, agent=agent, manager=manager, csm=csm, a=a, b=b, tokens=tokens)
