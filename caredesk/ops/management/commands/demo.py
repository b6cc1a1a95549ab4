from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.ops.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print its log-ins."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            # Its log-ins share one published password, a vendor admin's among them.
            raise CommandError("The demo data set is not loaded when CAREDESK_ENV=production.")
        logins = demo_load()
        self.stdout.write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:<24} {login.role:<24} {login.reseller}")
