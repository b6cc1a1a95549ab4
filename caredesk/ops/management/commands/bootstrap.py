"""caredesk bootstrap --admin-email E: the first vendor admin and an API token for it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from caredesk.domain.errors import DomainError
from caredesk.domain.tenancy.roles import Role
from caredesk.ops.checks import WITHOUT_URL_CHECKS
from caredesk.tenancy import services
from caredesk.tenancy.models import User


class Command(BaseCommand):
    help = "Create the first vendor admin and print an API token for it (shown once)."
    requires_system_checks = WITHOUT_URL_CHECKS  # caredesk/ops/checks.py

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--name", default="Vendor admin")
        parser.add_argument("--password", default=None, help="Optional web log-in password (else: set one later).")

    @transaction.atomic
    def handle(self, *args: Any, admin_email: str, name: str, password: str | None, **options: Any) -> None:
        if User.objects.filter(role=Role.VENDOR_ADMIN.value).exists():
            raise CommandError("A vendor admin exists already; use the API (POST /api/users) to add more.")
        # The first admin has no actor to act for it: a transient admin identity authorises the write.
        founder = User(email="bootstrap@caredesk.invalid", name="bootstrap", role=Role.VENDOR_ADMIN.value)
        try:
            admin = services.user_create(
                actor=founder,
                email=admin_email,
                name=name,
                role=Role.VENDOR_ADMIN.value,
                password=password,
                channel="cli",
            )
            _, secret = services.token_create(actor=admin, name="bootstrap")
        except DomainError as exc:
            fields = "; ".join(f"{k}: {v}" for k, v in getattr(exc, "errors", {}).items())
            raise CommandError(f"{exc.message}{' (' + fields + ')' if fields else ''}") from None
        self.stdout.write(f"Vendor admin {admin.email} created (id {admin.pk}).")
        self.stdout.write(f"API token (shown once): {secret}")
