"""caredesk worker: runs queued background tasks (django-tasks-db's worker) and schedules the
periodic jobs: the sweep (SLA warnings and breaches, escalations, post-incident deadlines) and the
reports' preparation (day blocks and what-if rows built ahead of the first report).

Any number of workers on any number of machines may share the database: each runs a scheduler
thread, and a lease row per job lets exactly one of them enqueue it per interval."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from caredesk.ops.checks import WITHOUT_URL_CHECKS


class Command(BaseCommand):
    help = "Run background tasks and the periodic sweep until stopped (any number of workers may share the database)."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=None,
            help="Seconds between sweeps (default: CAREDESK_SWEEP_INTERVAL, 30).",
        )
        parser.add_argument(
            "--no-sweep",
            action="store_true",
            help="Run tasks only; never schedule the sweep or the reports' preparation.",
        )

    def handle(self, *args: Any, batch: bool, sweep_interval: float | None, no_sweep: bool, **options: Any) -> None:
        from caredesk.reports.services import PREPARE
        from caredesk.reports.tasks import reports_prepare_task
        from caredesk.sweep.scheduler import Periodic, SweepScheduler

        worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(6)}"
        if not no_sweep:
            interval = sweep_interval if sweep_interval is not None else float(settings.CAREDESK_SWEEP_INTERVAL)
            prepare_every = float(settings.CAREDESK_REPORTS_PREPARE_INTERVAL)
            others = [Periodic(PREPARE, prepare_every, reports_prepare_task)] if prepare_every > 0 else []
            scheduler = SweepScheduler(interval=interval, worker=worker_id, others=others)
            if batch:
                scheduler.tick_all()  # enqueue what is due now; the batch below runs it
            else:
                scheduler.start()
        call_command("db_worker", batch=batch, interval=1.0, reload=False, worker_id=worker_id)
