"""Rate limits and enumeration behind proxies (OWASP API4:2023; ASVS 5 V2.4, V6.3): the client
address every throttle counts is set by one variable, CAREDESK_TRUSTED_PROXIES (config/env.py).

- With 0 trusted proxies (the default) X-Forwarded-For is ignored: a client that forges a new
  address in it on each request still counts against its connection's address, for the API's
  refused-token budget and for the log-in lock-outs of django-axes alike.
- With N trusted proxies the N-th address from the right of X-Forwarded-For (the one the nearest
  trusted proxy appended) is the client's: clients behind one balancer get budgets of their own,
  and anything a client writes to the left of it changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"  # the connection's address: the balancer's when there is one
BAD_TOKEN = {"Authorization": "Bearer cdk_guess"}


def _probe(trusted: str | None) -> subprocess.CompletedProcess[str]:
    """A process started with CAREDESK_TRUSTED_PROXIES=trusted (unset: None) answers the address
    each throttle takes from one request through two proxies (X-Forwarded-For: client, first proxy)."""
    code = """
import json, django
django.setup()
from django.test import RequestFactory
from axes.helpers import get_client_ip_address
from ninja.throttling import BaseThrottle
from caredesk.api.base import client_address
r = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
print(json.dumps({"api": client_address(r), "axes": get_client_ip_address(r), "ninja": BaseThrottle().get_ident(r)}))
"""
    env = {k: v for k, v in os.environ.items() if k != "CAREDESK_TRUSTED_PROXIES"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings_test", PYTHONPATH=str(ROOT))
    if trusted is not None:
        env["CAREDESK_TRUSTED_PROXIES"] = trusted
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("trusted", "client"),
    [(None, PROXY), ("1", "198.51.100.7"), ("2", "203.0.113.9"), ("5", "203.0.113.9")],
)
def test_one_variable_sets_the_client_address_of_every_throttle(trusted: str | None, client: str) -> None:
    probe = _probe(trusted)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout.strip().splitlines()[-1]) == {"api": client, "axes": client, "ninja": client}


def test_a_negative_count_of_proxies_is_refused_at_start() -> None:
    probe = _probe("-1")
    assert probe.returncode != 0 and "CAREDESK_TRUSTED_PROXIES must be 0 or more" in probe.stderr


def _guess(forwarded: str) -> int:
    """One request with a token that does not exist, through the proxy, naming ``forwarded``."""
    r = Client(REMOTE_ADDR=PROXY).get("/api/me", headers={**BAD_TOKEN, "X-Forwarded-For": forwarded})
    return int(r.status_code)


def test_without_trusted_proxies_a_forged_forwarded_address_does_not_dodge_the_token_budget(settings: Any) -> None:
    settings.NINJA_NUM_PROXIES = 0
    settings.CAREDESK_API_FAILED_AUTH_RATE = "2/d"  # a day's window: the test never straddles two
    assert [_guess(f"198.51.100.{i}") for i in range(4)] == [401, 401, 429, 429]


def test_behind_a_trusted_proxy_the_token_budget_is_the_forwarded_addresss(settings: Any) -> None:
    settings.NINJA_NUM_PROXIES = 1
    settings.CAREDESK_API_FAILED_AUTH_RATE = "2/d"
    assert [_guess(f"198.51.100.{i}") for i in range(4)] == [401, 401, 401, 401]  # four clients
    assert [_guess("198.51.100.50") for _ in range(3)] == [401, 401, 429]
    # What a client writes in front of the address the proxy appended changes nothing.
    assert _guess("203.0.113.1, 198.51.100.50") == 429


def _log_in(forwarded: str) -> int:
    """A failed log-in of one user name, through the proxy, naming ``forwarded``."""
    r = Client(REMOTE_ADDR=PROXY).post(
        "/login/",
        {"username": "nobody@alpha.test", "password": "not-the-password-1"},
        headers={"X-Forwarded-For": forwarded},
    )
    return int(r.status_code)


def test_without_trusted_proxies_a_forged_forwarded_address_does_not_dodge_the_log_in_lock_out(
    settings: Any,
) -> None:
    settings.NINJA_NUM_PROXIES = 0
    settings.AXES_FAILURE_LIMIT = 2
    assert [_log_in(f"198.51.100.{i}") for i in range(4)] == [200, 429, 429, 429]


def test_behind_a_trusted_proxy_the_log_in_lock_out_is_the_forwarded_addresss(settings: Any) -> None:
    settings.NINJA_NUM_PROXIES = 1
    settings.AXES_FAILURE_LIMIT = 2
    assert [_log_in("198.51.100.50") for _ in range(2)] == [200, 429]
    assert _log_in("198.51.100.51") == 200  # another client behind the same balancer
    assert _log_in("203.0.113.1, 198.51.100.50") == 429
