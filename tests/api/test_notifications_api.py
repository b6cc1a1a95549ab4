"""API contract of the notifications router: a reseller's webhooks (its Designated Contacts and vendor
admins; the secret shown once), deliveries and the dead-letter list with replay, and each person's
own notification preferences."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caredesk.notifications import delivery, services
from caredesk.notifications.models import DeliveryStatus, EmailDelivery, Notification, WebhookDelivery
from tests.conftest import World
from tests.integration.notifications.servers import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(world: World) -> None:
    """The world's objects notify people as they are made; these tests count the outbox."""
    Notification.objects.all().delete()


@pytest.fixture
def receiver() -> Any:
    r = WebhookReceiver()
    yield r
    r.stop()


def create(world: World, receiver: WebhookReceiver, **body: Any) -> dict[str, Any]:
    r = world.client(world.a.dcs[0]).post(
        "/api/webhooks", {"url": receiver.url, "event_types": ["case_resolved"], **body}
    )
    assert r.status_code == 201, r.content
    created: dict[str, Any] = r.json()
    return created


def test_a_dc_registers_a_webhook_and_sees_its_secret_only_once(world: World, receiver: WebhookReceiver) -> None:
    created = create(world, receiver, description="Our PSA")
    assert created["secret"].startswith("whsec_") and created["reseller_id"] == world.a.reseller.pk
    assert created["event_types"] == ["case_resolved"] and created["active"] is True
    client = world.client(world.a.dcs[1])
    got = client.get(f"/api/webhooks/{created['id']}").json()
    assert "secret" not in got and got["description"] == "Our PSA"
    listed = client.get("/api/webhooks").json()
    assert [w["id"] for w in listed["results"]] == [created["id"]] and "secret" not in listed["results"][0]
    assert created["secret"] not in client.get("/api/webhooks").content.decode()


def test_only_dcs_and_vendor_admins_manage_webhooks(world: World, receiver: WebhookReceiver) -> None:
    created = create(world, receiver)
    for user in (world.a.staff, world.agent, world.manager, world.csm):
        client = world.client(user)
        assert client.get("/api/webhooks").status_code == 403
        assert client.post("/api/webhooks", {"url": receiver.url, "event_types": ["*"]}).status_code == 403
        assert client.get(f"/api/webhooks/{created['id']}").status_code == 403


def test_a_vendor_admin_names_the_reseller_and_sees_every_resellers_webhooks(
    world: World, receiver: WebhookReceiver
) -> None:
    create(world, receiver)
    admin = world.client(world.admin)
    r = admin.post("/api/webhooks", {"url": receiver.url, "event_types": ["*"]})
    assert r.status_code == 422 and "reseller_id" in r.json()["error"]["fields"]
    r = admin.post("/api/webhooks", {"url": receiver.url, "event_types": ["*"], "reseller_id": world.b.reseller.pk})
    assert r.status_code == 201 and r.json()["reseller_id"] == world.b.reseller.pk
    everyone = admin.get("/api/webhooks").json()["results"]
    assert {w["reseller_id"] for w in everyone} == {world.a.reseller.pk, world.b.reseller.pk}
    of_b = admin.get(f"/api/webhooks?reseller_id={world.b.reseller.pk}").json()["results"]
    assert r.json()["id"] in {w["id"] for w in of_b} and {w["reseller_id"] for w in of_b} == {world.b.reseller.pk}
    # A DC cannot register one for another reseller: that reseller is "not found".
    r = world.client(world.a.dcs[0]).post(
        "/api/webhooks", {"url": receiver.url, "event_types": ["*"], "reseller_id": world.b.reseller.pk}
    )
    assert r.status_code == 404


def test_invalid_webhooks_are_refused_field_by_field(world: World) -> None:
    r = world.client(world.a.dcs[0]).post(
        "/api/webhooks", {"url": "ftp://example.com/x", "event_types": ["Bad Kind"], "description": "x"}
    )
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert "http" in fields["url"] and "Bad Kind" in fields["event_types"]
    r = world.client(world.a.dcs[0]).post("/api/webhooks", {"url": "https://example.com/x", "event_types": []})
    assert r.status_code == 422 and "event_types" in r.json()["error"]["fields"]


def test_update_rotate_and_delete(world: World, receiver: WebhookReceiver) -> None:
    created = create(world, receiver)
    client = world.client(world.a.dcs[0])
    r = client.patch(f"/api/webhooks/{created['id']}", {"event_types": ["*"], "active": False})
    assert r.status_code == 200 and r.json()["event_types"] == ["*"] and r.json()["active"] is False
    r = client.post(f"/api/webhooks/{created['id']}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] != created["secret"]
    assert client.delete(f"/api/webhooks/{created['id']}").status_code == 204
    assert client.get(f"/api/webhooks/{created['id']}").status_code == 404


def test_the_dead_letter_list_and_replay(world: World, receiver: WebhookReceiver, settings: Any) -> None:
    settings.CAREDESK_NOTIFY_BACKOFF_SECONDS = []  # the first failure is final
    created = create(world, receiver)
    receiver.secret = created["secret"]
    receiver.fail_first = 1
    for i in range(3):
        services.notification_enqueue(
            event_kind="case_resolved",
            recipients=[],
            subject=f"Case #{i} resolved",
            body="Done.",
            context={"case_id": i},
            dedupe_key=f"case_resolved:{i}",
            reseller_id=world.a.reseller.pk,
        )
    report = delivery.webhook_deliver()
    assert (report.dead, report.sent) == (1, 2)
    client = world.client(world.a.dcs[0])
    with CaptureQueriesContext(connection) as queries:
        dead = client.get("/api/webhook-deliveries?status=dead").json()["results"]
    assert len(queries) <= 8, [q["sql"] for q in queries]
    assert len(dead) == 1 and dead[0]["status"] == "dead" and dead[0]["last_status_code"] == 500
    assert dead[0]["event_kind"] == "case_resolved" and dead[0]["webhook_id"] == created["id"]
    assert len(client.get(f"/api/webhooks/{created['id']}/deliveries").json()["results"]) == 3
    assert client.get("/api/webhook-deliveries?status=lost").status_code == 422
    # Another reseller's admin sees none of it; a vendor admin sees it all.
    assert world.client(world.b.dcs[0]).get("/api/webhook-deliveries").json()["results"] == []
    assert len(world.client(world.admin).get("/api/webhook-deliveries?status=dead").json()["results"]) == 1
    r = client.post(f"/api/webhook-deliveries/{dead[0]['id']}/replay")
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert client.post(f"/api/webhook-deliveries/{dead[0]['id']}/replay").status_code == 409
    assert delivery.webhook_deliver().sent == 1
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
    assert receiver.hits[-1].headers["X-Caredesk-Delivery"] == dead[0]["idempotency_id"]


def test_preferences_read_and_change(world: World) -> None:
    client = world.client(world.a.dcs[0])
    before = client.get("/api/me/notification-preferences").json()
    assert before["email_default"] is True
    kinds = {e["event_kind"]: e for e in before["events"]}
    assert kinds["maintenance_notice_posted"] == {
        "event_kind": "maintenance_notice_posted",
        "email": True,
        "chosen": False,
        "description": kinds["maintenance_notice_posted"]["description"],
    }
    r = client.patch(
        "/api/me/notification-preferences",
        {"email_default": False, "events": [{"event_kind": "case_resolved", "email": True}]},
    )
    assert r.status_code == 200
    after = {e["event_kind"]: e for e in r.json()["events"]}
    assert r.json()["email_default"] is False
    assert after["case_resolved"]["email"] is True and after["case_resolved"]["chosen"] is True
    assert after["maintenance_notice_posted"]["email"] is False
    # The choices govern what is recorded for this person, and no one else's.
    for kind in ("case_resolved", "maintenance_notice_posted"):
        services.notification_enqueue(
            event_kind=kind,
            recipients=world.a.dcs,
            subject="s",
            body="b",
            context={},
            dedupe_key=kind,
            reseller_id=None,
        )
    assert sorted(EmailDelivery.objects.filter(recipient=world.a.dcs[0]).values_list("dedupe_key", flat=True)) == [
        "case_resolved"
    ]
    assert EmailDelivery.objects.filter(recipient=world.a.dcs[1]).count() == 2
    r = client.patch("/api/me/notification-preferences", {"events": [{"event_kind": "case_resolved", "email": None}]})
    assert {e["event_kind"]: e for e in r.json()["events"]}["case_resolved"]["chosen"] is False
    r = client.patch("/api/me/notification-preferences", {"events": [{"event_kind": "NOPE!", "email": True}]})
    assert r.status_code == 422 and "events[0].event_kind" in r.json()["error"]["fields"]
