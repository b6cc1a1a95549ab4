"""Portal tests see the world of tests/conftest.py plus tenant B's maintenance and knowledge
objects, so the page walk probes every id the pages take; and a log-in helper for the Django test
client (a real session through the real log-in form)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from caredesk.tenancy.models import User
from tests.conftest import PASSWORD, World
from tests.integration.maintenance.support import give_maintenance_objects


@pytest.fixture(scope="module")
def world_extras() -> Callable[[World], None]:
    return give_maintenance_objects


def login(user: User, *, enforce_csrf: bool = False) -> Client:
    """A browser session of ``user``."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    if enforce_csrf:
        client.get("/login/")
        token = client.cookies["csrftoken"].value
        data = {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    else:
        data = {"username": user.email, "password": PASSWORD}
    response = client.post("/login/", data)
    assert response.status_code == 302, response.content[:500]
    return client
