from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.timezone import now

from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.ops.housekeeping import housekeeping_run


class Command(BaseCommand):
    help = "Delete expired idempotency answers and old rate-limit windows (the worker runs this hourly)."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def handle(self, *args: Any, **options: Any) -> None:
        result = housekeeping_run(now=now())
        self.stdout.write(
            f"Deleted {result.idempotency_records} idempotency record(s), {result.rate_counters} rate window(s)."
        )
