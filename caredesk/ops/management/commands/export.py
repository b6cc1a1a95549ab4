"""caredesk export [--reseller ID] OUT_DIR: a consistent snapshot as JSON Lines plus attachment files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caredesk.domain.errors import DomainError
from caredesk.ops.backup import export_snapshot
from caredesk.ops.checks import WITHOUT_URL_CHECKS


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot (one REPEATABLE READ transaction on PostgreSQL) of one reseller or of "
        "everything: a JSON Lines file per table, manifest.json and the attachment files."
    )
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out_dir", help="a new or empty directory")
        parser.add_argument("--reseller", type=int, default=None, help="only this reseller (tenant) and what it needs")

    def handle(self, *args: Any, out_dir: str, reseller: int | None, **options: Any) -> None:
        try:
            manifest = export_snapshot(Path(out_dir), reseller_id=reseller)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        rows = sum(t["rows"] for t in manifest.tables.values())
        scope = f"reseller {reseller}" if reseller is not None else "everything"
        self.stdout.write(
            f"Exported {scope}: {rows} rows in {len(manifest.tables)} tables, {manifest.files} files -> {out_dir}"
        )
