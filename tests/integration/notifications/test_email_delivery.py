"""E-mail delivery over real SMTP (aiosmtpd on loopback): text and HTML bodies from templates,
stable Message-IDs, one e-mail per recipient however often a notification is enqueued or delivered,
retries with back-off, dead letters, and leases that expire when a worker dies (issue 5, items 3, 6)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.utils import timezone

from caredesk.notifications import conf, delivery, services
from caredesk.notifications.adapters import email as email_adapter
from caredesk.notifications.models import DeliveryStatus, EmailDelivery
from tests.conftest import World
from tests.integration.notifications.servers import SmtpSink, free_port

pytestmark = pytest.mark.django_db


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return str(part.get_content())


def enqueue(world: World, **overrides: Any) -> int:
    args: dict[str, Any] = {
        "event_kind": "case_responded",
        "recipients": world.a.dcs,
        "subject": "Case #12: Customer Care responded",
        "body": "We are looking into it.\nExpect an update <today>.",
        "context": {"case_id": 12},
        "dedupe_key": "case_responded:12:1",
        "reseller_id": world.a.reseller.pk,
        "link": "/cases/12",
    }
    args.update(overrides)
    return services.notification_enqueue(**args)


def test_an_enqueued_notification_is_mailed_after_commit_in_text_and_html(
    world: World, smtp: SmtpSink, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.CAREDESK_PUBLIC_URL = "https://desk.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(world)
    assert len(smtp.received) == 2
    by_to = {r.envelope_to[0]: r.message for r in smtp.received}
    msg = by_to[world.a.dcs[0].email]
    row = EmailDelivery.objects.get(recipient=world.a.dcs[0])
    assert row.status == DeliveryStatus.SENT and row.delivered_at is not None and row.attempts == 1
    assert msg["Message-ID"] == row.message_id
    assert msg["Subject"] == "Case #12: Customer Care responded"
    assert msg["X-Caredesk-Event"] == "case_responded"
    assert msg["X-Caredesk-Notification"] == "case_responded:12:1"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = body(msg, "plain")
    html = body(msg, "html")
    assert f"Hello {world.a.dcs[0].name}," in text and "Expect an update <today>." in text
    assert "https://desk.example.com/cases/12" in text
    assert "Expect an update &lt;today&gt;." in html and "<today>" not in html  # escaped in HTML
    assert 'href="https://desk.example.com/cases/12"' in html


def test_a_kind_with_its_own_template_uses_it_and_others_fall_back_to_the_generic_one(
    world: World, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(
            world,
            event_kind="maintenance_notice_posted",
            dedupe_key="notice:1",
            recipients=[world.a.dcs[0]],
            context={"emergency": True},
        )
        enqueue(world, dedupe_key="generic:1", recipients=[world.a.dcs[0]])
    special, generic = (r.message for r in smtp.received)
    assert "EMERGENCY maintenance has been announced." in body(special, "plain")
    assert "<strong>Emergency maintenance" in body(special, "html")
    assert "maintenance" not in body(generic, "plain")


def test_enqueueing_twice_mails_once(world: World, smtp: SmtpSink, django_capture_on_commit_callbacks: Any) -> None:
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            enqueue(world)
    assert sorted(smtp.message_ids().values()) == [1, 1]


def test_delivering_twice_mails_once(world: World, smtp: SmtpSink) -> None:
    enqueue(world)
    notification_id = EmailDelivery.objects.first().notification_id  # type: ignore[union-attr]
    first = delivery.deliver_notification(notification_id=notification_id)
    second = delivery.deliver_notification(notification_id=notification_id)
    third = delivery.deliver_due()
    assert (first.sent, second.claimed, third.claimed) == (2, 0, 0)
    assert len(smtp.received) == 2


def test_a_recipient_the_server_refuses_for_good_is_dead_at_once(world: World, smtp: SmtpSink) -> None:
    smtp.refuse[world.a.dcs[0].email] = "550 5.1.1 no such mailbox"
    enqueue(world)
    report = delivery.deliver_due()
    assert (report.sent, report.dead, report.retried) == (1, 1, 0)
    dead = EmailDelivery.objects.get(recipient=world.a.dcs[0])
    assert dead.status == DeliveryStatus.DEAD and "550" in dead.last_error


def test_a_temporary_refusal_is_retried_with_back_off_until_it_gives_up(world: World, smtp: SmtpSink) -> None:
    smtp.refuse[world.a.dcs[0].email] = "451 4.3.0 try again later"
    enqueue(world, recipients=[world.a.dcs[0]])
    row = EmailDelivery.objects.get()
    start = row.due_at
    now = start
    waits = []
    for _ in range(len(conf.backoff())):
        assert delivery.deliver_due(now=now).retried == 1
        row.refresh_from_db()
        assert row.status == DeliveryStatus.QUEUED and row.lease_token == ""
        waits.append(int((row.due_at - now).total_seconds()))
        assert delivery.deliver_due(now=row.due_at - timedelta(seconds=1)).claimed == 0  # not yet due
        now = row.due_at
    assert waits == [60, 300, 1800, 7200, 43200]
    assert delivery.deliver_due(now=now).dead == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DEAD and row.attempts == 6 and "451" in row.last_error
    assert smtp.received == []


def test_a_server_that_is_down_is_retried_and_the_mail_goes_out_once_it_is_back(
    world: World, smtp: SmtpSink, settings: Any
) -> None:
    working = settings.MAILERS
    settings.MAILERS = {"default": {**working, "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2}}}
    enqueue(world)
    assert delivery.deliver_due().retried == 2
    settings.MAILERS = working
    later = timezone.now() + timedelta(seconds=61)
    assert delivery.deliver_due(now=later).sent == 2
    assert sorted(smtp.message_ids().values()) == [1, 1]


def test_a_row_whose_worker_died_is_sent_when_its_lease_expires_with_the_same_message_id(
    world: World, smtp: SmtpSink
) -> None:
    enqueue(world, recipients=[world.a.dcs[0]])
    now = timezone.now()
    # A worker claims the row and dies before sending: the row stays "sending" under its lease.
    [claimed] = delivery._claim(EmailDelivery, now=now, limit=10, notification_id=None)
    assert delivery.deliver_due(now=now + conf.lease() - timedelta(seconds=1)).claimed == 0  # still leased
    report = delivery.deliver_due(now=now + conf.lease())
    assert report.sent == 1
    row = EmailDelivery.objects.get()
    assert row.status == DeliveryStatus.SENT and row.reclaims == 1 and row.attempts == 2
    assert "lease expired" in row.last_error
    assert smtp.message_ids() == {claimed.message_id: 1}


def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(world: World, smtp: SmtpSink) -> None:
    enqueue(world, recipients=[world.a.dcs[0]])
    now = timezone.now()
    [slow] = delivery._claim(EmailDelivery, now=now, limit=10, notification_id=None)
    assert delivery._claim(EmailDelivery, now=now, limit=10, notification_id=None) == []  # leased: not claimable
    [taken_over] = delivery._claim(EmailDelivery, now=now + conf.lease(), limit=10, notification_id=None)
    assert taken_over.lease_token != slow.lease_token
    assert delivery._record(slow, status=DeliveryStatus.DEAD) is False
    assert delivery._record(taken_over, status=DeliveryStatus.SENT) is True
    assert EmailDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_worker_running_out_of_lease_hands_its_remaining_rows_back(
    world: World, smtp: SmtpSink, settings: Any
) -> None:
    settings.CAREDESK_NOTIFY_LEASE_SECONDS = 0  # every send is "too late": nothing is attempted
    enqueue(world)
    report = delivery.email_deliver()
    assert (report.claimed, report.released, report.sent) == (2, 2, 0)
    assert set(EmailDelivery.objects.values_list("status", "attempts", "lease_token")) == {("queued", 0, "")}
    settings.CAREDESK_NOTIFY_LEASE_SECONDS = 120
    assert delivery.deliver_due().sent == 2


def test_mail_to_a_person_deactivated_after_the_notification_is_not_sent(world: World, smtp: SmtpSink) -> None:
    enqueue(world)
    world.a.dcs[0].is_active = False
    world.a.dcs[0].save(update_fields=["is_active"])
    report = delivery.deliver_due()
    assert (report.sent, report.dead) == (1, 1)
    assert [r.envelope_to for r in smtp.received] == [[world.a.dcs[1].email]]


def _message(**overrides: Any) -> email_adapter.NotificationEmail:
    args: dict[str, Any] = {
        "event_kind": "case_responded",
        "subject": "Réunion : l'incident critique du service de messagerie « Cloud » est résolu, merci",
        "context": {"recipient_name": "Zoë Ångström", "body": "Ça marche.\n" + "x" * 300, "link": "/cases/1"},
        "to_address": "Zoë Ångström <zoe@exämple.test>",
        "from_address": "Caredésk <care@vendor.test>",
        "message_id": "<abc.1@vendor.test>",
        "idempotency_key": "case_responded:1:1",
    }
    args.update(overrides)
    return email_adapter.build(**args)


def test_a_notification_email_is_7bit_clean_on_the_wire_and_decodes_to_what_was_written(smtp: SmtpSink) -> None:
    message = _message()
    with email_adapter.Mailer("default") as mailer:
        mailer.send(message)
    (got,) = smtp.received
    assert got.raw.isascii() and max(len(line) for line in got.raw.split(b"\r\n")) <= 998
    assert got.envelope_to == ["zoe@xn--exmple-cua.test"]  # IDNA in the envelope
    msg = got.message
    assert not msg.defects and all(not part.defects for part in msg.walk())
    assert msg["Subject"] == message.subject
    assert msg["From"] == "Caredésk <care@vendor.test>"
    assert msg["To"] == "Zoë Ångström <zoe@xn--exmple-cua.test>"
    assert msg["Message-ID"] == "<abc.1@vendor.test>" and msg["Date"].datetime is not None
    assert msg.get_content_type() == "multipart/alternative" and msg["MIME-Version"] == "1.0"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    unix = {kind: body(msg, kind).replace("\r\n", "\n") for kind in ("plain", "html")}  # CRLF on the wire
    assert unix["plain"] == message.body and unix["html"] == message.alternatives[0][0]
    assert "Hello Zoë Ångström," in unix["plain"] and "x" * 300 in unix["plain"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"idempotency_key": "k\r\nBcc: thief@example.com"},
        {"message_id": "<a@b>\nX-Injected: 1"},
        {"to_address": "victim@example.com\r\nBcc: thief@example.com"},
        {"to_address": "zoë@example.com"},  # a non-ASCII local part needs SMTPUTF8
        {"to_address": "not an address"},
    ],
)
def test_a_header_that_would_break_the_message_is_refused_for_good_and_nothing_is_sent(
    smtp: SmtpSink, overrides: dict[str, str]
) -> None:
    with email_adapter.Mailer("default") as mailer, pytest.raises(email_adapter.SendFailed) as failed:
        mailer.send(_message(**overrides))
    assert failed.value.permanent
    assert smtp.received == []


def test_an_outcome_is_one_statement_per_message_and_the_batch_does_not_wait_for_the_wal_flush(
    world: World, smtp: SmtpSink
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(recipients: int, key: str) -> int:
        enqueue(world, recipients=(world.a.dcs + world.b.dcs)[:recipients], dedupe_key=key)
        with CaptureQueriesContext(connection) as queries:
            assert delivery.email_deliver().sent == recipients
        return len(queries)

    two, four = statements(2, "two"), statements(4, "four")
    assert four - two == 2  # the claim is per batch; each message adds its outcome and nothing else
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            before = cursor.fetchone()[0]
            with delivery._outcomes_without_flush(connection.alias):
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "off"
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == before == "on"
