"""Issue 8, item 6 (the sweep's half; tests/integration/notifications/test_crash.py is the delivery
half): a worker killed with SIGKILL in the middle of a sweep, and another started. Afterwards every
overdue target has exactly one breach (alert row, timeline event, notification) and every timeline
verifies: nothing the dead worker half-did is lost or doubled.

The sweep runs in batches of a few alerts, one transaction each, so the kill lands between or
inside batches; the test waits until some, not all, breaches are recorded before it kills."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bench.seed import seed
from caredesk.cases.models import CaseEvent, CaseTarget
from caredesk.cases.timeline import audit_verify
from tests.integration.resilience.support import database_url, needs_postgres, process_env, start_worker, workdir

pytestmark = [needs_postgres(), pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_sweep_leaves_every_breach_recorded_exactly_once() -> None:
    from caredesk.notifications.models import Notification
    from caredesk.sweep.models import SweepAlert

    seed(cases=300, resellers=2, accounts_per=2, agents=3, batch=300, now=datetime.now(UTC) - timedelta(days=3))
    overdue = set(
        CaseTarget.objects.filter(state="running", due_at__lt=datetime.now(UTC)).values_list("case_id", "kind")
    )
    assert len(overdue) > 30, len(overdue)
    with workdir("caredesk-sweep-kill-") as base:
        env = process_env(database_url(), base / "files", CAREDESK_SWEEP_INTERVAL="1", CAREDESK_SWEEP_BATCH="5")
        first = start_worker("worker-1", env, base)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                done = SweepAlert.objects.filter(alert="breached").count()
                if done >= 5:
                    break
                time.sleep(0.05)
            first.stop(signal.SIGKILL)
            killed_at = SweepAlert.objects.filter(alert="breached").count()
            assert 0 < killed_at < len(overdue), f"killed too late or too early: {killed_at} of {len(overdue)}"
            second = start_worker("worker-2", env, base)
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    breached = set(SweepAlert.objects.filter(alert="breached").values_list("case_id", "subject"))
                    if overdue <= breached:
                        break
                    time.sleep(0.5)
                time.sleep(2)  # a second pass would show up now
            finally:
                second.stop()
        finally:
            first.stop()

    alerts = list(SweepAlert.objects.filter(alert="breached").values_list("case_id", "subject"))
    assert overdue <= set(alerts), f"lost: {sorted(overdue - set(alerts))[:5]}"
    assert len(alerts) == len(set(alerts))
    events = Counter(
        (e.case_id, (e.data or {}).get("target"))
        for e in CaseEvent.objects.filter(kind="sla_breached").only("case_id", "data")
    )
    assert set(events) == set(alerts) and max(events.values()) == 1
    keys = list(Notification.objects.filter(event_kind="sla_breached").values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    assert audit_verify().ok
