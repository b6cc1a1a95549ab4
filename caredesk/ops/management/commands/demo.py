from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from caredesk.ops.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print its log-ins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_load()
        self.stdout.write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:<24} {login.role:<24} {login.reseller}")
