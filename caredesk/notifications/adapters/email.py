"""E-mail messages of notifications and their sending over one of Django's mailers (``MAILERS``).

Each message is rendered from ``notifications/email/<event_kind>.{txt,html}``, falling back to
``generic.{txt,html}``. Its ``Message-ID`` is derived from the idempotency key (the notification's
dedupe key and the recipient), so a message sent again after a crash is recognisably the same one.
Failures come back as ``SendFailed``, marked permanent (the server refused this message or address:
retrying cannot help) or transient (network trouble, 4xx, our own configuration: retry later).
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
from types import TracebackType
from typing import Any, Self

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template

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


def build(
    *,
    event_kind: str,
    subject: str,
    context: dict[str, Any],
    to_address: str,
    from_address: str,
    message_id: str,
    idempotency_key: str,
) -> EmailMultiAlternatives:
    text, html = render(event_kind, context)
    message = EmailMultiAlternatives(
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

    def send(self, message: EmailMultiAlternatives) -> None:
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
