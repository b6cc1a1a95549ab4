"""Issue 8, item 4: two web processes and two workers on one PostgreSQL (docs/scaling.md), and
nothing is processed twice or lost.

- Web: 20 cases created through both web processes, each Idempotency-Key sent to one process and
  retried on the other (a client retrying through a load balancer): 20 cases, each key answered
  with the same case by both.
- Workers: seeded open cases whose SLA targets are overdue, with both workers' sweep schedulers
  and task runners live: every overdue target gets exactly one breach (alert row and timeline
  event), every timeline still verifies, and every escalation e-mail reaches the SMTP server
  exactly once (counted by Message-ID), with none left queued.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bench.seed import seed
from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.timeline import audit_verify
from tests.integration.resilience.support import (
    call,
    database_url,
    free_port,
    needs_postgres,
    process_env,
    start_web,
    start_worker,
    workdir,
    world_for_load,
)

pytestmark = [needs_postgres(), pytest.mark.django_db(transaction=True)]
CASES = 20


class Sink:
    """An SMTP server on loopback that keeps the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        text = envelope.content.decode("utf-8", "replace")
        mid = next(
            (line.split(":", 1)[1].strip() for line in text.splitlines() if line.lower().startswith("message-id:")), ""
        )
        with self.lock:
            self.ids[mid] += 1
        return "250 OK"


def test_two_web_processes_and_two_workers_process_everything_exactly_once() -> None:
    from caredesk.notifications.models import EmailDelivery
    from caredesk.sweep.models import SweepAlert

    world = world_for_load()
    # Open cases of the last weeks, as of three days ago: many running targets are overdue now.
    seed(cases=40, resellers=2, accounts_per=2, agents=3, batch=40, now=datetime.now(UTC) - timedelta(days=3))
    started = datetime.now(UTC)
    overdue = set(CaseTarget.objects.filter(state="running", due_at__lt=started).values_list("case_id", "kind"))
    assert overdue, "the seed left no overdue target to sweep"
    sink = Sink()
    sink.controller.start()
    try:
        with workdir("caredesk-scale-") as base:
            env = process_env(
                database_url(),
                base / "files",
                CAREDESK_SWEEP_INTERVAL="1",
                CAREDESK_SWEEP_SETTLE="0",
                CAREDESK_EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            )
            procs = []
            try:
                web_a, port_a = start_web("web-a", env, base, workers=1)
                procs.append(web_a)
                web_b, port_b = start_web("web-b", env, base, workers=1)
                procs.append(web_b)
                procs += [start_worker("worker-1", env, base), start_worker("worker-2", env, base)]
                answers = create_through_both(world, port_a, port_b)
                wait_until_swept(overdue, EmailDelivery)
                assert all(p.popen.poll() is None for p in procs), "a process died"
                logs = "\n".join(p.output() for p in procs)
            finally:
                for p in procs:
                    p.stop()
    finally:
        sink.controller.stop()

    ids = {key: {a, b} for key, (a, b) in answers.items()}
    assert all(len(pair) == 1 for pair in ids.values()), f"a retry on the other process got another case: {ids}"
    assert Case.objects.filter(title="Scale-out case").count() == CASES
    assert "Traceback" not in logs, logs[-3000:]

    breaches = list(SweepAlert.objects.filter(alert="breached").values_list("case_id", "subject"))
    assert len(breaches) == len(set(breaches))
    assert overdue <= set(breaches), f"never swept: {sorted(overdue - set(breaches))[:5]}"
    events = Counter(
        (e.case_id, e.kind, (e.data or {}).get("target"))
        for e in CaseEvent.objects.filter(kind__startswith="sla_").only("case_id", "kind", "data")
    )
    assert events and max(events.values()) == 1, [k for k, n in events.items() if n > 1][:5]
    assert CaseEvent.objects.filter(kind="sla_breached").count() == SweepAlert.objects.filter(alert="breached").count()
    assert audit_verify().ok

    sent = list(EmailDelivery.objects.values_list("message_id", "status"))
    assert sent, "no escalation e-mail was recorded"
    assert {status for _, status in sent} == {"sent"}, Counter(status for _, status in sent)
    for message_id, _ in sent:
        assert sink.ids[message_id] == 1, (message_id, sink.ids[message_id])


def create_through_both(world: dict[str, Any], port_a: int, port_b: int) -> dict[str, tuple[int, int]]:
    payload = {**world["payload"], "title": "Scale-out case"}
    answers: dict[str, tuple[int, int]] = {}
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(n, CASES, 4):
            key = f"scale-{i}"
            first, second = (port_a, port_b) if i % 2 else (port_b, port_a)
            got = []
            for port in (first, second):
                answer = call(port, "POST", "/api/cases", payload, token=world["token"], **{"Idempotency-Key": key})
                assert answer.status == 201, answer.body[:300]
                got.append(answer.json()["id"])
            with lock:
                answers[key] = (got[0], got[1])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(answers) == CASES
    return answers


def wait_until_swept(overdue: set[tuple[int, str]], deliveries: Any, timeout: float = 90) -> None:
    from caredesk.sweep.models import SweepAlert

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        breached = set(SweepAlert.objects.filter(alert="breached").values_list("case_id", "subject"))
        pending = deliveries.objects.exclude(status__in=["sent", "dead"]).exists()
        if overdue <= breached and not pending and deliveries.objects.exists():
            time.sleep(3)  # anything processed twice would show up now
            return
        time.sleep(1)
