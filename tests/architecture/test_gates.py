"""The house rules as tests, so the README's one test command runs every gate CI needs:
ruff (lint and format), import-linter (the domain core is pure), mypy (strict on the domain),
Django's system checks (and the deployment checks under production settings), and no missing
migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600
    )


def test_ruff_lint_is_clean() -> None:
    r = run(str(BIN / "ruff"), "check", "--output-format", "concise", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_clean() -> None:
    r = run(str(BIN / "ruff"), "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_contracts_hold() -> None:
    r = run(str(BIN / "lint-imports"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_passes() -> None:
    r = run(str(BIN / "mypy"), "caredesk", "config")
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_missing_migrations() -> None:
    r = run(str(BIN / "caredesk"), "makemigrations", "--check", "--dry-run", env={"CAREDESK_ENV": "test"})
    assert r.returncode == 0, r.stdout + r.stderr


def test_production_settings_pass_the_deployment_checks() -> None:
    env = {
        "CAREDESK_ENV": "production",
        "CAREDESK_SECRET_KEY": "x" * 20 + "-production-only-secret-key-for-the-check-" + "y" * 20,
        "CAREDESK_ALLOWED_HOSTS": "desk.example.com",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    r = run(str(BIN / "caredesk"), "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    r = run(
        sys.executable, "-c", "import config.settings", env={"CAREDESK_ENV": "production", "CAREDESK_SECRET_KEY": ""}
    )
    assert r.returncode != 0 and "CAREDESK_SECRET_KEY is required" in r.stderr


def test_the_preloaded_application_holds_no_database_connection() -> None:
    """`caredesk serve` preloads config.wsgi in gunicorn's master and forks the workers from it: a
    connection opened while importing would be shared by every worker."""
    code = (
        "import config.wsgi\n"
        "from django.db import connections\n"
        "print(sorted(a for a in connections if connections[a].connection is not None))\n"
    )
    r = run(sys.executable, "-c", code, env={"CAREDESK_ENV": "test", "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_domain_never_imports_django() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "caredesk" / "domain").rglob("*.py")
        if any(
            line.lstrip().startswith(("import django", "from django", "import ninja", "from ninja"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []
