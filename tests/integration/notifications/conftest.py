from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.notifications.servers import SmtpSink, WebhookReceiver


@pytest.fixture(autouse=True)
def _empty_outbox(request: pytest.FixtureRequest) -> None:
    """The shared world's objects notify people as they are made (cases, post-mortems...); these
    tests count the outbox, so they start from an empty one."""
    if "world" in request.fixturenames:
        from caredesk.notifications.models import Notification

        request.getfixturevalue("world")
        Notification.objects.all().delete()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on loopback, and the default mailer pointed at it."""
    sink = SmtpSink().start()
    settings.MAILERS = {"default": sink.mailer()}
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    try:
        yield r
    finally:
        r.stop()
