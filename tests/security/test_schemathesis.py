"""Schemathesis against the API's own document (issue 8 item 11; OWASP API8/API9, ASVS 5 V4.1/V13).

The schema is loaded from ``/api/openapi.json`` through the WSGI application (no server), and every
operation is fuzzed with Hypothesis as a vendor admin (who may call everything) and as a Designated
Contact (who is refused much, and must be refused cleanly), with tenant A's real objects in the
database. Every answer must be no 5xx and must match what the document declares: its status code,
content type and body schema. Bounded: ``MAX_EXAMPLES`` generated cases per operation as the admin
and ``DC_EXAMPLES`` as the DC, derandomised (the same cases every run), no shrinking: about 40 s of
CPU for the whole module.

The other built-in checks are left out on purpose: ``positive_data_acceptance`` would call a
refusal by a business rule (a closed case, another tenant's id) a failure; ``ignored_auth`` and
the enumeration checks are the job of tests/security/test_token_revocation.py and
tests/api/test_isolation_matrix.py, which know which answers are right.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tests.conftest import World
from tests.security.routes import own_ids

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10  # per operation, as the vendor admin (who reaches every code path)
DC_EXAMPLES = 5  # as a Designated Contact, who is mostly refused: the refusals must be clean
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261127,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True, "mode": "all"},
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    """The WSGI transport calls the application as a server would, and a server's request signals
    close "old" database connections, which on PostgreSQL ends the test's transaction. Django's test
    client turns them off the same way for its requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _call(case: Any, token: str, ids: dict[str, int]) -> None:
    # Random ids almost never name a row; every other case aims at tenant A's real objects instead,
    # so the generated bodies and queries reach the services' own checks (deterministically chosen).
    if case.path_parameters and zlib.crc32(repr(case.body).encode() + repr(case.query).encode()) % 2:
        for name in case.path_parameters:
            # (not attachments: the WSGI transport leaves a download's file open; test_uploads.py)
            if name in ids and name != "attachment_id":
                case.path_parameters[name] = ids[name]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@SETTINGS
def test_the_api_keeps_its_contract_for_a_vendor_admin(case: Any, sworld: World) -> None:
    _call(case, sworld.tokens[sworld.admin.email], own_ids(sworld))


@schema.parametrize()
@settings(SETTINGS, max_examples=DC_EXAMPLES)
def test_the_api_keeps_its_contract_for_a_designated_contact(case: Any, sworld: World) -> None:
    _call(case, sworld.tokens[sworld.a.dcs[0].email], own_ids(sworld))


def _models(api: Any) -> dict[str, set[str]]:
    """Every pydantic model the operations take or answer, by the name the document gives it."""
    names: dict[str, set[str]] = {}
    seen: set[type] = set()

    def walk(model: type) -> None:
        if model in seen:
            return
        seen.add(model)
        names.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
        for field in getattr(model, "model_fields", {}).values():
            visit(field.annotation)

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            walk(annotation)
        for arg in getattr(annotation, "__args__", ()):
            visit(arg)

    for _, router in api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                for model in op.models:
                    visit(model)
                for model in (op.response_models or {}).values():
                    visit(model)
    return names


def test_no_two_schemas_share_a_name_in_the_document() -> None:
    """The document names each schema by its class name; two classes of one name (a TargetOut in
    cases and one in reports) overwrite each other, and clients read the wrong shape."""
    from config.api import api

    clashes = {name: where for name, where in _models(api).items() if len(where) > 1}
    assert clashes == {}, f"rename one of each: {clashes}"
