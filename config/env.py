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
| CAREDESK_API_FAILED_AUTH_RATE    | 30/m                             | refused bearer tokens per client address  |
| CAREDESK_TRUSTED_PROXIES         | 0                                | proxies whose X-Forwarded-For is believed |
| CAREDESK_UPLOAD_MAX_BYTES        | 10485760 (10 MiB)                | largest attachment accepted               |
| CAREDESK_SWEEP_INTERVAL          | 30                               | seconds between background sweeps         |
| CAREDESK_SWEEP_BATCH             | 500                              | sweep alerts per transaction              |
| CAREDESK_SWEEP_SETTLE            | 15                               | seconds before the sweep reads a warning  |
| CAREDESK_REPORTS_PREPARE_INTERVAL | 60                              | seconds between report preparations (0: never) |
| CAREDESK_NOTIFY_LEASE_SECONDS    | 120                              | a worker's hold on a claimed notification |
| CAREDESK_WEBHOOK_ALLOW_PRIVATE   | 0 (1 in tests)                   | 1: webhooks may reach private addresses   |

CAREDESK_TRUSTED_PROXIES is the number of reverse proxies (load balancer, CDN) that each append the
address they received a request from to X-Forwarded-For. The client address of every throttle (the
API's refused-token budget, django-ninja's throttles through NINJA_NUM_PROXIES, the log-in lock-outs
of django-axes) is then the N-th address from the right of that header; with 0 the header is
ignored and the address is the connection's, so a client cannot name itself anew on each request.
Set it to exactly the number of proxies: one more lets a client choose its address by forging the
header, one fewer counts every client behind the nearest proxy as one.
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


def get_count(name: str, default: int) -> int:
    """A whole number that is 0 or more."""
    value = get_int(name, default)
    if value < 0:
        raise RuntimeError(f"{name} must be 0 or more, not {value}")
    return value


def get_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in get_str(name, default).split(",") if item.strip()]
