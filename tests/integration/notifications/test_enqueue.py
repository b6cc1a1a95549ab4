"""notification_enqueue, the one write path of notifications: rows in the caller's transaction, one
per recipient (and subscribed webhook), never twice for one idempotency key, respecting each
person's preferences (issue 5, item 3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from caredesk.domain.errors import ValidationFailed
from caredesk.notifications import recipients, services, webhook_services
from caredesk.notifications.models import (
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
    WebhookDelivery,
)
from caredesk.tenancy import services as tenancy_services
from caredesk.tenancy.models import User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def enqueue(**overrides: Any) -> int:
    args: dict[str, Any] = {
        "event_kind": "case_responded",
        "recipients": [],
        "subject": "Case #12: Customer Care responded",
        "body": "We are looking into it.",
        "context": {"case_id": 12},
        "dedupe_key": "case_responded:12:1",
        "reseller_id": None,
        "link": "/cases/12",
    }
    args.update(overrides)
    return services.notification_enqueue(**args)


def test_one_email_row_per_recipient_and_the_count_is_returned(world: World) -> None:
    n = enqueue(recipients=world.a.dcs, reseller_id=world.a.reseller.pk)
    assert n == 2
    rows = EmailDelivery.objects.order_by("recipient_id")
    assert [r.to_address for r in rows] == [u.email for u in world.a.dcs]
    assert all(r.status == DeliveryStatus.QUEUED and r.attempts == 0 for r in rows)
    assert len({r.message_id for r in rows}) == 2
    assert Notification.objects.get().context == {"case_id": 12}


def test_the_same_dedupe_key_never_records_a_recipient_twice(world: World) -> None:
    assert enqueue(recipients=world.a.dcs) == 2
    assert enqueue(recipients=world.a.dcs) == 0
    assert enqueue(recipients=[*world.a.dcs, world.manager]) == 1  # only the new person
    assert EmailDelivery.objects.count() == 3
    assert Notification.objects.count() == 1


def test_duplicates_in_the_list_and_inactive_people_are_skipped(world: World) -> None:
    gone = tenancy_services.user_create(
        actor=world.admin, email="gone@vendor.test", name="Gone", role="care_agent", password="correct-horse-9x"
    )
    User.objects.filter(pk=gone.pk).update(is_active=False)
    gone.refresh_from_db()
    assert enqueue(recipients=[world.agent, world.agent, gone]) == 1


def test_message_ids_derive_from_the_idempotency_key(world: World) -> None:
    enqueue(recipients=[world.agent], dedupe_key="k:1")
    enqueue(recipients=[world.agent], dedupe_key="k:2")
    first, second = EmailDelivery.objects.order_by("id")
    assert first.message_id != second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith("@localhost>")
    from caredesk.notifications.adapters.email import message_id_for

    assert first.message_id == message_id_for(dedupe_key="k:1", recipient_id=world.agent.pk, from_address="x@localhost")


def test_a_kind_turned_off_records_no_email_and_the_default_applies_otherwise(world: World) -> None:
    services.notification_preferences_update(actor=world.agent, events=[("case_responded", False)])
    services.notification_preferences_update(actor=world.manager, email_default=False, events=[("sla_breached", True)])
    assert enqueue(recipients=[world.agent, world.manager, world.csm]) == 1  # only the CSM (no choices)
    assert enqueue(event_kind="sla_breached", dedupe_key="b:1", recipients=[world.agent, world.manager]) == 2
    services.notification_preferences_update(actor=world.agent, events=[("case_responded", None)])
    assert NotificationPreference.objects.filter(user=world.agent).count() == 0
    assert enqueue(dedupe_key="again", recipients=[world.agent]) == 1


def test_webhooks_of_the_reseller_that_subscribe_to_the_kind_get_one_row_each(world: World) -> None:
    dc = world.a.dcs[0]
    every, _ = webhook_services.webhook_create(actor=dc, url="http://127.0.0.1:9/a", event_types=["*"])
    this, _ = webhook_services.webhook_create(actor=dc, url="http://127.0.0.1:9/b", event_types=["case_responded"])
    webhook_services.webhook_create(actor=dc, url="http://127.0.0.1:9/c", event_types=["sla_breached"])
    webhook_services.webhook_create(actor=dc, url="http://127.0.0.1:9/d", event_types=["*"], active=False)
    webhook_services.webhook_create(actor=world.b.dcs[0], url="http://127.0.0.1:9/e", event_types=["*"])
    assert enqueue(recipients=world.a.dcs, reseller_id=world.a.reseller.pk) == 4
    assert set(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == {every.pk, this.pk}
    assert enqueue(recipients=world.a.dcs, reseller_id=world.a.reseller.pk) == 0
    # Vendor-internal news (no reseller) reaches no webhook.
    assert enqueue(dedupe_key="internal", recipients=[world.manager], reseller_id=None) == 1
    assert WebhookDelivery.objects.count() == 2


def test_rows_are_part_of_the_callers_transaction(world: World) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(recipients=world.a.dcs)
        raise RuntimeError("the caller's write failed")
    assert EmailDelivery.objects.count() == 0 and Notification.objects.count() == 0


def test_delivery_is_enqueued_only_after_commit(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue(recipients=world.a.dcs)
        enqueue(recipients=world.a.dcs)  # nothing new: nothing more to schedule
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"event_kind": "Case Responded"}, "event_kind"),
        ({"subject": "  "}, "subject"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"context": {"x": object()}}, "context"),
        ({"reseller_id": 999_999}, "reseller_id"),
    ],
)
def test_invalid_notifications_are_refused_field_by_field(world: World, override: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        enqueue(recipients=world.a.dcs, **override)
    assert field in err.value.errors
    assert EmailDelivery.objects.count() == 0


def test_recipient_helpers_name_the_right_people(world: World) -> None:
    assert list(recipients.recipients_care_managers()) == [world.manager]
    assert list(recipients.recipients_customer_care()) == [world.agent, world.manager]
    assert list(recipients.recipients_vendor_admins()) == [world.admin]
    assert recipients.recipients_reseller_dcs(reseller_id=world.a.reseller.pk) == world.a.dcs
    # "also" adds the reseller's own staff member, never someone of another reseller.
    also = recipients.recipients_reseller_dcs(reseller_id=world.a.reseller.pk, also=[world.a.staff, world.b.dcs[0]])
    assert also == [*world.a.dcs, world.a.staff]
    assert set(recipients.recipients_reseller_people(reseller_id=world.a.reseller.pk)) == {*world.a.dcs, world.a.staff}
    assert recipients.recipients_account_csm(account_id=world.a.account.pk) == [world.csm]


def test_recording_costs_the_same_few_queries_for_two_recipients_or_twenty(world: World) -> None:
    people = [User.objects.create(email=f"p{i}@vendor.test", name=f"P{i}", role="care_agent") for i in range(20)]
    webhook_services.webhook_create(actor=world.a.dcs[0], url="http://127.0.0.1:9/a", event_types=["*"])
    counts = []
    for n in (2, 20):
        with CaptureQueriesContext(connection) as queries:
            assert enqueue(dedupe_key=f"q{n}", recipients=people[:n], reseller_id=world.a.reseller.pk) == n + 1
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def spec(key: str, **overrides: Any) -> services.NotificationSpec:
    args: dict[str, Any] = {
        "event_kind": "sla_breached",
        "recipients": [],
        "subject": f"Breach {key}",
        "body": "A target passed its due instant.",
        "context": {"key": key},
        "dedupe_key": key,
        "reseller_id": None,
    }
    args.update(overrides)
    return services.NotificationSpec(**args)


def test_a_batch_records_what_one_call_per_notification_would(world: World) -> None:
    webhook_services.webhook_create(actor=world.a.dcs[0], url="http://127.0.0.1:9/a", event_types=["sla_breached"])
    batch = [
        spec("b:1", recipients=world.a.dcs, reseller_id=world.a.reseller.pk),  # 2 e-mails + 1 webhook
        spec("b:2", recipients=[world.manager, world.agent]),  # 2 e-mails
        spec("b:2", recipients=[world.agent, world.csm], subject="ignored: b:2 is already in the batch"),  # +1
        spec("b:3", recipients=[world.manager], event_kind="case_resolved", reseller_id=world.a.reseller.pk),
    ]
    assert services.notification_enqueue_many(notifications=batch) == 7
    assert Notification.objects.get(dedupe_key="b:2").subject == "Breach b:2"
    assert set(EmailDelivery.objects.filter(dedupe_key="b:2").values_list("recipient_id", flat=True)) == {
        world.manager.pk,
        world.agent.pk,
        world.csm.pk,
    }
    assert list(WebhookDelivery.objects.values_list("dedupe_key", flat=True)) == ["b:1"]
    assert services.notification_enqueue_many(notifications=batch) == 0
    assert enqueue(dedupe_key="b:3", event_kind="case_resolved", recipients=[world.manager, world.agent]) == 1


def test_a_batch_costs_the_same_statements_for_two_notifications_or_forty(world: World) -> None:
    webhook_services.webhook_create(actor=world.a.dcs[0], url="http://127.0.0.1:9/a", event_types=["*"])
    counts = []
    for n in (2, 40):
        batch = [spec(f"n{n}:{i}", recipients=world.a.dcs, reseller_id=world.a.reseller.pk) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            assert services.notification_enqueue_many(notifications=batch) == 3 * n
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def test_a_batch_is_refused_whole_with_each_bad_field_named(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.notification_enqueue_many(
            notifications=[spec("ok", recipients=[world.agent]), spec("", event_kind="Bad", recipients=[world.agent])]
        )
    assert set(err.value.errors) == {"[1].event_kind", "[1].dedupe_key"}
    assert EmailDelivery.objects.count() == 0


def test_a_burst_is_delivered_by_a_few_passes_not_a_task_each(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        services.notification_enqueue_many(
            notifications=[spec(f"burst:{i}", recipients=[world.agent]) for i in range(120)]
        )
    assert len(callbacks) == 3
