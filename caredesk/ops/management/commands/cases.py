"""``caredesk cases export|import``: case histories as JSON Lines, for audits and migrations.

caredesk cases export --as EMAIL (--case ID ... | --all) [--out FILE]
    One case export per line (caredesk.cases.history), as EMAIL may see it: a reseller user's
    exports hold no internal notes. Each line is also a line of ``caredesk sla replay`` input,
    whose answer is that case's stored ``clocks``.

caredesk cases import --as EMAIL FILE|-
    Imports every line (one case export, or another helpdesk's history in that shape) as EMAIL,
    a vendor admin. Each line is its own transaction: a bad line creates nothing and is reported
    with its field errors; the others are imported. Prints ``line N: case ID`` or
    ``line N: error ...``. Exit status 0 when every line was imported, 1 otherwise, 2 for a bad
    command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caredesk.cases import history
from caredesk.cases.selectors import case_visible_for_actor
from caredesk.domain.errors import DomainError, ValidationFailed
from caredesk.domain.tenancy.roles import Role
from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.tenancy.models import User


class Command(BaseCommand):
    help = "Export case histories as JSON Lines, or import them (vendor admins)."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="one case export per line")
        export.add_argument("--as", dest="as_email", required=True, metavar="EMAIL", help="export as this user")
        which = export.add_mutually_exclusive_group(required=True)
        which.add_argument("--case", dest="case_ids", type=int, action="append", metavar="ID")
        which.add_argument("--all", action="store_true", help="every case EMAIL may see")
        export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
        imp = sub.add_parser("import", help="import every line of FILE")
        imp.add_argument("--as", dest="as_email", required=True, metavar="EMAIL", help="a vendor admin")
        imp.add_argument("file", metavar="FILE|-")

    def handle(self, *args: Any, action: str, as_email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=as_email, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {as_email}", returncode=2)
        if action == "export":
            self._export(user, options.get("case_ids") or [], bool(options.get("all")), options.get("out"))
        else:
            self._import(user, options["file"])

    def _export(self, user: User, case_ids: list[int], every: bool, out: str | None) -> None:
        ids = (
            list(case_visible_for_actor(actor=user).order_by("pk").values_list("pk", flat=True)) if every else case_ids
        )
        handle: IO[str] | None = Path(out).open("w", encoding="utf-8") if out else None  # noqa: SIM115
        try:
            for case_id in ids:
                try:
                    exported = history.case_export(actor=user, case_id=case_id)
                except DomainError as exc:
                    raise CommandError(f"case {case_id}: {exc.message}", returncode=1) from None
                if handle is None:
                    self.stdout.write(json.dumps(exported))
                else:
                    handle.write(json.dumps(exported) + "\n")
        finally:
            if handle is not None:
                handle.close()

    def _import(self, user: User, file: str) -> None:
        if user.role_enum is not Role.VENDOR_ADMIN:
            raise CommandError("only a vendor admin imports case histories", returncode=2)
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}", returncode=2) from None
        failed = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                case = history.case_import(actor=user, data=json.loads(line))
            except ValueError as exc:
                failed += 1
                self.stdout.write(f"line {number}: error: invalid JSON: {exc}")
                continue
            except ValidationFailed as exc:
                failed += 1
                fields = "; ".join(f"{path}: {message}" for path, message in exc.errors.items())
                self.stdout.write(f"line {number}: error: {fields or exc.message}")
                continue
            except DomainError as exc:
                failed += 1
                self.stdout.write(f"line {number}: error: {exc.message}")
                continue
            self.stdout.write(f"line {number}: case {case.pk}")
        if failed:
            raise CommandError(f"{failed} line(s) not imported", returncode=1)
