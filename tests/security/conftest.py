"""Fixtures of the security tests.

The security tests are generated over every route, so a fresh ``world`` per test (0.15-0.2 s)
would cost minutes. ``sworld`` is built once per module inside an outer transaction that is rolled
back when the module ends; every test still runs in its own savepoint (``django_db``), so what a
test writes is undone before the next one and the shared objects stay as built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from caredesk.tenancy import services
from tests.conftest import PASSWORD as PW
from tests.conftest import World, _tenant_objects, make_admin, make_tenant


def build_world() -> World:
    """The personas of tests/conftest.py's ``world``, with one of each case-side object for both
    tenants (A's own objects are what A's users may reach; B's are what they must not) and B's
    maintenance and knowledge objects (tests/api/conftest.py)."""
    from tests.integration.maintenance.support import give_maintenance_objects

    admin = make_admin()
    agent = services.user_create(actor=admin, email="agent@vendor.test", name="Agent", role="care_agent", password=PW)
    manager = services.user_create(
        actor=admin, email="manager@vendor.test", name="Manager", role="care_manager", password=PW
    )
    csm = services.user_create(actor=admin, email="csm@vendor.test", name="CSM", role="csm", password=PW)
    a = make_tenant(admin, "Alpha", csm)
    b = make_tenant(admin, "Zephyrine", csm)
    _tenant_objects(a)
    _tenant_objects(b)
    tokens = {}
    for user in [admin, agent, manager, csm, *a.dcs, a.staff, *b.dcs, b.staff]:
        _, secret = services.token_create(actor=user, name="test")
        tokens[user.email] = secret
    world = World(admin=admin, agent=agent, manager=manager, csm=csm, a=a, b=b, tokens=tokens)
    give_maintenance_objects(world)
    return world


@pytest.fixture(scope="module")
def sworld(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
