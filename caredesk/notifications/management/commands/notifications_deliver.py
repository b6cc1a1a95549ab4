"""caredesk notifications_deliver: the delivery loop, on its own (operations and the crash test).

``caredesk worker`` delivers notifications through its tasks; this command drains the outbox
directly: every due row, every row whose worker died (once its lease ends), then waits and polls.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from caredesk.notifications.delivery import deliver_due
from caredesk.notifications.models import DeliveryStatus, EmailDelivery, WebhookDelivery
from caredesk.ops.checks import WITHOUT_URL_CHECKS

logger = logging.getLogger("caredesk.notifications")


def _idle() -> bool:
    """Nothing due now and nothing claimed (retries scheduled for later do not count)."""
    now = timezone.now()
    return not any(
        model.objects.filter(status=DeliveryStatus.SENDING).exists()
        or model.objects.filter(status=DeliveryStatus.QUEUED, due_at__lte=now).exists()
        for model in (EmailDelivery, WebhookDelivery)
    )


class Command(BaseCommand):
    help = "Deliver queued notifications until stopped (or, with --until-idle, until none is left)."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--until-idle", action="store_true", help="Exit once nothing is due or claimed.")

    def handle(self, *args: Any, interval: float, until_idle: bool, **options: Any) -> None:
        running = True

        def stop(signum: int, frame: object) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("notification delivery loop started", extra={"interval": interval, "until_idle": until_idle})
        while running:
            close_old_connections()
            report = deliver_due()
            if report.claimed:
                continue
            if until_idle and _idle():
                break
            time.sleep(interval)
        logger.info("notification delivery loop stopped")
