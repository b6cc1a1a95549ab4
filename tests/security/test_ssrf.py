"""Server-side request forgery through webhooks (OWASP API7:2023, ASVS 5 V1.3.6 / V15).

A Designated Contact chooses the URL caredesk POSTs to, so every address a URL can name or resolve
to is checked: at registration (and on every change) through the API, and again at delivery,
where the connection is pinned to the vetted address and redirects are never followed. The test
settings allow private addresses (the notification tests deliver to loopback); these tests turn
that off, as production has it.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from caredesk.notifications.adapters import webhook_http
from caredesk.notifications.adapters.webhook_http import WebhookRefused
from tests.conftest import World

pytestmark = pytest.mark.django_db

FORBIDDEN = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://127.1/hook",  # short form of loopback
    "http://2130706433/hook",  # decimal 127.0.0.1
    "http://0x7f000001/hook",  # hexadecimal
    "http://0177.0.0.1/hook",  # octal
    "http://0.0.0.0/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT (shared address space)
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://198.18.0.1/hook",  # benchmarking range
    "http://224.0.0.1/hook",  # multicast
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo wrapping 127.0.0.1
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",  # unique local
    "http://user:pass@93.184.215.14/hook",  # credentials in the URL
    "file:///etc/passwd",
    "gopher://93.184.215.14:70/_x",
    "ftp://93.184.215.14/x",
    "http://93.184.215.14\r\nX-Injected: 1/hook",
    "http:///hook",
    "http://nonexistent.invalid/hook",  # does not resolve: refused, not stored for later
]
PUBLIC = "https://93.184.215.14/hooks/caredesk"


@pytest.fixture
def production_guard(settings: Any) -> None:
    settings.CAREDESK_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.usefixtures("production_guard")
@pytest.mark.parametrize("url", FORBIDDEN)
def test_a_webhook_to_an_internal_address_is_refused(sworld: World, url: str) -> None:
    api = sworld.client(sworld.a.dcs[0])
    r = api.post("/api/webhooks", {"url": url, "event_types": ["*"]})
    assert r.status_code == 422, (url, r.status_code, r.content[:300])
    assert "url" in r.json()["error"]["fields"]


@pytest.mark.usefixtures("production_guard")
def test_changing_a_webhook_url_is_checked_the_same_way(sworld: World) -> None:
    api = sworld.client(sworld.a.dcs[0])
    r = api.post("/api/webhooks", {"url": PUBLIC, "event_types": ["*"]})
    assert r.status_code == 201, r.content  # a public address is accepted: the refusals are not blanket
    hook = r.json()["id"]
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/x", "http://2130706433/"):
        r = api.patch(f"/api/webhooks/{hook}", {"url": url})
        assert r.status_code == 422, (url, r.status_code)
    assert api.get(f"/api/webhooks/{hook}").json()["url"] == PUBLIC


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    """Make every name resolve to the next of ``answers`` (the last one repeats): DNS rebinding."""
    calls: list[str] = []
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:  # a literal (socket.create_connection resolves the pinned address again): as it is
            return real(host, port, *args, **kwargs)
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


def test_a_name_that_resolves_to_an_internal_address_at_delivery_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered while the name pointed outside; by delivery it points at the metadata service."""
    _resolving(monkeypatch, ["93.184.215.14", "169.254.169.254"])
    assert webhook_http.check_url("http://hooks.example.test/x", allow_private=False)
    with pytest.raises(WebhookRefused, match="link-local"):
        webhook_http.post("http://hooks.example.test/x", b"{}", {}, timeout=1, allow_private=False)


def test_every_address_of_a_name_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(WebhookRefused, match="private"):
        webhook_http.check_url("http://dual.example.test/x", allow_private=False)


class _Server:
    """A loopback HTTP server answering every POST with ``status`` (and a Location)."""

    def __init__(self, status: int, location: str = "") -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits.append(self.headers.get("Host", ""))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    made: list[_Server] = []
    yield made
    for s in made:
        s.stop()


def test_redirects_are_never_followed(servers: list[_Server]) -> None:
    inside = _Server(200)
    servers.append(inside)
    outside = _Server(302, f"http://127.0.0.1:{inside.port}/admin")
    servers.append(outside)
    answer = webhook_http.post(f"http://127.0.0.1:{outside.port}/hook", b"{}", {}, timeout=5, allow_private=True)
    assert answer.status == 302
    assert len(outside.hits) == 1 and inside.hits == [], "the redirect was followed"


def test_the_connection_goes_to_the_vetted_address(monkeypatch: pytest.MonkeyPatch, servers: list[_Server]) -> None:
    """Resolved once, connected to that address: a second DNS answer cannot swap in another one."""
    server = _Server(204)
    servers.append(server)
    calls = _resolving(monkeypatch, ["127.0.0.1", "10.255.255.1"])
    url = f"http://hooks.example.test:{server.port}/x"
    answer = webhook_http.post(url, b"{}", {}, timeout=5, allow_private=True)
    assert answer.status == 204 and len(calls) == 1
    assert server.hits == [f"hooks.example.test:{server.port}"]  # the name is still the Host


def test_production_refuses_private_webhooks_unless_told(settings: Any) -> None:
    """The switch that lets tests deliver to loopback is off unless CAREDESK_ENV=test or set."""
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.CAREDESK_WEBHOOK_ALLOW_PRIVATE)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "CAREDESK_ENV": "production",
        "CAREDESK_SECRET_KEY": "s" * 60,
        "CAREDESK_ALLOWED_HOSTS": "desk.example.com",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr[-500:]
