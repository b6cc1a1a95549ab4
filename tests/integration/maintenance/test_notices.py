"""Unplanned and emergency notices (DOMAIN.md "Maintenance"): Customer Care posts service, start,
end, reason and whether it is an emergency; the DCs of every affected reseller are notified; each
reseller's timeline of the notice is its own whole hash chain; bad input creates nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from caredesk.cases.models import RequestEvent
from caredesk.cases.timeline import request_event_content, verify_events
from caredesk.domain.errors import InvalidTransition, PermissionDenied, ValidationFailed
from caredesk.maintenance import notice_services, selectors
from caredesk.maintenance.models import MaintenanceNotice, NoticeReseller
from caredesk.tenancy import services as tenancy
from caredesk.tenancy.models import AuditEvent, Reseller
from tests.conftest import World, make_tenant
from tests.integration.maintenance.support import Outbox, add_account, z

pytestmark = pytest.mark.django_db

NOW = z("2027-02-10 13:00")


def reseller(world: World, label: str, *, term: tuple[str, str]) -> Reseller:
    """A reseller with two DCs and one Premier Edition account subscribed over ``term``."""
    new = tenancy.reseller_create(actor=world.admin, name=f"Reseller {label}")
    for i in (1, 2):
        tenancy.user_create(
            actor=world.admin,
            email=f"dc{i}@{label.lower()}.test",
            name=f"DC{i} {label}",
            role="designated_contact",
            reseller_id=new.pk,
        )
    add_account(world, SimpleNamespace(reseller=new), f"Account {label}", services=["premier_edition"], term=term)
    return new


def post(world: World, **overrides: Any) -> MaintenanceNotice:
    args: dict[str, Any] = dict(
        actor=world.agent,
        service="premier_edition",
        start=z("2027-02-10 14:00"),
        end=z("2027-02-10 16:00"),
        reason="Storage controller replacement",
        emergency=True,
        now=NOW,
    )
    args.update(overrides)
    return notice_services.notice_post(**args)


def test_every_affected_resellers_dcs_hear_of_a_notice(world: World, outbox: Outbox) -> None:
    gamma = make_tenant(world.admin, "Gamma", None)  # a third reseller using Premier Edition
    later = reseller(world, "Delta", term=("2027-03-01", "2027-12-31"))  # its subscription starts later
    notice = post(world)
    calls = outbox.of("maintenance_notice_posted")
    assert sorted(c["reseller_id"] for c in calls) == sorted(
        [world.a.reseller.pk, world.b.reseller.pk, gamma.reseller.pk]
    )
    assert later.pk not in {c["reseller_id"] for c in calls}
    by_reseller = {c["reseller_id"]: {u.email for u in c["recipients"]} for c in calls}
    assert by_reseller[world.a.reseller.pk] == {"dc1@alpha.test", "dc2@alpha.test"}
    assert by_reseller[world.b.reseller.pk] == {"dc1@zephyrine.test", "dc2@zephyrine.test"}
    assert all("Emergency maintenance" in c["subject"] for c in calls)
    assert {c["dedupe_key"] for c in calls} == {f"maintenance_notice_posted:{notice.pk}:{r}" for r in by_reseller}
    assert (
        "Your accounts using it: Account Alpha"
        in next(c for c in calls if c["reseller_id"] == world.a.reseller.pk)["body"]
    )
    # Each reseller has its own whole chain about the notice, and the vendor act is audited.
    rows = NoticeReseller.objects.filter(notice=notice)
    assert {r.reseller_id for r in rows} == set(by_reseller)
    for row in rows:
        events = list(RequestEvent.objects.filter(subject_type="notice_reseller", subject_id=row.pk).order_by("seq"))
        assert [e.kind for e in events] == ["notice_posted"] and events[0].reseller_id == row.reseller_id
        assert verify_events("notice", events, request_event_content) is None
    assert AuditEvent.objects.filter(kind="maintenance_notice_posted", subject_id=str(notice.pk)).count() == 1


def test_a_reseller_without_a_subscriber_hears_nothing(world: World, outbox: Outbox) -> None:
    dialer = add_account(world, world.a, "Dialer", services=["outbound_engagement"])
    notice = post(world, service="outbound_engagement", emergency=False)
    [call] = outbox.of("maintenance_notice_posted")
    assert call["reseller_id"] == world.a.reseller.pk and "Unplanned maintenance" in call["subject"]
    assert dialer.name in call["body"] and "Account Alpha" not in call["body"]
    assert list(NoticeReseller.objects.filter(notice=notice).values_list("reseller_id", flat=True)) == [
        world.a.reseller.pk
    ]


def test_resellers_see_the_notices_of_their_services_only(world: World, outbox: Outbox) -> None:
    seen = post(world)
    unseen = post(world, service="social_analytics")
    assert list(selectors.notice_list_for_actor(actor=world.a.staff)) == [seen]
    assert set(selectors.notice_list_for_actor(actor=world.agent)) == {seen, unseen}
    assert list(selectors.notice_list_for_actor(actor=world.a.dcs[0], since=z("2027-02-10 16:00"))) == []


def test_cancelling_tells_the_same_resellers_once(world: World, outbox: Outbox) -> None:
    notice = post(world)
    notice_services.notice_cancel(actor=world.manager, notice_id=notice.pk, reason="Vendor delay", now=NOW)
    assert len(outbox.of("maintenance_notice_cancelled")) == 2
    row = NoticeReseller.objects.get(notice=notice, reseller=world.a.reseller)
    kinds = RequestEvent.objects.filter(subject_type="notice_reseller", subject_id=row.pk).order_by("seq")
    assert [e.kind for e in kinds] == ["notice_posted", "notice_cancelled"]
    with pytest.raises(InvalidTransition):
        notice_services.notice_cancel(actor=world.manager, notice_id=notice.pk, reason="again", now=NOW)
    with pytest.raises(ValidationFailed):
        notice_services.notice_cancel(actor=world.manager, notice_id=post(world).pk, reason="", now=NOW)


def test_only_customer_care_posts_or_cancels(world: World, outbox: Outbox) -> None:
    for who in (world.a.dcs[0], world.a.staff, world.csm):
        with pytest.raises(PermissionDenied):
            post(world, actor=who)
    notice = post(world, actor=world.manager)
    with pytest.raises(PermissionDenied):
        notice_services.notice_cancel(actor=world.a.dcs[0], notice_id=notice.pk, reason="no", now=NOW)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": z("2027-02-10 14:00")}, "end"),  # not after the start
        ({"start": z("2027-02-10 10:00"), "end": z("2027-02-10 12:00")}, "end"),  # over before it is posted
        ({"service": "premier"}, "service"),
        ({"reason": " "}, "reason"),
        ({"start": z("2027-02-10 14:00").replace(tzinfo=None)}, "start"),
    ],
)
def test_bad_notices_name_the_field_and_create_nothing(
    world: World, outbox: Outbox, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        post(world, **overrides)
    assert field in info.value.errors
    assert not MaintenanceNotice.objects.exists() and not NoticeReseller.objects.exists()
    assert outbox.calls == []
