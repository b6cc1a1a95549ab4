"""API tests see the world of tests/conftest.py plus tenant B's maintenance and knowledge objects,
so that the isolation matrix probes every id the maintenance and knowledge routes take."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import World
from tests.integration.maintenance.support import Outbox, give_maintenance_objects, outbox

__all__ = ["outbox"]


@pytest.fixture(scope="module")
def world_extras() -> Callable[[World], None]:
    return give_maintenance_objects


@pytest.fixture
def world(world: World, outbox: Outbox) -> World:
    outbox.clear()  # what the world's own objects sent is not the test's
    return world
