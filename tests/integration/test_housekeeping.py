"""Housekeeping forgets expired idempotency answers and old rate windows, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caredesk.cases.models import IdempotencyRecord
from caredesk.ops.housekeeping import housekeeping_run
from caredesk.tenancy.models import RateCounter
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_expired_answers_and_old_windows_go_recent_and_pending_ones_stay(world: World) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    old = IdempotencyRecord.objects.create(
        user=world.agent,
        key="old",
        method="POST",
        path="/api/cases",
        request_hash="x",
        status=201,
        created_at=now - timedelta(hours=25),
    )
    recent = IdempotencyRecord.objects.create(
        user=world.agent,
        key="recent",
        method="POST",
        path="/api/cases",
        request_hash="x",
        status=201,
        created_at=now - timedelta(hours=1),
    )
    pending = IdempotencyRecord.objects.create(
        user=world.agent,
        key="pending",
        method="POST",
        path="/api/cases",
        request_hash="x",
        status=None,
        created_at=now - timedelta(hours=30),
    )
    ts = int(now.timestamp())
    RateCounter.objects.create(key="api:t1", window=ts - 2 * 86_400, count=3)
    RateCounter.objects.create(key="api:t1", window=ts - 60, count=3)
    result = housekeeping_run(now=now)
    assert result.idempotency_records == 1 and result.rate_counters == 1
    assert set(IdempotencyRecord.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert list(RateCounter.objects.values_list("window", flat=True)) == [ts - 60]
