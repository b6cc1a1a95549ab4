"""Issue 8, item 4 (scale-out): the tenant key of the rows that belong to a person. Idempotency
answers, e-mail deliveries and notification preferences carry ``reseller``: the person's reseller
(an e-mail's is its recipient's), null for vendor staff, set by every write path and filled in by
the migrations for rows written before them (docs/scaling.md)."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.cases.models import IdempotencyRecord
from caredesk.notifications import services
from caredesk.notifications.models import EmailDelivery, NotificationPreference
from tests.conftest import World, case_payload


def _people(model: Any, person: str) -> set[tuple[int, int | None]]:
    """(person id, tenant key) of every row of ``model``."""
    return set(model.objects.values_list(f"{person}_id", "reseller_id"))


def _keyed_by_person(model: Any, person: str) -> None:
    """Every row's tenant key is its person's reseller (None for vendor staff)."""
    wrong = [
        (row.pk, getattr(row, f"{person}_id"), row.reseller_id)
        for row in model.objects.select_related(person)
        if row.reseller_id != getattr(row, person).reseller_id
    ]
    assert model.objects.exists() and not wrong, f"{model._meta.label}: rows keyed by another reseller: {wrong}"


@pytest.mark.django_db
def test_an_idempotency_answer_carries_the_callers_reseller_or_none_for_vendor_staff(world: World) -> None:
    dc, agent = world.a.dcs[0], world.agent
    created = world.client(dc).post("/api/cases", case_payload(world.a.account), HTTP_IDEMPOTENCY_KEY="k-dc")
    refused = world.client(agent).post("/api/cases", {}, HTTP_IDEMPOTENCY_KEY="k-agent")  # a 422 is kept too
    assert created.status_code == 201 and refused.status_code == 422
    assert set(IdempotencyRecord.objects.values_list("key", "reseller_id")) == {
        ("k-dc", world.a.reseller.pk),
        ("k-agent", None),
    }
    _keyed_by_person(IdempotencyRecord, "user")


@pytest.mark.django_db
def test_an_email_belongs_to_its_recipients_reseller_whatever_the_notification_concerns(world: World) -> None:
    """A reseller's case mailed to Customer Care is vendor staff's mail (no key); a vendor-wide notice
    mailed to a Designated Contact is that reseller's mail."""
    b_dc = world.b.dcs[0]
    for key, reseller_id in (("about-a", world.a.reseller.pk), ("vendor-wide", None)):
        services.notification_enqueue(
            event_kind="case_opened",
            recipients=[world.a.dcs[0], world.agent, b_dc],
            subject=key,
            body="body",
            context={},
            dedupe_key=key,
            reseller_id=reseller_id,
        )
    keys = set(EmailDelivery.objects.values_list("dedupe_key", "recipient_id", "reseller_id"))
    assert keys >= {
        ("about-a", world.a.dcs[0].pk, world.a.reseller.pk),
        ("about-a", world.agent.pk, None),
        ("vendor-wide", b_dc.pk, world.b.reseller.pk),
        ("vendor-wide", world.agent.pk, None),
    }
    _keyed_by_person(EmailDelivery, "recipient")


@pytest.mark.django_db
def test_a_preference_carries_its_persons_reseller_on_create_and_update(world: World) -> None:
    dc, agent = world.a.dcs[0], world.agent
    for email in (False, True):  # created, then updated
        services.notification_preferences_update(actor=dc, email_default=email, events=[("case_opened", email)])
        services.notification_preferences_update(actor=agent, events=[("case_opened", email)])
    assert _people(NotificationPreference, "user") == {(dc.pk, world.a.reseller.pk), (agent.pk, None)}
    assert NotificationPreference.objects.filter(user=dc).count() == 2
    _keyed_by_person(NotificationPreference, "user")
