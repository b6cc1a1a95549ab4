"""Personas for every test that needs a database: built by factories through the real services."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy import services
from caredesk.tenancy.models import EndUserAccount, Reseller, Subscription, User

PASSWORD = "correct-horse-battery-9"
# Subscriptions cover the fixed dates tests use and stay current whenever the suite runs.
TERM_START = min(date(2026, 1, 1), date.today() - timedelta(days=365))
TERM_END = max(date(2027, 12, 31), date.today() + timedelta(days=730))
MULTIPART = "__multipart__"  # a body given as {MULTIPART: {...}} is sent as multipart/form-data


@dataclass
class Tenant:
    reseller: Reseller
    dcs: list[User]
    staff: User
    account: EndUserAccount
    subscriptions: list[Subscription]
    tokens: dict[str, str] = field(default_factory=dict)
    extra_ids: dict[str, int] = field(default_factory=dict)


# The modules that take longest (``--durations=0`` of the PostgreSQL pass, docs/performance.md "Test
# suite"), run first: xdist hands tests out in collection order, so a long module collected last
# would leave one worker running it alone while the other has nothing left to do.
SLOW_FIRST = (
    "tests/security/test_schemathesis.py",
    "tests/integration/test_replay_equivalence.py",
    "tests/e2e/",
    "tests/integration/notifications/test_crash.py",
    "tests/integration/resilience/",
    "tests/api/test_isolation_matrix.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)), len(SLOW_FIRST))

    items.sort(key=rank)  # stable: every module keeps its own order, and its tests stay together


def case_payload(account: EndUserAccount, **overrides: Any) -> dict[str, Any]:
    """Every field of a valid intake (DOMAIN.md "Intake"), for the account's PureEngage Cloud."""
    payload: dict[str, Any] = {
        "kind": "incident",
        "account_id": account.pk,
        "department": "Contact Centre",
        "service": "pureengage_cloud",
        "severity": 2,
        "title": f"Agents of {account.name} cannot log in",
        "users_affected": 40,
        "frequency": "intermittent",
        "first_observed_at": "2026-11-02T08:30:00-05:00",
        "business_impact": "Inbound queue unstaffed; customers wait over 10 minutes.",
        "steps_to_reproduce": "Log in as any agent from the Chicago site; the desktop times out.",
        "local_contact": "Pat Doe, +1 312 555 0188, pat@example.com",
        "impacted_working_hours": "Mon-Fri 08:00-18:00",
        "impacted_timezone": "America/Chicago",
        "level1": {
            "help_consulted": True,
            "user_guide_faq_consulted": True,
            "service_advisories_checked": True,
            "problem_reproduced": True,
            "third_party_cause_ruled_out": True,
        },
        "additional_details": {"campaign_name": "Winter renewals"},
    }
    payload.update(overrides)
    return payload


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
        # Headers may be given as HTTP_IF_MATCH=... (WSGI style) or under their own names.
        named = {k[5:].replace("_", "-").title() if k.startswith("HTTP_") else k: v for k, v in headers.items()}
        kwargs: dict[str, Any] = {"headers": {**self.headers, **named}}
        if isinstance(body, dict) and MULTIPART in body:
            kwargs.update(data=body[MULTIPART])
        elif body is not None:
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
            term_start=TERM_START,
            term_end=TERM_END,
            deployment_timezone="America/New_York",
        ),
        services.subscription_create(
            actor=admin,
            account_id=account.pk,
            service="premier_edition",
            package="business_care_for_cloud",
            term_start=TERM_START,
            term_end=TERM_END,
        ),
    ]
    return Tenant(reseller=reseller, dcs=dcs, staff=staff, account=account, subscriptions=subs)


def build_world() -> World:
    """The personas: a vendor admin, agent, manager and CSM; tenants A and B (two DCs, staff, an
    account with two subscriptions); one of each case-side object of B; a token per user."""
    admin = make_admin()
    agent = services.user_create(
        actor=admin, email="agent@vendor.test", name="Agent", role="care_agent", password=PASSWORD
    )
    manager = services.user_create(
        actor=admin, email="manager@vendor.test", name="Manager", role="care_manager", password=PASSWORD
    )
    csm = services.user_create(actor=admin, email="csm@vendor.test", name="CSM", role="csm", password=PASSWORD)
    a = make_tenant(admin, "Alpha", csm)
    b = make_tenant(admin, "Zephyrine", csm)
    _tenant_objects(b)
    tokens = {}
    for user in [admin, agent, manager, csm, *a.dcs, a.staff, *b.dcs, b.staff]:
        _, secret = services.token_create(actor=user, name="test")
        tokens[user.email] = secret
    return World(admin=admin, agent=agent, manager=manager, csm=csm, a=a, b=b, tokens=tokens)


@pytest.fixture(scope="module")
def world_extras() -> Callable[[World], None] | None:
    """What a test directory adds to every world it gets (tests/api and tests/portal: B's
    maintenance and knowledge objects). Module-scoped, so it is built into the shared world."""
    return None


def _transactional(module: Any) -> bool:
    marks = getattr(module, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    return any(m.name == "django_db" and m.kwargs.get("transaction") for m in marks)


@contextlib.contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """An outer transaction for objects shared by a module's tests, rolled back when it ends (each
    test's own ``django_db`` savepoint nests inside it)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _module_world(
    request: pytest.FixtureRequest,
    django_db_setup: Any,
    django_db_blocker: Any,
    world_extras: Callable[[World], None] | None,
) -> Iterator[World | None]:
    """The world is built once per test module inside an outer transaction that is rolled back when
    the module ends, as Django's ``TestCase.setUpTestData`` does: every test still runs in its own
    savepoint (``django_db``), so what a test writes is undone before the next one. Building it for
    every test cost about a quarter of a second each, a third of the suite's time. A module of
    transactional tests (``django_db(transaction=True)``) commits for real and gets a fresh world
    per test instead."""
    if _transactional(request.module):
        yield None
        return
    with rolled_back(django_db_blocker):
        world = build_world()
        if world_extras is not None:
            world_extras(world)
        yield world


@pytest.fixture
def world(_module_world: World | None, db: Any, world_extras: Callable[[World], None] | None) -> Iterator[World]:
    """The module's world, as a private copy: a test may change the objects it holds (their rows
    are rolled back after the test; the copy keeps the next test's objects as built)."""
    if _module_world is None:
        world = build_world()
        if world_extras is not None:
            world_extras(world)
        yield world
        return
    yield copy.deepcopy(_module_world)
    if connection.connection is None:
        pytest.fail(
            "this test closed the database connection, and with it the transaction that holds the "
            "module's world: read a streamed response to its end instead of calling close() (the "
            "request_finished signal closes connections)"
        )


def _tenant_objects(t: Tenant) -> None:
    """One of each case-side object for a tenant, so the isolation matrix has something to probe."""
    from datetime import datetime as dt

    from caredesk.cases import requests_services
    from caredesk.cases import services as case_services

    payload = case_payload(t.account)
    payload["first_observed_at"] = dt.fromisoformat(payload["first_observed_at"])
    case = case_services.case_open(actor=t.dcs[0], payload=payload)
    proposal = case_services.severity_propose(actor=t.dcs[0], case_id=case.pk, severity=3, reason="less urgent now")
    fr = requests_services.feature_request_submit(
        actor=t.dcs[0], service="premier_edition", title="Dark mode", description="Agents work nights."
    )
    macd = requests_services.macd_submit(
        actor=t.dcs[0],
        account_id=t.account.pk,
        service="premier_edition",
        title="Add 5 agents",
        description="New hires start Monday.",
        local_contact="Pat",
    )
    assert macd.csm_request is not None
    from caredesk.cases.attachments import attachment_upload

    attachment = attachment_upload(
        actor=t.dcs[0], case_id=case.pk, filename="tserver.log", data=b"2026-11-02 08:30:01 INFO link up\n"
    )
    post_mortem_id, incident_report_id = _post_incident_objects(t)
    t.extra_ids.update(
        post_mortem_id=post_mortem_id,
        incident_report_id=incident_report_id,
        attachment_id=attachment.pk,
        case_id=case.pk,
        proposal_id=proposal.pk,
        feature_request_id=fr.pk,
        request_id=macd.csm_request.pk,
        assignee_id=0,
        on_behalf_of_id=t.dcs[0].pk,
        available_contact_id=t.dcs[0].pk,
    )
    t.extra_ids.update(_notification_objects(t))


def _notification_objects(t: Tenant) -> dict[str, int]:
    """A webhook of the tenant and one delivery to it (never attempted: on_commit does not run here)."""
    from caredesk.notifications import services as notification_services
    from caredesk.notifications import webhook_services
    from caredesk.notifications.models import WebhookDelivery

    endpoint, _ = webhook_services.webhook_create(
        actor=t.dcs[0], url="http://127.0.0.1:9/caredesk", event_types=["*"], description=f"{t.reseller.name} PSA"
    )
    notification_services.notification_enqueue(
        event_kind="isolation_probe",
        recipients=[],
        subject="probe",
        body="probe",
        context={},
        dedupe_key=f"isolation_probe:{t.reseller.pk}",
        reseller_id=t.reseller.pk,
    )
    return {"webhook_id": endpoint.pk, "delivery_id": WebhookDelivery.objects.get(endpoint=endpoint).pk}


def _post_incident_objects(t: Tenant) -> tuple[int, int]:
    """A resolved High case of the tenant, its post-mortem held, and the Incident Report requested."""
    from datetime import datetime as dt

    from caredesk.cases import services as case_services
    from caredesk.incidents import services as incident_services

    agent = User.objects.filter(role="care_agent", is_active=True).order_by("pk").first()
    assert agent is not None, "the world creates an agent before the tenants' objects"
    payload = case_payload(t.account)
    payload["first_observed_at"] = dt.fromisoformat(payload["first_observed_at"])
    case = case_services.case_open(actor=t.dcs[0], payload=payload)
    case_services.case_resolve(actor=agent, case_id=case.pk, code="solution", summary="Certificate renewed.")
    pm = case.post_mortems.get()
    incident_services.post_mortem_hold(actor=agent, post_mortem_id=pm.pk)
    report = incident_services.incident_report_request(actor=t.dcs[0], post_mortem_id=pm.pk, request="In writing.")
    return pm.pk, report.pk
