"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd) that keeps every
message it accepts, and an HTTP receiver (stdlib http.server) that verifies webhook signatures."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from caredesk.notifications.adapters.webhook_http import verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage
    raw: bytes = b""


class SmtpSink:
    """aiosmtpd in a thread. ``refuse`` maps an address to the reply its RCPT gets (e.g. 550).

    ``hold(at=..., after=n)``: once ``n`` messages are in, the next client is kept waiting at that
    point of its transaction ("rcpt": before the server has the message; "data": the server has the
    whole message, has kept it, and has not answered yet) until ``release()``; ``held`` counts who
    waits."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}
        self.held = 0
        self._hold: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def hold(self, *, at: str, after: int) -> None:
        self._hold = (at, after)

    def release(self) -> None:
        self._hold = None

    async def _wait_if_held(self, point: str) -> None:
        if self._hold is None or self._hold[0] != point:
            return
        if len(self.received) < self._hold[1] + (point == "data"):  # at "data" the message is in already
            return
        self.held += 1
        while self._hold is not None:
            await asyncio.sleep(0.01)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._wait_if_held("rcpt")
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message, bytes(envelope.original_content)))
        # Held here, the server has committed the message but the client has not heard "250" yet.
        await self._wait_if_held("data")
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def mailer(self) -> dict[str, Any]:
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
        }

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A loopback HTTP server. It answers ``fail_first`` requests with ``fail_status``, then 200;
    ``redirect_to`` makes every answer a 302 there. It checks each signature with ``secret``."""

    secret: str = ""
    fail_first: int = 0
    fail_status: int = 500
    redirect_to: str = ""
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = verify(receiver.secret, self.headers.get("X-Caredesk-Signature", ""), body, now=int(time.time()))
                failing = len(receiver.hits) < receiver.fail_first
                status = 302 if receiver.redirect_to else (receiver.fail_status if failing else 200)
                receiver.hits.append(Hit(self.path, dict(self.headers.items()), body, ok, status))
                self.send_response(status)
                if receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/caredesk"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
