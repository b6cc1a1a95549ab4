"""Signed webhook POSTs over http(s), guarded against server-side request forgery.

Only ``http`` and ``https`` URLs without credentials are accepted. The host is resolved before each
delivery and every address it resolves to must be public (not private, loopback, link-local,
multicast, reserved, unspecified or otherwise non-global; IPv4-mapped and 6to4/Teredo IPv6 forms
are unwrapped), unless ``allow_private`` is set. The connection then goes to the vetted address
(so a second DNS answer cannot swap in an internal one), with the URL's host name in ``Host`` and as
the TLS server name. Redirects are never followed: a 3xx is a failed attempt.

Signature: ``X-Caredesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "caredesk-webhooks/1"
MAX_URL_LENGTH = 500


class WebhookRefused(Exception):
    """The URL or the address it resolves to may not be called; never retried by itself."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    if len(url) > MAX_URL_LENGTH:
        raise WebhookRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(f"the URL is not valid: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused("only http:// and https:// URLs are allowed")
    if not parts.hostname:
        raise WebhookRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("the URL must not carry credentials; the signature authenticates caredesk")
    if any(c.isspace() or ord(c) < 32 for c in url.strip()):
        raise WebhookRefused("the URL contains whitespace or control characters")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def refusal_reason(address: str) -> str | None:
    """Why an address may not be called, or None if it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            reason = refusal_reason(str(embedded))
            if reason:
                return reason
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "not globally routable"
    return None


def resolve(target: Target, *, allow_private: bool) -> list[str]:
    """The addresses to connect to; refuses if any of them is not public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(f"the host {target.host!r} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            reason = refusal_reason(address)
            if reason:
                raise WebhookRefused(f"the host {target.host!r} resolves to {address}, a {reason} address")
    if not addresses:
        raise WebhookRefused(f"the host {target.host!r} has no address")
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """Validate a URL an admin registers; returns it stripped."""
    resolve(parse_url(url), allow_private=allow_private)
    return url.strip()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: check the HMAC in constant time and refuse stale timestamps (replays)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status: int
    snippet: str


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Response:
    """POST ``body`` once. Raises WebhookRefused (never call this URL as it is) or OSError (network
    trouble, including timeouts and TLS failures: worth a retry)."""
    target = parse_url(url)
    address = resolve(target, allow_private=allow_private)[0]
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = cls(target.host, target.port, address=address, timeout=timeout)
    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = conn.getresponse()
        snippet = response.read(1024).decode("utf-8", "replace")
        return Response(response.status, snippet)
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from exc
    finally:
        conn.close()
