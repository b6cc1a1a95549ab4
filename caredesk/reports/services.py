"""Keeping the reports' derived tables ready before anyone asks (the reports' only write path
besides a report's own rebuild of what changed).

A report rebuilds the day blocks whose cases changed, and a what-if makes again the rows of the
cases that changed since (``caredesk.reports.facts``, ``selectors.what_if_for_actor``). That
keeps a report after a change fast, but the first report after installing, restoring or seeding
would build every day of its period, and the first what-if replay every case: seconds at 100,000
cases (docs/performance.md, "Pages"). ``reports_prepare`` does that work in the background
instead, on what the pages ask for by default:

- the day blocks of the last ``PREPARE_BLOCK_DAYS`` days (the 12-month reports, with a month to
  spare), rebuilt where their fingerprint changed;
- the what-if rows, under every package of the current policy, of the cases submitted since the
  start of the what-if's default period (this month and the five before), newest first.

``caredesk worker`` runs it every ``CAREDESK_REPORTS_PREPARE_INTERVAL`` seconds (the scheduler's
lease lets one worker enqueue it per interval), each run stopping after ``budget`` seconds and
enqueueing the next, which carries on; ``caredesk reports prepare`` runs it to the end. Work is
done in transactions of ``CHUNK_DAYS`` days or ``CHUNK_CASES`` cases, each holding the job's row
(``periodic_lock``): a second run at the same time stops at once ("busy") instead of doing the
same work. Everything it writes is what a report would have written for itself, so a run killed
at any point loses nothing but time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.reports import facts, selectors
from caredesk.sweep.services import periodic_lock, periodic_state_ensure

logger = logging.getLogger("caredesk.reports")

PREPARE = "reports"
"""The job's name: its lease and state row (``SweepState``)."""
PREPARE_BLOCK_DAYS = 400
PREPARE_BUDGET_SECONDS = 5.0
"""A run stops after this long (it always does one transaction's work first) and enqueues the
next, behind every task of a higher priority: a build from empty never holds a worker for long."""
CHUNK_DAYS = 31
CHUNK_CASES = 500


@dataclass
class PrepareResult:
    now: datetime
    days_rebuilt: int = 0
    replays: int = 0
    busy: bool = False
    more: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "days_rebuilt": self.days_rebuilt,
            "replays": self.replays,
            "busy": self.busy,
            "more": self.more,
            "seconds": round(self.seconds, 4),
        }


def reports_prepare(*, now: datetime | None = None, budget: float | None = PREPARE_BUDGET_SECONDS) -> PrepareResult:
    """Build the day blocks and what-if rows the pages' default reports will ask for, up to
    ``budget`` seconds (None: to the end) but at least one transaction's work, so that every run
    moves on; ``more`` says whether work was left for the next run."""
    at = now or clock_now()
    result = PrepareResult(now=at)
    started = time.perf_counter()
    periodic_state_ensure(PREPARE)
    today = at.astimezone(UTC).date()

    def out_of_time() -> bool:
        done = result.days_rebuilt or result.replays
        return budget is not None and bool(done) and time.perf_counter() - started >= budget

    def locked(work: Callable[..., int], /, *args: Any, **kwargs: Any) -> int | None:
        """``work(*args, **kwargs)`` in one transaction holding the job's row; None (and ``busy``)
        while another run holds it: that run is doing this work."""
        with transaction.atomic():
            if periodic_lock(PREPARE) is None:
                result.busy = True
                return None
            return work(*args, **kwargs)

    days = facts.stale_days(facts.fingerprints(today - timedelta(days=PREPARE_BLOCK_DAYS), today))
    for i in range(0, len(days), CHUNK_DAYS):
        if out_of_time():
            result.more = True
            break
        built = locked(_rebuild, days[i : i + CHUNK_DAYS])
        if built is None:
            break
        result.days_rebuilt += built

    policy = selectors.current_policy()
    start_at = datetime.combine(selectors.default_period(today)[0], datetime.min.time(), tzinfo=UTC)
    for package in policy.packages if policy is not None else ():
        if result.busy or result.more:
            break
        ids = selectors.cases_without_current_replay(package=package, start_at=start_at, end_at=at)
        for i in range(0, len(ids), CHUNK_CASES):
            if out_of_time():
                result.more = True
                break
            replayed = locked(selectors.replays_refresh, case_ids=ids[i : i + CHUNK_CASES], package=package, now=at)
            if replayed is None:
                break
            result.replays += replayed

    result.seconds = time.perf_counter() - started
    if not result.busy:
        with transaction.atomic():
            state = periodic_lock(PREPARE)
            if state is not None:
                state.last_finished_at = at
                state.last_result = result.as_dict()
                state.save(update_fields=["last_finished_at", "last_result"])
    logger.info(
        "reports prepared" if not result.busy else "reports preparation busy",
        extra={"event": "reports_busy" if result.busy else "reports_prepared", **result.as_dict()},
    )
    return result


def _rebuild(days: list[date]) -> int:
    return len(facts.rebuild_days(days, keep=False))
