"""What production settings refuse (ASVS 5 V13): the demo's published password, private webhooks.
``manage.py check --deploy --fail-level WARNING`` under production settings runs in
tests/architecture/test_gates.py (HSTS, secure cookies, SSL redirect, DEBUG off, a real SECRET_KEY)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _production(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CAREDESK_ENV": "production",
        "CAREDESK_SECRET_KEY": "p" * 60,
        "CAREDESK_ALLOWED_HOSTS": "desk.example.com",
        "CAREDESK_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


@pytest.mark.django_db
def test_the_demo_and_its_published_password_are_refused_in_production(settings: Any) -> None:
    from django.core.management import CommandError, call_command

    from caredesk.tenancy.models import User

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not loaded when CAREDESK_ENV=production"):
        call_command("demo")
    assert not User.objects.filter(email__endswith=".demo").exists()


def test_production_turns_debug_and_private_webhooks_off_and_hardens_cookies(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.CAREDESK_WEBHOOK_ALLOW_PRIVATE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    env = _production(tmp_path)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    expected = ["False", "False", "True", "True", "__Host-sessionid", "__Host-csrftoken", "True", "True"]
    assert r.stdout.split() == expected, r.stderr[-500:]
