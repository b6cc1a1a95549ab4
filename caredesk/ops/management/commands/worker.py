"""caredesk worker: runs queued background tasks (django-tasks-db's worker)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks until stopped (any number of workers may share the database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args: Any, batch: bool, **options: Any) -> None:
        call_command("db_worker", batch=batch, interval=1.0, reload=False)
