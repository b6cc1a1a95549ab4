from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.ops.demo import DEMO_PASSWORD, demo_history_load, demo_load


class Command(BaseCommand):
    help = "Load the demo data set, five months of cases included (idempotent), and print its log-ins."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-history", action="store_true", help="People, accounts and subscriptions only: no cases."
        )

    def handle(self, *args: Any, no_history: bool, **options: Any) -> None:
        if settings.PRODUCTION:
            # Its log-ins share one published password, a vendor admin's among them.
            raise CommandError("The demo data set is not loaded when CAREDESK_ENV=production.")
        logins = demo_load()
        if not no_history:
            made = demo_history_load()
            if made:
                self.stdout.write(f"Demo case history: {made} cases of the last five months.")
        self.stdout.write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:<24} {login.role:<24} {login.reseller}")
