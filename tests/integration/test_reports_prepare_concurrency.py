"""Two preparations of the reports at once (two workers): while one holds the job's row, the other
stops at once ("busy") and writes nothing, instead of doing the same work; then it carries on.
Needs row locks and separate connections, so PostgreSQL only."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from caredesk.reports.models import DayBlock, WhatIfReplay
from caredesk.reports.services import PREPARE, reports_prepare
from caredesk.sweep.services import periodic_lock, periodic_state_ensure
from tests.conftest import World
from tests.integration.reports_support import REPORT_NOW, drive_report_cases

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and separate connections"),
]


def test_a_run_while_another_holds_the_job_is_busy_and_writes_nothing(world: World) -> None:
    drive_report_cases(world)
    DayBlock.objects.all().delete()
    WhatIfReplay.objects.all().delete()
    periodic_state_ensure(PREPARE)
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                assert periodic_lock(PREPARE) is not None
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(30)
        busy = reports_prepare(now=REPORT_NOW, budget=None)
        assert busy.busy and (busy.days_rebuilt, busy.replays) == (0, 0)
        assert not DayBlock.objects.exists() and not WhatIfReplay.objects.exists()
    finally:
        release.set()
        thread.join(30)
    done = reports_prepare(now=REPORT_NOW, budget=None)
    assert not done.busy and done.replays == WhatIfReplay.objects.count() > 0
