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

from tests.conftest import World, _tenant_objects, rolled_back
from tests.conftest import build_world as build_shared_world


def build_world() -> World:
    """The personas of tests/conftest.py's ``world``, with one of each case-side object for tenant A
    too (A's own objects are what A's users may reach; B's are what they must not) and B's
    maintenance and knowledge objects (tests/api/conftest.py)."""
    from tests.integration.maintenance.support import give_maintenance_objects

    world = build_shared_world()
    _tenant_objects(world.a)
    give_maintenance_objects(world)
    return world


@pytest.fixture(scope="module")
def sworld(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with rolled_back(django_db_blocker):
        yield build_world()
