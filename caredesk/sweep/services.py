"""The sweep: one write path that acts on every clock by itself (issue 5, items 1, 2 and 4).

``sweep_run`` walks the SLA crossings, then the post-incident deadlines, in batches. Each batch is
one transaction that first takes the sweep's state row with ``FOR UPDATE SKIP LOCKED``: while one
worker holds it, any other sweeper stops at once ("busy") instead of queueing behind it, so sweeps
never pile up; between batches the row is free and whoever takes it next continues. The alert key
(``SweepAlert``, unique) is what makes each alert exactly-once; the row lock only saves work.

The watermark ``swept_to`` moves to ``now`` when a run finishes; a run that dies midway leaves it
where it was, and the next run starts again from there (what was recorded is not recorded twice).

``sweep_schedule_claim`` is the scheduler's lease: a conditional UPDATE of ``next_run_at`` that
exactly one worker wins per interval, on any number of machines."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.timezone import now as clock_now

from caredesk.sweep import post_incident, targets
from caredesk.sweep.escalation import Audience
from caredesk.sweep.models import SweepState

logger = logging.getLogger("caredesk.sweep")

SLA = "sla"
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class SweepResult:
    now: datetime
    counts: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    busy: bool = False
    finished: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "busy": self.busy,
            "finished": self.finished,
            "batches": self.batches,
            "seconds": round(self.seconds, 4),
            **{k: self.counts.get(k, 0) for k in ("warning", "breached", "reminder", "overdue")},
            "already_recorded": self.counts.get("already_recorded", 0),
        }


def _state_ensure() -> None:
    if SweepState.objects.filter(name=SLA).exists():
        return
    try:
        with transaction.atomic():
            SweepState.objects.create(name=SLA, next_run_at=_LONG_AGO)  # the first claim wins at once
    except IntegrityError:
        pass  # another worker created it first


def _lock() -> SweepState | None:
    return SweepState.objects.select_for_update(skip_locked=True).filter(name=SLA).first()


def sweep_run(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    overlap: timedelta | None = None,
    worker: str = "",
) -> SweepResult:
    """Record every warning, breach, reminder and overdue deadline up to ``now``, each once."""
    at = now or clock_now()
    limit = batch_size or settings.CAREDESK_SWEEP_BATCH
    lag = overlap if overlap is not None else timedelta(seconds=settings.CAREDESK_SWEEP_OVERLAP)
    result = SweepResult(now=at)
    started = time.perf_counter()
    _state_ensure()
    audience = Audience()
    since: datetime | None = None
    phase = "targets"
    while True:
        with transaction.atomic():
            state = _lock()
            if state is None:
                result.busy = True
                break
            if result.batches == 0:
                state.last_started_at = at
                since = state.swept_to - lag if state.swept_to is not None else None
            more = False
            if phase == "targets":
                crossings, more = targets.crossings_next(since=since, until=at, limit=limit)
                result.counts += targets.crossings_record(crossings, since=since, until=at, now=at, audience=audience)
                # Resume the next batch after the last warning recorded; ties are re-read and the
                # anti-join drops what is already recorded.
                warned = [c.at for c in crossings if c.alert == targets.WARNING]
                if more and warned:
                    since = max(warned) if since is None else max(since, max(warned))
                if not more:
                    phase = "post_incident"
                    more = True
            else:
                deadlines, more = post_incident.deadlines_next(until=at, limit=limit)
                result.counts += post_incident.deadlines_record(deadlines, until=at, now=at, audience=audience)
            result.batches += 1
            if not more:
                state.swept_to = at if state.swept_to is None else max(state.swept_to, at)
                state.last_finished_at = at
                state.last_worker = worker
                result.finished = True
                result.seconds = time.perf_counter() - started
                state.last_result = result.as_dict()
            state.save(update_fields=["swept_to", "last_started_at", "last_finished_at", "last_worker", "last_result"])
        if result.finished:
            break
    result.seconds = time.perf_counter() - started
    logger.info(
        "sweep %s",
        "busy" if result.busy else "finished",
        extra={"event": "sweep_busy" if result.busy else "sweep_finished", "worker": worker, **result.as_dict()},
    )
    return result


def sweep_schedule_claim(*, now: datetime | None = None, interval: float, worker: str) -> bool:
    """Whether this worker won the next sweep (at most one winner per ``interval`` seconds)."""
    at = now or clock_now()
    _state_ensure()
    won = SweepState.objects.filter(name=SLA, next_run_at__lte=at).update(
        next_run_at=at + timedelta(seconds=interval), last_worker=worker
    )
    return won == 1
