"""The one place that reads the process environment. Every setting caredesk takes is listed here.

| variable                         | default                          | meaning                                   |
|----------------------------------|----------------------------------|-------------------------------------------|
| CAREDESK_ENV                     | development                      | development, test or production           |
| DATABASE_URL                     | sqlite:///<root>/var/caredesk.sqlite3 | postgresql://user@host:5432/db |
| CAREDESK_SECRET_KEY              | (random per dev machine; required in production) |                          |
| CAREDESK_ALLOWED_HOSTS           | 127.0.0.1,localhost              | comma-separated                           |
| CAREDESK_DATA_DIR                | <root>/var                       | uploads, SQLite file                      |
| CAREDESK_POLICY_FILE             | shipped cloud-resellers-v4.toml  | the support policy to load                |
| CAREDESK_EMAIL_URL               | console (dev), smtp://127.0.0.1:25 | smtp://host:port                        |
| CAREDESK_DEFAULT_FROM_EMAIL      | caredesk@localhost               |                                           |
| CAREDESK_LOGIN_FAILURE_LIMIT     | 5                                | failed log-ins before a lock-out          |
| CAREDESK_API_RATE                | 600/m                            | API requests per token                    |
| CAREDESK_SWEEP_INTERVAL          | 30                               | seconds between background sweeps         |
| CAREDESK_SWEEP_BATCH             | 500                              | sweep alerts per transaction              |
| CAREDESK_SWEEP_SETTLE            | 15                               | seconds before the sweep reads a warning  |
| CAREDESK_NOTIFY_LEASE_SECONDS    | 120                              | a worker's hold on a claimed notification |
| CAREDESK_WEBHOOK_ALLOW_PRIVATE   | 0 (1 in tests)                   | 1: webhooks may reach private addresses   |
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def get(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def get_str(name: str, default: str) -> str:
    value = get(name, default)
    assert value is not None
    return value


def get_int(name: str, default: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from exc


def get_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in get_str(name, default).split(",") if item.strip()]
