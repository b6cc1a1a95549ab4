"""Webhook delivery to a real HTTP receiver on loopback: signed JSON bodies, retries with exponential
back-off, a dead-letter state that can be replayed, no redirects, and the SSRF guard (issue 5,
item 3: "delivery only to http(s) addresses that the admin registered, with private and loopback
addresses refused unless a setting allows them")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caredesk.domain.errors import InvalidTransition, ValidationFailed
from caredesk.notifications import conf, delivery, services, webhook_services
from caredesk.notifications.adapters import webhook_http
from caredesk.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.conftest import World
from tests.integration.notifications.servers import WebhookReceiver

pytestmark = pytest.mark.django_db


def subscribe(world: World, receiver: WebhookReceiver, kinds: tuple[str, ...] = ("*",)) -> WebhookEndpoint:
    endpoint, secret = webhook_services.webhook_create(actor=world.a.dcs[0], url=receiver.url, event_types=kinds)
    receiver.secret = secret
    return endpoint


def enqueue(world: World, key: str = "case_resolved:7") -> int:
    return services.notification_enqueue(
        event_kind="case_resolved",
        recipients=[],
        subject="Case #7 resolved",
        body="A workaround is in place.",
        context={"case_id": 7, "resolution": "workaround"},
        dedupe_key=key,
        reseller_id=world.a.reseller.pk,
        link="/cases/7",
    )


def test_a_webhook_is_a_signed_json_post_with_event_and_delivery_headers(
    world: World, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(world, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue(world) == 1
    [hit] = receiver.hits
    row = WebhookDelivery.objects.get()
    assert hit.signature_ok and hit.path == "/hooks/caredesk"
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["X-Caredesk-Event"] == "case_resolved"
    assert hit.headers["X-Caredesk-Delivery"] == str(row.idempotency_id)
    assert hit.headers["X-Caredesk-Signature"].startswith("t=")
    body = hit.json()
    assert body["id"] == str(row.idempotency_id) and body["event"] == "case_resolved"
    assert body["reseller_id"] == world.a.reseller.pk
    assert body["data"] == {"case_id": 7, "resolution": "workaround"}
    assert body["subject"] == "Case #7 resolved" and body["link"] == "/cases/7"
    assert row.status == DeliveryStatus.SENT and row.last_status_code == 200


def test_a_signature_made_with_another_secret_or_too_long_ago_does_not_verify() -> None:
    body = b'{"id":"x"}'
    header = webhook_http.sign("whsec_right", body, 1_800_000_000)
    assert webhook_http.verify("whsec_right", header, body, now=1_800_000_100)
    assert not webhook_http.verify("whsec_wrong", header, body, now=1_800_000_100)
    assert not webhook_http.verify("whsec_right", header, body + b" ", now=1_800_000_100)
    assert not webhook_http.verify("whsec_right", header, body, now=1_800_000_000 + 301)  # a replay
    assert not webhook_http.verify("whsec_right", "v1=abc", body, now=1_800_000_000)


def test_only_the_kinds_an_endpoint_subscribes_to_reach_it(world: World, receiver: WebhookReceiver) -> None:
    subscribe(world, receiver, kinds=("sla_breached",))
    assert enqueue(world) == 0
    delivery.deliver_due()
    assert receiver.hits == []


def test_a_receiver_that_fails_twice_gets_retries_after_one_then_five_minutes(
    world: World, receiver: WebhookReceiver
) -> None:
    subscribe(world, receiver)
    receiver.fail_first = 2
    enqueue(world)
    t0 = timezone.now()
    assert delivery.deliver_due(now=t0).retried == 1
    row = WebhookDelivery.objects.get()
    assert row.due_at == t0 + timedelta(minutes=1) and row.last_status_code == 500 and "HTTP 500" in row.last_error
    assert delivery.deliver_due(now=t0 + timedelta(seconds=59)).claimed == 0
    assert delivery.deliver_due(now=row.due_at).retried == 1
    row.refresh_from_db()
    assert row.due_at == t0 + timedelta(minutes=1) + timedelta(minutes=5)
    assert delivery.deliver_due(now=row.due_at).sent == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 3
    assert [h.status for h in receiver.hits] == [500, 500, 200]
    # Every attempt carries the same delivery id, so the receiver can deduplicate, and a fresh signature.
    assert {h.headers["X-Caredesk-Delivery"] for h in receiver.hits} == {str(row.idempotency_id)}
    assert all(h.signature_ok for h in receiver.hits)
    assert [h.headers["X-Caredesk-Attempt"] for h in receiver.hits] == ["1", "2", "3"]


def test_retries_exhausted_leave_a_dead_letter_that_a_replay_delivers(world: World, receiver: WebhookReceiver) -> None:
    subscribe(world, receiver)
    receiver.fail_first = 6
    enqueue(world)
    now = timezone.now()
    for _ in range(6):
        delivery.deliver_due(now=now)
        now = WebhookDelivery.objects.get().due_at
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.DEAD and row.attempts == 6 and len(receiver.hits) == 6
    assert delivery.deliver_due(now=now + timedelta(days=30)).claimed == 0  # the dead stay dead
    replayed = webhook_services.webhook_delivery_replay(actor=world.a.dcs[0], delivery_id=row.pk)
    assert replayed.status == DeliveryStatus.QUEUED and replayed.attempts == 0 and replayed.replayed_at
    assert delivery.deliver_due().sent == 1
    assert receiver.hits[-1].status == 200
    assert receiver.hits[-1].headers["X-Caredesk-Delivery"] == str(row.idempotency_id)
    with pytest.raises(InvalidTransition):
        webhook_services.webhook_delivery_replay(actor=world.a.dcs[0], delivery_id=row.pk)


def test_redirects_are_not_followed(world: World, receiver: WebhookReceiver) -> None:
    elsewhere = WebhookReceiver()
    try:
        subscribe(world, receiver)
        receiver.redirect_to = elsewhere.url
        enqueue(world)
        assert delivery.deliver_due().retried == 1
        assert WebhookDelivery.objects.get().last_status_code == 302
        assert elsewhere.hits == []
    finally:
        elsewhere.stop()


def test_a_rotated_secret_signs_the_next_attempt(world: World, receiver: WebhookReceiver) -> None:
    endpoint = subscribe(world, receiver)
    receiver.fail_first = 1
    enqueue(world)
    delivery.deliver_due()
    old = receiver.secret
    _, receiver.secret = webhook_services.webhook_secret_rotate(actor=world.a.dcs[0], webhook_id=endpoint.pk)
    assert receiver.secret != old
    assert delivery.deliver_due(now=timezone.now() + timedelta(minutes=2)).sent == 1
    first, second = receiver.hits
    assert first.signature_ok and second.signature_ok  # each checked with the secret of its time
    sig = second.headers["X-Caredesk-Signature"]
    assert not webhook_http.verify(old, sig, second.body, now=int(timezone.now().timestamp()))


def test_a_deactivated_endpoint_gets_nothing_new_and_its_queued_rows_die(
    world: World, receiver: WebhookReceiver
) -> None:
    endpoint = subscribe(world, receiver)
    enqueue(world, key="one")
    webhook_services.webhook_update(actor=world.a.dcs[0], webhook_id=endpoint.pk, active=False)
    assert enqueue(world, key="two") == 0
    assert delivery.deliver_due().dead == 1
    assert receiver.hits == []


# ------------------------------------------------------------------ SSRF guard


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata service
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("ff02::1", "multicast"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_addresses_other_than_public_unicast_are_refused(address: str, reason: str | None) -> None:
    assert webhook_http.refusal_reason(address) == reason


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "http://user:pass@example.com/hook",
        "http:///nohost",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "not a url",
    ],
)
def test_only_plain_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(webhook_http.WebhookRefused):
        webhook_http.parse_url(url)


def test_loopback_and_private_hosts_are_refused_when_the_setting_is_off(
    world: World, receiver: WebhookReceiver, settings: Any
) -> None:
    endpoint = subscribe(world, receiver)  # registered while private addresses were allowed
    settings.CAREDESK_WEBHOOK_ALLOW_PRIVATE = False
    for url in (receiver.url, "http://localhost:8080/hook", "http://[::1]/hook", "http://10.0.0.7/hook"):
        with pytest.raises(ValidationFailed) as err:
            webhook_services.webhook_create(actor=world.a.dcs[0], url=url, event_types=["*"])
        assert "url" in err.value.errors
    # At delivery the host is resolved again: the loopback receiver is refused for good, unsent.
    enqueue(world)
    assert delivery.deliver_due().dead == 1
    row = WebhookDelivery.objects.get()
    assert row.endpoint_id == endpoint.pk and "loopback" in row.last_error
    assert receiver.hits == []


def test_a_host_that_does_not_resolve_is_refused_at_registration(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        webhook_services.webhook_create(actor=world.a.dcs[0], url="https://no-such-host.invalid/x", event_types=["*"])
    assert "does not resolve" in err.value.errors["url"]


def test_an_unreachable_receiver_is_a_retry_not_a_crash(world: World, receiver: WebhookReceiver) -> None:
    subscribe(world, receiver)
    receiver.stop()
    enqueue(world)
    assert delivery.deliver_due().retried == 1
    assert "Error" in WebhookDelivery.objects.get().last_error


def test_the_body_is_the_same_bytes_on_every_attempt(world: World, receiver: WebhookReceiver) -> None:
    subscribe(world, receiver)
    receiver.fail_first = 1
    enqueue(world)
    delivery.deliver_due()
    delivery.deliver_due(now=timezone.now() + conf.lease())
    first, second = receiver.hits
    assert first.body == second.body and json.loads(first.body)["event"] == "case_resolved"
