"""Housekeeping: forget what only mattered for a while. Idempotency answers are kept 24 hours
(a client retrying later than that is making a new request); rate-limit windows one day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caredesk.cases.models import IdempotencyRecord
from caredesk.tenancy.models import RateCounter

IDEMPOTENCY_TTL = timedelta(hours=24)
RATE_WINDOW_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class HousekeepingResult:
    idempotency_records: int
    rate_counters: int


def housekeeping_run(*, now: datetime) -> HousekeepingResult:
    idem, _ = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL, status__isnull=False).delete()
    rates, _ = RateCounter.objects.filter(window__lt=int(now.timestamp()) - RATE_WINDOW_TTL_SECONDS).delete()
    return HousekeepingResult(idempotency_records=idem, rate_counters=rates)
