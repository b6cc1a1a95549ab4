"""The notification settings, each with its default (config/settings.py sets the ones read from the
environment). Read at call time, so tests may override them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULT_BACKOFF_SECONDS = (60, 300, 1800, 7200, 43200)  # 1 min, 5 min, 30 min, 2 h, 12 h; then dead


def lease() -> timedelta:
    """How long a claimed row stays with its worker before another may take it over. Must exceed the
    longest single send (SMTP and webhook timeouts) plus any clock skew between worker machines."""
    return timedelta(seconds=int(getattr(settings, "CAREDESK_NOTIFY_LEASE_SECONDS", 120)))


def backoff() -> tuple[int, ...]:
    """Seconds to wait before each retry; a failure after the last one makes the row dead."""
    return tuple(int(s) for s in getattr(settings, "CAREDESK_NOTIFY_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS))


def allow_private_webhooks() -> bool:
    return bool(getattr(settings, "CAREDESK_WEBHOOK_ALLOW_PRIVATE", False))


def webhook_timeout() -> float:
    return float(getattr(settings, "CAREDESK_WEBHOOK_TIMEOUT", 10.0))


def mailer_alias() -> str:
    return str(getattr(settings, "CAREDESK_NOTIFY_MAILER", "default"))


def batch_size() -> int:
    return int(getattr(settings, "CAREDESK_NOTIFY_BATCH", 50))


def from_address() -> str:
    return str(settings.DEFAULT_FROM_EMAIL)


def public_url() -> str:
    """Where relative links in notifications point (no trailing slash); empty keeps them relative."""
    return str(getattr(settings, "CAREDESK_PUBLIC_URL", "")).rstrip("/")
