"""E-mail messages of notifications and their sending over one of Django's mailers (``MAILERS``).

Each message is rendered from ``notifications/email/<event_kind>.{txt,html}``, falling back to
``generic.{txt,html}``. Its ``Message-ID`` is derived from the idempotency key (the notification's
dedupe key and the recipient), so a message sent again after a crash is recognisably the same one.
Failures come back as ``SendFailed``, marked permanent (the server refused this message or address:
retrying cannot help) or transient (network trouble, 4xx, our own configuration: retry later).

``NotificationEmail`` is Django's ``EmailMultiAlternatives`` (so every configured mailer sends it, and
the test outbox holds it) with its MIME serialisation done by the standard library's ``compat32``
message classes, as Django itself did up to 5.2: Django 6's modern-API building parses every header
through ``email.headerregistry`` and picks each body's transfer encoding by trying them all, 3.3 ms of
CPU per message here against 0.9 ms (docs/performance.md, "Notification delivery"). The message has
one fixed shape (text and HTML alternatives, UTF-8, quoted-printable, our own headers), which is all
this class builds; it refuses header values with line breaks, encodes non-ASCII subjects and display
names by RFC 2047 and non-ASCII domains by IDNA, and refuses non-ASCII local parts (``ValueError``,
as Django does), so the bytes on the wire are 7-bit clean whatever the server supports.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import smtplib
from datetime import UTC, datetime
from email import charset as mime_charset
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from types import TracebackType
from typing import Any, Self

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template
from django.utils import timezone

TEMPLATE_DIR = "notifications/email"


class SendFailed(Exception):
    def __init__(self, message: str, *, permanent: bool, connection_lost: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection_lost = connection_lost


def message_id_for(*, dedupe_key: str, recipient_id: int, from_address: str) -> str:
    digest = hashlib.sha256(f"{dedupe_key}\x00{recipient_id}".encode()).hexdigest()[:32]
    domain = from_address.rpartition("@")[2].strip("<> ") or "caredesk.invalid"
    return f"<{digest}.{recipient_id}@{domain}>"


def render(event_kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML bodies for an event kind (its own templates, or the generic ones)."""
    text = select_template([f"{TEMPLATE_DIR}/{event_kind}.txt", f"{TEMPLATE_DIR}/generic.txt"])
    html = select_template([f"{TEMPLATE_DIR}/{event_kind}.html", f"{TEMPLATE_DIR}/generic.html"])
    return text.render(context), html.render(context)


def one_line(subject: str) -> str:
    return " ".join(subject.split())[:250]


class _Policy(Compat32):
    """compat32 with one shortcut: a short ASCII header without line breaks is written as it is
    (what ``Header`` folding would produce, without its per-header cost; 1 ms of a message's 2 here).
    The generator still verifies every written header (no line break without folding whitespace)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= 78
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


#: CRLF line ends: smtplib sends bytes as they are, and SMTP wants CRLF.
_POLICY = _Policy(linesep="\r\n")
_UTF8_QP = mime_charset.Charset("utf-8")
_UTF8_QP.body_encoding = mime_charset.QP  # 7-bit clean bodies, readable in the raw message


def _header_text(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"a header value may not contain a line break: {value!r}")
    return value


def _address(value: str) -> str:
    """One address for a header and the envelope: display name RFC 2047-encoded when not ASCII, the
    domain IDNA-encoded; a non-ASCII local part cannot be sent without SMTPUTF8 (``ValueError``)."""
    name, addr = parseaddr(_header_text(value), strict=True)
    local, at, domain = addr.rpartition("@")
    if not addr or not at or not local or not domain:
        raise ValueError(f"not an e-mail address: {value!r}")
    if not local.isascii():
        raise ValueError(f"a non-ASCII local part cannot be sent: {value!r}")
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return formataddr((name, f"{local}@{domain}"), charset=_UTF8_QP)


def _text_part(content: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, policy=_POLICY)  # what MIMEText builds, with our charset
    del part["MIME-Version"]  # once, on the whole message
    part.set_payload(content, _UTF8_QP)
    return part


class NotificationEmail(EmailMultiAlternatives):
    """A notification's e-mail: Django's message, serialised by the stdlib's compat32 classes."""

    # Django's backends only serialise the result (``as_bytes``), which a compat32 message does too.
    def message(self, *, policy: Any = None) -> Message:  # type: ignore[override]  # one fixed policy
        if self.attachments or self.cc or self.bcc or self.reply_to or len(self.alternatives) != 1:
            raise ValueError("a notification e-mail has exactly a text body and one HTML alternative")
        html, mimetype = self.alternatives[0]
        if mimetype != "text/html":
            raise ValueError(f"unexpected alternative {mimetype!r}")
        # Both parts are quoted-printable, which writes every "=" as "=3D": a boundary starting with
        # "=_" can never occur in them, so the generator need not search the parts for a free one.
        msg = MIMEMultipart("alternative", boundary=f"=_caredesk_{secrets.token_hex(12)}", policy=_POLICY)
        msg.attach(_text_part(str(self.body), "plain"))
        msg.attach(_text_part(str(html), "html"))
        msg["Subject"] = _header_text(str(self.subject))  # folded, and RFC 2047-encoded when not ASCII
        msg["From"] = _address(self.from_email)
        msg["To"] = ", ".join(_address(a) for a in self.to)
        names = {k.lower() for k in self.extra_headers}
        if "date" not in names:
            now = timezone.localtime() if settings.EMAIL_USE_LOCALTIME else datetime.now(UTC)
            msg["Date"] = format_datetime(now)
        for name, value in self.extra_headers.items():
            if name.lower() in {"from", "to", "cc", "bcc", "reply-to"}:
                raise ValueError(f"{name} is set from the message's own fields")
            msg[name] = _header_text(str(value))
        return msg


def build(
    *,
    event_kind: str,
    subject: str,
    context: dict[str, Any],
    to_address: str,
    from_address: str,
    message_id: str,
    idempotency_key: str,
) -> NotificationEmail:
    text, html = render(event_kind, context)
    message = NotificationEmail(
        subject=one_line(subject),
        body=text,
        from_email=from_address,
        to=[to_address],
        headers={
            "Message-ID": message_id,
            "Auto-Submitted": "auto-generated",  # RFC 3834: no auto-replies, please
            "X-Auto-Response-Suppress": "All",
            "X-Caredesk-Event": event_kind,
            "X-Caredesk-Notification": idempotency_key,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _classify(exc: Exception) -> SendFailed:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return SendFailed(f"recipient refused: {exc.recipients!r}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPDataError):
        return SendFailed(f"message refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendFailed(f"server disconnected: {exc}", permanent=False, connection_lost=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        # Sender refused, authentication...: our configuration, not this message. Retry later.
        return SendFailed(f"SMTP {exc.smtp_code} {exc.smtp_error!r}", permanent=False, connection_lost=True)
    if isinstance(exc, ValueError):  # an address Django cannot encode
        return SendFailed(f"invalid message: {exc}", permanent=True)
    return SendFailed(f"{type(exc).__name__}: {exc}", permanent=False, connection_lost=True)


class Mailer:
    """One connection of a configured mailer, opened on first use and again after it was lost."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._backend: Any = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()

    def close(self) -> None:
        if self._backend is not None:
            with contextlib.suppress(Exception):  # a connection that fails to close is gone anyway
                self._backend.close()
            self._backend = None

    def send(self, message: NotificationEmail) -> None:
        try:
            if self._backend is None:
                backend = mail.mailers[self.alias]
                backend.open()
                self._backend = backend
            sent = self._backend.send_messages([message])
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            failure = _classify(exc)
            if failure.connection_lost:
                self.close()
            raise failure from exc
        if sent != 1:
            raise SendFailed("the mailer sent nothing", permanent=False)
