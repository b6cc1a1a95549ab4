"""Reschedule requests (DOMAIN.md "Maintenance", "The record"): a DC asks for one account and one
occurrence, Customer Care accepts or declines with a reason; pending -> accepted | declined only;
every step a hash-chained event; the requester's side and Customer Care hear of it."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.cases.models import RequestEvent
from caredesk.cases.timeline import GENESIS, request_event_content, verify_events
from caredesk.domain.errors import InvalidTransition, PermissionDenied, ValidationFailed
from caredesk.maintenance import services
from caredesk.maintenance.models import RescheduleRequest
from tests.conftest import World
from tests.integration.maintenance.support import Outbox, add_account, z

pytestmark = pytest.mark.django_db

PR = "premier_edition"
NOW = z("2027-01-02 12:00")


def ask(world: World, **overrides: Any) -> RescheduleRequest:
    args: dict[str, Any] = dict(
        actor=world.a.dcs[0],
        account_id=world.a.account.pk,
        service=PR,
        planned_start=z("2027-01-06 03:00"),
        proposed_start=z("2027-01-09 03:00"),
        reason="Month-end close runs overnight",
        now=NOW,
    )
    args.update(overrides)
    return services.reschedule_request(**args)


def chain(request: RescheduleRequest) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(subject_type="reschedule", subject_id=request.pk).order_by("seq"))


def test_a_dc_asks_and_customer_care_managers_and_agents_hear_of_it(world: World, outbox: Outbox) -> None:
    request = ask(world)
    assert (request.status, request.planned_end, request.reseller_id) == (
        "pending",
        z("2027-01-06 10:00"),
        world.a.reseller.pk,
    )
    [event] = chain(request)
    assert (event.kind, event.seq, event.prev_hash, event.actor_id) == (
        "reschedule_requested",
        1,
        GENESIS,
        world.a.dcs[0].pk,
    )
    assert event.data["proposed_start"] == "2027-01-09T03:00:00Z"
    assert outbox.emails("reschedule_requested") == [{"agent@vendor.test", "manager@vendor.test"}]
    [call] = outbox.of("reschedule_requested")
    assert call["dedupe_key"] == f"reschedule_requested:{request.pk}" and call["reseller_id"] == world.a.reseller.pk
    # The body shows the times in the account's zone as well as in UTC.
    assert "Tue 2027-01-05 22:00 EST" in call["body"] and "Account Alpha" in call["subject"]


def test_accepting_moves_the_occurrence_and_tells_the_resellers_dcs(world: World, outbox: Outbox) -> None:
    request = ask(world)
    services.reschedule_accept(actor=world.agent, reschedule_id=request.pk, note="Fine by ops", now=NOW)
    request.refresh_from_db()
    assert (request.status, request.decided_by_id, request.decision_reason) == (
        "accepted",
        world.agent.pk,
        "Fine by ops",
    )
    events = chain(request)
    assert [e.kind for e in events] == ["reschedule_requested", "reschedule_accepted"]
    assert events[1].prev_hash == events[0].hash
    assert verify_events("reschedule", events, request_event_content) is None
    assert outbox.emails("reschedule_decided") == [{"dc1@alpha.test", "dc2@alpha.test"}]
    assert "now runs Fri 2027-01-08 22:00 EST" in outbox.of("reschedule_decided")[0]["body"]
    # Decided once: neither a second accept nor a decline may follow.
    with pytest.raises(InvalidTransition):
        services.reschedule_accept(actor=world.manager, reschedule_id=request.pk, now=NOW)
    with pytest.raises(InvalidTransition):
        services.reschedule_decline(actor=world.manager, reschedule_id=request.pk, reason="Changed mind", now=NOW)
    assert len(chain(request)) == 2


def test_declining_needs_a_reason_and_leaves_the_window_in_place(world: World, outbox: Outbox) -> None:
    request = ask(world)
    with pytest.raises(ValidationFailed) as info:
        services.reschedule_decline(actor=world.manager, reschedule_id=request.pk, reason="  ", now=NOW)
    assert info.value.errors == {"reason": "required"}
    request.refresh_from_db()
    assert request.status == "pending" and len(chain(request)) == 1 and not outbox.of("reschedule_decided")
    services.reschedule_decline(actor=world.manager, reschedule_id=request.pk, reason="Security patch", now=NOW)
    request.refresh_from_db()
    assert request.status == "declined" and chain(request)[-1].data == {"reason": "Security patch"}
    assert "stays Tue 2027-01-05 22:00 EST" in outbox.of("reschedule_decided")[0]["body"]
    # Once declined, the DC may ask again for the same occurrence.
    assert ask(world, proposed_start=z("2027-01-10 03:00")).status == "pending"


def test_only_dcs_ask_and_only_customer_care_decides(world: World, outbox: Outbox) -> None:
    for who in (world.a.staff, world.agent, world.csm, world.admin):
        with pytest.raises(PermissionDenied):
            ask(world, actor=who)
    request = ask(world)
    for who in (world.a.dcs[1], world.a.staff, world.csm):
        with pytest.raises(PermissionDenied):
            services.reschedule_accept(actor=who, reschedule_id=request.pk, now=NOW)
        with pytest.raises(PermissionDenied):
            services.reschedule_decline(actor=who, reschedule_id=request.pk, reason="no", now=NOW)
    services.reschedule_accept(actor=world.admin, reschedule_id=request.pk, now=NOW)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"planned_start": z("2027-01-06 04:00")}, "planned_start"),  # not the start of an occurrence
        ({"planned_start": z("2027-01-04 03:00")}, "planned_start"),  # a Monday: no window starts then
        ({"planned_start": z("2027-01-06 03:00"), "now": z("2027-01-06 03:00")}, "planned_start"),  # begun
        ({"proposed_start": z("2027-01-01 03:00")}, "proposed_start"),  # in the past
        ({"proposed_start": z("2027-01-06 03:00")}, "proposed_start"),  # where it already is
        ({"proposed_start": z("2027-01-07 01:00")}, "proposed_start"),  # would overlap Wednesday's window
        ({"reason": ""}, "reason"),
        ({"service": "pureengage"}, "service"),
        ({"service": "outbound_engagement"}, "service"),  # a service the account does not subscribe to
        ({"account_id": 0}, "account_id"),
    ],
)
def test_bad_requests_name_the_field_and_create_nothing(
    world: World, outbox: Outbox, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        ask(world, **overrides)
    assert field in info.value.errors
    assert not RescheduleRequest.objects.filter(account=world.a.account).exists()
    assert not RequestEvent.objects.filter(subject_type="reschedule", reseller=world.a.reseller).exists()
    assert outbox.calls == []


def test_naive_instants_and_another_tenants_account_are_refused(world: World, outbox: Outbox) -> None:
    with pytest.raises(ValidationFailed) as info:
        ask(
            world,
            planned_start=z("2027-01-06 03:00").replace(tzinfo=None),
            proposed_start=z("2027-01-09 03:00").replace(tzinfo=None),
        )
    assert set(info.value.errors) == {"planned_start", "proposed_start"}
    with pytest.raises(ValidationFailed) as info:
        ask(world, account_id=world.b.account.pk)
    assert info.value.errors == {"account_id": "no such End User Account"}


def test_one_live_request_per_occurrence_and_account(world: World, outbox: Outbox) -> None:
    first = ask(world)
    with pytest.raises(InvalidTransition):
        ask(world, actor=world.a.dcs[1], proposed_start=z("2027-01-10 03:00"))
    services.reschedule_accept(actor=world.agent, reschedule_id=first.pk, now=NOW)
    with pytest.raises(InvalidTransition):
        ask(world, proposed_start=z("2027-01-10 03:00"))
    # Another account of the reseller (or another reseller) has its own occurrence.
    other = add_account(world, world.a, "Second", services=[PR])
    assert ask(world, account_id=other.pk).status == "pending"
    assert ask(world, actor=world.b.dcs[0], account_id=world.b.account.pk).status == "pending"


def test_a_request_whose_occurrence_began_while_pending_can_only_be_declined(world: World, outbox: Outbox) -> None:
    request = ask(world)
    later = z("2027-01-06 03:00")
    with pytest.raises(ValidationFailed) as info:
        services.reschedule_accept(actor=world.agent, reschedule_id=request.pk, now=later)
    assert "planned_start" in info.value.errors
    services.reschedule_decline(actor=world.agent, reschedule_id=request.pk, reason="Too late", now=later)


def test_pureengage_is_moved_in_its_deployment_zone_across_a_dst_change(world: World, outbox: Outbox) -> None:
    # New York springs forward on Sun 2027-03-14: the Thursday-before window starts 05:00Z, the
    # Tuesday-after one 04:00Z; moving across the change keeps the six hours.
    request = ask(
        world,
        service="pureengage_cloud",
        planned_start=z("2027-03-11 05:00"),
        proposed_start=z("2027-03-14 08:00"),
        now=z("2027-03-01 00:00"),
    )
    assert request.planned_end == z("2027-03-11 11:00")
    with pytest.raises(ValidationFailed):  # Tuesday 16 March at 05:00Z is not a planned start any more
        ask(world, service="pureengage_cloud", planned_start=z("2027-03-16 05:00"), now=z("2027-03-01 00:00"))
    assert ask(
        world,
        service="pureengage_cloud",
        planned_start=z("2027-03-16 04:00"),
        proposed_start=z("2027-03-20 04:00"),
        now=z("2027-03-01 00:00"),
    ).planned_end == z("2027-03-16 10:00")
