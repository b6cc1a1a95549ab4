"""Issue 4, "nothing half-created": whatever an import body holds, the import either creates the
whole case or answers with field errors (a DomainError) and writes nothing; it never fails with
anything else. Seeded random mutations of a valid export: keys dropped, values replaced by other
JSON types, list entries removed, duplicated or swapped."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from caredesk.cases import history
from caredesk.cases.models import Case, CaseEvent, CaseTarget, Comment
from caredesk.cases.timeline import audit_verify
from caredesk.domain.errors import DomainError, ValidationFailed
from caredesk.domain.sla.policy import load_default_policy
from caredesk.domain.sla.replay import replay_request
from tests.conftest import World
from tests.integration.test_history_audit import T0, worked_case

pytestmark = pytest.mark.django_db

POLICY = load_default_policy()
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x", "2026-03-02T15:00:00", [], {}, [None], {"id": None}]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


def mutate(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(paths(body))
        parent: Any = body
        for key in where[:-1]:
            parent = parent[key]
        last = where[-1]
        roll = rng.random()
        if isinstance(parent, list) and roll < 0.3:
            if rng.random() < 0.5 and len(parent) > 1:
                i = rng.randrange(len(parent) - 1)
                parent[i], parent[i + 1] = parent[i + 1], parent[i]
            else:
                parent.insert(last, copy.deepcopy(parent[last]))
        elif roll < 0.5:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    return body


def test_any_mutation_of_an_export_is_imported_whole_or_refused_with_field_errors(world: World) -> None:
    case = worked_case(world)
    exported = json.loads(json.dumps(history.case_export(actor=world.admin, case_id=case.pk)))
    unhashed = copy.deepcopy(exported)
    for entry in unhashed["timeline"]:
        del entry["hash"], entry["prev_hash"]
    rng = random.Random(20261127)
    outcomes = {"imported": 0, "refused": 0}
    for attempt in range(250):
        body = mutate(unhashed if attempt % 2 else exported, rng)
        before = (Case.objects.count(), CaseEvent.objects.count(), Comment.objects.count(), CaseTarget.objects.count())
        try:
            imported = history.case_import(actor=world.admin, data=body, now=T0.replace(year=2027))
        except ValidationFailed as exc:
            assert exc.errors, f"no field named for {json.dumps(body)[:400]}"
            outcomes["refused"] += 1
        except DomainError:
            outcomes["refused"] += 1
        else:
            outcomes["imported"] += 1
            # Whatever was imported keeps the promise: its export replays to its stored clocks.
            again = history.case_export(actor=world.admin, case_id=imported.pk)
            assert replay_request(again, policy=POLICY) == {"id": imported.pk, **imported.sla}
            continue
        after = (Case.objects.count(), CaseEvent.objects.count(), Comment.objects.count(), CaseTarget.objects.count())
        assert after == before, "a refused import wrote something"
    assert outcomes["imported"] > 10 and outcomes["refused"] > 100, outcomes
    assert audit_verify().ok
