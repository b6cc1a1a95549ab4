"""The periodic part of ``caredesk worker``: a daemon thread that, every few seconds, tries to win
the lease of each periodic job (``sweep_schedule_claim``) and, when it wins, enqueues the job's
task in the same transaction. Every worker on every machine runs one; the lease lets exactly one of
them enqueue per interval, and the task queue lets whichever worker is free run it. A worker killed
between winning and enqueueing rolls both back, so the next tick of any worker tries again.

The jobs: the sweep (``sweep_task``, every ``CAREDESK_SWEEP_INTERVAL`` seconds) and the reports'
preparation (``reports_prepare_task``, every ``CAREDESK_REPORTS_PREPARE_INTERVAL`` seconds)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections, connection, transaction

from caredesk.sweep.services import SLA, sweep_schedule_claim
from caredesk.sweep.tasks import sweep_task

logger = logging.getLogger("caredesk.sweep")


@dataclass(frozen=True)
class Periodic:
    name: str  # its lease row (SweepState.name)
    interval: float  # seconds
    task: Any  # a django.tasks Task without arguments


class SweepScheduler(threading.Thread):
    def __init__(self, *, interval: float, worker: str, others: Sequence[Periodic] = ()) -> None:
        super().__init__(name="sweep-scheduler", daemon=True)
        self.jobs = (Periodic(SLA, interval, sweep_task), *others)
        self.interval = interval
        self.worker = worker
        self.poll = min(5.0, *(job.interval for job in self.jobs))
        self._stopped = threading.Event()

    def tick_all(self) -> list[str]:
        """One attempt at every job; the names of those this worker enqueued."""
        enqueued = []
        for job in self.jobs:
            with transaction.atomic():
                won = sweep_schedule_claim(interval=job.interval, worker=self.worker, name=job.name)
                if won:
                    result = job.task.enqueue()
            if won:
                enqueued.append(job.name)
                logger.info(
                    "%s enqueued",
                    job.name,
                    extra={
                        "event": "sweep_enqueued" if job.name == SLA else f"{job.name}_enqueued",
                        "worker": self.worker,
                        "task_id": str(result.id),
                    },
                )
        return enqueued

    def run(self) -> None:
        logger.info(
            "sweep scheduler started",
            extra={"event": "scheduler_started", "worker": self.worker, "interval": self.interval},
        )
        try:
            while not self._stopped.is_set():
                close_old_connections()
                try:
                    self.tick_all()
                except Exception:
                    logger.exception(
                        "sweep scheduling failed", extra={"event": "scheduler_error", "worker": self.worker}
                    )
                self._stopped.wait(self.poll)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
