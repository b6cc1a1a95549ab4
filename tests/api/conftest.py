"""API tests see the world of tests/conftest.py plus tenant B's maintenance and knowledge objects,
so that the isolation matrix probes every id the maintenance and knowledge routes take."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.integration.maintenance.support import Outbox, give_maintenance_objects, outbox

__all__ = ["outbox"]


@pytest.fixture
def world(world: World, outbox: Outbox) -> World:
    give_maintenance_objects(world)
    outbox.clear()
    return world
