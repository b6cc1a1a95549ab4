"""caredesk reports prepare: build the reports' day blocks and what-if replays now, to the end
(the worker does it in the background every CAREDESK_REPORTS_PREPARE_INTERVAL seconds; run this
after a restore, an import or a bulk load so that the first visitor does not wait)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.reports.services import reports_prepare


class Command(BaseCommand):
    help = "prepare: build the day blocks and what-if replays the report pages will read, now and to the end."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["prepare"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        result = reports_prepare(budget=None)
        if result.busy:
            raise CommandError("Another run (a worker's) is preparing the reports now; try again when it has finished.")
        self.stdout.write(json.dumps(result.as_dict()))
