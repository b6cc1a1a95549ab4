"""Issue 8, item 7: the same ``Idempotency-Key`` sent 20 times at once, over real HTTP to a live
gunicorn (2 processes x 10 threads, so the 20 requests really race inside the database), creates
exactly one case, and every one of the 20 answers is that case."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from caredesk.cases.models import Case, IdempotencyRecord
from tests.integration.resilience.support import (
    Answer,
    call,
    database_url,
    needs_postgres,
    process_env,
    start_web,
    workdir,
    world_for_load,
)

pytestmark = [needs_postgres(), pytest.mark.django_db(transaction=True)]
N = 20


def test_one_key_sent_20_times_at_once_creates_one_case_and_every_answer_is_it() -> None:
    world = world_for_load()
    payload: dict[str, Any] = {**world["payload"], "title": "Raced twenty times"}
    with workdir("caredesk-idem-") as base:
        web, port = start_web("web", process_env(database_url(), base), base, workers=2, threads=10)
        try:
            call(port, "GET", "/api/me", token=world["token"])  # warm both processes' imports
            answers: list[Answer] = [Answer(-1)] * N
            barrier = threading.Barrier(N)

            def send(i: int) -> None:
                barrier.wait()
                answers[i] = call(
                    port, "POST", "/api/cases", payload, token=world["token"], **{"Idempotency-Key": "same-key"}
                )

            threads = [threading.Thread(target=send, args=(i,)) for i in range(N)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            web.stop()
    statuses = [a.status for a in answers]
    assert statuses == [201] * N, (statuses, [a.body[:200] for a in answers if a.status != 201], web.output()[-2000:])
    bodies = {a.body for a in answers}
    assert len(bodies) == 1, "every answer is byte for byte the first one"
    case_id = answers[0].json()["id"]
    assert Case.objects.filter(title="Raced twenty times").count() == 1
    assert Case.objects.get(title="Raced twenty times").pk == case_id
    assert sum(1 for a in answers if a.headers.get("idempotent-replayed") == "true") == N - 1
    assert IdempotencyRecord.objects.filter(key="same-key").count() == 1
