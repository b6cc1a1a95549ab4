"""The periodic part of ``caredesk worker``: a daemon thread that, every few seconds, tries to win
the sweep's lease (``sweep_schedule_claim``) and, when it wins, enqueues ``sweep_task`` in the
same transaction. Every worker on every machine runs one; the lease lets exactly one of them
enqueue per interval, and the task queue lets whichever worker is free run it. A worker killed
between winning and enqueueing rolls both back, so the next tick of any worker tries again."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection, transaction

from caredesk.sweep.services import sweep_schedule_claim
from caredesk.sweep.tasks import sweep_task

logger = logging.getLogger("caredesk.sweep")


class SweepScheduler(threading.Thread):
    def __init__(self, *, interval: float, worker: str) -> None:
        super().__init__(name="sweep-scheduler", daemon=True)
        self.interval = interval
        self.worker = worker
        self.poll = min(interval, 5.0)
        self._stopped = threading.Event()

    def tick(self) -> bool:
        """One attempt; True when this worker enqueued the sweep."""
        with transaction.atomic():
            won = sweep_schedule_claim(interval=self.interval, worker=self.worker)
            if won:
                result = sweep_task.enqueue()
        if won:
            logger.info(
                "sweep enqueued", extra={"event": "sweep_enqueued", "worker": self.worker, "task_id": str(result.id)}
            )
        return won

    def run(self) -> None:
        logger.info(
            "sweep scheduler started",
            extra={"event": "scheduler_started", "worker": self.worker, "interval": self.interval},
        )
        try:
            while not self._stopped.is_set():
                close_old_connections()
                try:
                    self.tick()
                except Exception:
                    logger.exception(
                        "sweep scheduling failed", extra={"event": "scheduler_error", "worker": self.worker}
                    )
                self._stopped.wait(self.poll)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
