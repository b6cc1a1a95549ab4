"""caredesk import IN_DIR: restore a snapshot of ``caredesk export`` into an empty database.

(The module is named like the command: Django loads commands with importlib, where ``import`` is a
valid module name even though it is a keyword in an import statement.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caredesk.domain.errors import DomainError
from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.ops.restore import import_snapshot


class Command(BaseCommand):
    help = "Restore a snapshot written by caredesk export into an empty, migrated database."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("in_dir", help="a directory written by caredesk export")

    def handle(self, *args: Any, in_dir: str, **options: Any) -> None:
        try:
            counts = import_snapshot(Path(in_dir))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        files = counts.pop("files")
        self.stdout.write(f"Imported {sum(counts.values())} rows in {len(counts)} tables and {files} files.")
