"""The sweep: one write path that acts on every clock by itself (issue 5, items 1, 2 and 4).

``sweep_run`` walks the SLA crossings, then the post-incident deadlines, in batches. Each batch is
one transaction that first takes the sweep's state row with ``FOR UPDATE SKIP LOCKED``: while one
worker holds it, any other sweeper stops at once ("busy") instead of queueing behind it, so sweeps
never pile up; between batches the row is free and whoever takes it next continues. The alert key
(``SweepAlert``, unique) is what makes each alert exactly-once; the row lock only saves work.

The watermark (``swept_to``, ``swept_id``: the position in the warnings stream) moves with each
batch, in the batch's transaction, so a run that dies midway, or a sweeper that takes over between
batches, continues exactly where the last committed batch stopped.

``sweep_schedule_claim`` is the scheduler's lease: a conditional UPDATE of ``next_run_at`` that
exactly one worker wins per interval, on any number of machines. The same lease and lock serve the
other periodic job, the reports' preparation (``caredesk.reports.services``), by its own row."""

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


def periodic_state_ensure(name: str) -> None:
    """The state row of the periodic job ``name`` exists (created once, by whichever worker first)."""
    if SweepState.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            SweepState.objects.create(name=name, next_run_at=_LONG_AGO)  # the first claim wins at once
    except IntegrityError:
        pass  # another worker created it first


def periodic_lock(name: str) -> SweepState | None:
    """The state row of ``name``, locked for this transaction; None while another run holds it
    (that run does the work: the caller stops instead of queueing behind it)."""
    return SweepState.objects.select_for_update(skip_locked=True).filter(name=name).first()


def sweep_run(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    settle: timedelta | None = None,
    worker: str = "",
) -> SweepResult:
    """Record every breach, reminder and overdue deadline up to ``now`` and every warning up to
    ``now - settle``, each once."""
    at = now or clock_now()
    limit = batch_size or settings.CAREDESK_SWEEP_BATCH
    warn_until = at - (settle if settle is not None else timedelta(seconds=settings.CAREDESK_SWEEP_SETTLE))
    result = SweepResult(now=at)
    started = time.perf_counter()
    periodic_state_ensure(SLA)
    audience = Audience()
    phase = "targets"
    while not result.finished:
        with transaction.atomic():
            state = periodic_lock(SLA)
            if state is None:
                result.busy = True
                break
            if result.batches == 0:
                state.last_started_at = at
            if phase == "targets":
                after = (state.swept_to, state.swept_id) if state.swept_to is not None else None
                batch = targets.crossings_next(after=after, warn_until=warn_until, until=at, limit=limit)
                result.counts += targets.crossings_record(
                    batch.crossings, warn_until=warn_until, until=at, now=at, audience=audience
                )
                _advance(state, batch, warn_until)
                if not batch.more:
                    phase = "post_incident"
            else:
                deadlines, more = post_incident.deadlines_next(until=at, limit=limit)
                result.counts += post_incident.deadlines_record(deadlines, until=at, now=at, audience=audience)
                if not more:
                    state.last_finished_at = at
                    state.last_worker = worker
                    result.finished = True
                    result.seconds = time.perf_counter() - started
                    state.last_result = result.as_dict()
            result.batches += 1
            state.save(
                update_fields=[
                    "swept_to",
                    "swept_id",
                    "last_started_at",
                    "last_finished_at",
                    "last_worker",
                    "last_result",
                ]
            )
    result.seconds = time.perf_counter() - started
    logger.info(
        "sweep %s",
        "busy" if result.busy else "finished",
        extra={"event": "sweep_busy" if result.busy else "sweep_finished", "worker": worker, **result.as_dict()},
    )
    return result


def _advance(state: SweepState, batch: targets.Batch, warn_until: datetime) -> None:
    """Move the watermark past the warnings this batch read (in the same transaction)."""
    if batch.warnings_done:
        if state.swept_to is None or warn_until > state.swept_to:
            state.swept_to, state.swept_id = warn_until, None
        return
    position = targets.position_after(batch)
    if position is not None:
        state.swept_to, state.swept_id = position


def sweep_schedule_claim(*, now: datetime | None = None, interval: float, worker: str, name: str = SLA) -> bool:
    """Whether this worker won the next run of the periodic job ``name`` (the sweep unless told
    otherwise): at most one winner per ``interval`` seconds."""
    at = now or clock_now()
    periodic_state_ensure(name)
    won = SweepState.objects.filter(name=name, next_run_at__lte=at).update(
        next_run_at=at + timedelta(seconds=interval), last_worker=worker
    )
    return won == 1
