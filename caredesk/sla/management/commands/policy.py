"""caredesk policy load [FILE] | caredesk policy show: manage the support policy versions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caredesk.domain.errors import ValidationFailed
from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_load


class Command(BaseCommand):
    help = "Load a support policy file as the current version (default: CAREDESK_POLICY_FILE), or list versions."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["load", "show"])
        parser.add_argument("file", nargs="?")

    def handle(self, *args: Any, action: str, file: str | None, **options: Any) -> None:
        if action == "show":
            for version in PolicyVersion.objects.all():
                self.stdout.write(f"{'*' if version.is_current else ' '} {version.key:<30} {version.title}")
            return
        try:
            version = policy_load(path=file)
        except (ValidationFailed, OSError) as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in getattr(exc, "errors", {}).items())
            raise CommandError(f"{exc}{' (' + detail + ')' if detail else ''}") from None
        self.stdout.write(f"Current support policy: {version.key} ({version.title})")
