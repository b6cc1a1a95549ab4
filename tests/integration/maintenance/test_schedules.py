"""The effective schedule of accounts from the database (DOMAIN.md "Maintenance"): the policy's
planned windows of every subscribed service in their zones, accepted moves for one account only,
notices for every subscriber, the subscription's term, and "in a window at t"."""

from __future__ import annotations

import pytest

from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.maintenance import notice_services, selectors, services
from caredesk.maintenance.schedules import entry_at, schedule_for_accounts
from tests.conftest import World
from tests.integration.maintenance.support import Outbox, add_account, spans, z

pytestmark = pytest.mark.django_db

PE, PR = "pureengage_cloud", "premier_edition"


def test_every_subscribed_service_has_its_planned_windows_pureengage_in_its_deployment_zone(world: World) -> None:
    # Account A: PureEngage Cloud deployed in America/New_York (EST in January), Premier in fixed EST.
    entries = schedule_for_accounts(accounts=[world.a.account], start=z("2027-01-04 00:00"), end=z("2027-01-11 00:00"))
    assert spans(entries) == [
        (PE, "planned", "01-05 05:00", "01-05 11:00"),  # Tue 00:00-06:00 New York
        (PR, "planned", "01-06 03:00", "01-06 10:00"),  # Tue 22:00 - Wed 05:00 EST
        (PR, "planned", "01-07 03:00", "01-07 10:00"),  # Wed 22:00 - Thu 05:00 EST
        (PE, "planned", "01-07 05:00", "01-07 11:00"),  # Thu 00:00-06:00 New York
        (PR, "planned", "01-08 03:00", "01-08 10:00"),  # Thu 22:00 - Fri 05:00 EST
    ]
    assert {e.account_id for e in entries} == {world.a.account.pk}
    assert entries[0].label == "PureEngage Cloud"


def test_dst_weeks_move_pureengage_windows_in_each_deployment_zone_but_never_fixed_est(world: World) -> None:
    london = add_account(world, world.a, "London", pureengage_tz="Europe/London", services=[PR])
    sydney = add_account(world, world.a, "Sydney", pureengage_tz="Australia/Sydney")
    # New York springs forward on Sun 2027-03-14: 00:00 local is 05:00Z before, 04:00Z after.
    ny = schedule_for_accounts(
        accounts=[world.a.account], start=z("2027-03-09 00:00"), end=z("2027-03-17 00:00"), services={PE}
    )
    assert [s[2:] for s in spans(ny)] == [
        ("03-09 05:00", "03-09 11:00"),
        ("03-11 05:00", "03-11 11:00"),
        ("03-16 04:00", "03-16 10:00"),
    ]
    # London springs forward on Sun 2027-03-28: Tue 30 March 00:00 BST is 23:00Z on the Monday.
    uk = schedule_for_accounts(accounts=[london], start=z("2027-03-23 00:00"), end=z("2027-03-31 00:00"), services={PE})
    assert [s[2:] for s in spans(uk)] == [
        ("03-23 00:00", "03-23 06:00"),
        ("03-25 00:00", "03-25 06:00"),
        ("03-29 23:00", "03-30 05:00"),
    ]
    # Sydney falls back on Sun 2027-04-04: 00:00 AEDT (+11) is 13:00Z, 00:00 AEST (+10) is 14:00Z.
    au = schedule_for_accounts(accounts=[sydney], start=z("2027-03-29 00:00"), end=z("2027-04-06 23:00"))
    assert [s[2:] for s in spans(au)] == [
        ("03-29 13:00", "03-29 19:00"),
        ("03-31 13:00", "03-31 19:00"),
        ("04-05 14:00", "04-05 20:00"),
    ]
    # Premier Edition is in EST read literally (UTC-05:00 all year): 03:00Z before and after the change.
    pr = schedule_for_accounts(accounts=[london], start=z("2027-03-09 00:00"), end=z("2027-03-18 00:00"), services={PR})
    assert [s[2] for s in spans(pr)] == ["03-10 03:00", "03-11 03:00", "03-12 03:00", "03-17 03:00"]


def test_windows_around_new_year_cross_the_year_whole(world: World) -> None:
    # Thursday 2026-12-31: Premier's 22:00 EST window runs into 2027-01-01 05:00 EST (10:00Z).
    entries = schedule_for_accounts(accounts=[world.a.account], start=z("2026-12-31 00:00"), end=z("2027-01-02 00:00"))
    assert [
        (e.occurrence.service, f"{e.occurrence.start:%Y-%m-%d %H:%M}", f"{e.occurrence.end:%Y-%m-%d %H:%M}")
        for e in entries
    ] == [
        (PR, "2026-12-31 03:00", "2026-12-31 10:00"),  # Wed 30 Dec 22:00 EST, overlapping the start: whole
        (PE, "2026-12-31 05:00", "2026-12-31 11:00"),
        (PR, "2027-01-01 03:00", "2027-01-01 10:00"),  # Thu 31 Dec 22:00 EST to New Year's Day 05:00 EST
    ]
    # Nothing on New Year's Day itself (a Friday) or the Saturday.
    assert (
        schedule_for_accounts(accounts=[world.a.account], start=z("2027-01-01 10:00"), end=z("2027-01-03 00:00")) == []
    )


def test_no_maintenance_is_shown_outside_the_subscription_term(world: World) -> None:
    from datetime import date

    from caredesk.tenancy.models import Subscription

    Subscription.objects.filter(account=world.a.account).update(term_end=date(2027, 12, 31))
    entries = schedule_for_accounts(accounts=[world.a.account], start=z("2027-12-30 00:00"), end=z("2028-01-08 00:00"))
    assert spans(entries) == [
        (PR, "planned", "12-30 03:00", "12-30 10:00"),
        (PE, "planned", "12-30 05:00", "12-30 11:00"),
        (PR, "planned", "12-31 03:00", "12-31 10:00"),
    ]


def test_an_accepted_move_changes_that_account_only_even_from_outside_the_interval(
    world: World, outbox: Outbox
) -> None:
    request = services.reschedule_request(
        actor=world.a.dcs[0],
        account_id=world.a.account.pk,
        service=PR,
        planned_start=z("2027-01-06 03:00"),
        proposed_start=z("2027-01-16 03:00"),
        reason="Payroll run",
        now=z("2027-01-02 12:00"),
    )
    services.reschedule_accept(actor=world.agent, reschedule_id=request.pk, now=z("2027-01-03 12:00"))
    window = (z("2027-01-15 00:00"), z("2027-01-17 00:00"))
    a = schedule_for_accounts(accounts=[world.a.account], start=window[0], end=window[1], services={PR})
    assert spans(a) == [(PR, "planned", "01-15 03:00", "01-15 10:00"), (PR, "moved", "01-16 03:00", "01-16 10:00")]
    assert a[1].occurrence.moved_from == z("2027-01-06 03:00") and a[1].reschedule_id == request.pk
    b = schedule_for_accounts(accounts=[world.b.account], start=window[0], end=window[1], services={PR})
    assert spans(b) == [(PR, "planned", "01-15 03:00", "01-15 10:00")]
    # The original slot is empty for A and still planned for B.
    assert entry_at(account=world.a.account, service=PR, instant=z("2027-01-06 04:00")) is None
    assert entry_at(account=world.b.account, service=PR, instant=z("2027-01-06 04:00")) is not None


def test_notices_reach_every_subscriber_and_leave_when_cancelled(world: World, outbox: Outbox) -> None:
    outbound = add_account(world, world.a, "Dialer", services=["outbound_engagement"])
    notice = notice_services.notice_post(
        actor=world.manager,
        service=PR,
        start=z("2027-02-10 14:00"),
        end=z("2027-02-10 16:00"),
        reason="Database failover",
        emergency=True,
        now=z("2027-02-10 13:00"),
    )
    window = (z("2027-02-10 12:00"), z("2027-02-10 18:00"))
    for account in (world.a.account, world.b.account):
        found = schedule_for_accounts(accounts=[account], start=window[0], end=window[1])
        assert spans(found) == [(PR, "notice", "02-10 14:00", "02-10 16:00")]
        assert found[0].notice_id == notice.pk and found[0].occurrence.notice.emergency  # type: ignore[union-attr]
    assert schedule_for_accounts(accounts=[outbound], start=window[0], end=window[1]) == []
    held = entry_at(account=world.b.account, service=PR, instant=z("2027-02-10 15:59"))
    assert held is not None and held.notice_id == notice.pk
    notice_services.notice_cancel(actor=world.agent, notice_id=notice.pk, reason="Postponed", now=z("2027-02-10 13:30"))
    assert schedule_for_accounts(accounts=[world.a.account], start=window[0], end=window[1]) == []


def test_in_window_holds_from_start_inclusive_to_end_exclusive(world: World) -> None:
    account = world.a.account
    assert entry_at(account=account, service=PE, instant=z("2027-01-05 04:59")) is None
    at_start = entry_at(account=account, service=PE, instant=z("2027-01-05 05:00"))
    assert at_start is not None and at_start.occurrence.source == "planned"
    assert entry_at(account=account, service=PE, instant=z("2027-01-05 11:00")) is None
    # Premier is not PureEngage: the question names one service.
    assert entry_at(account=account, service=PR, instant=z("2027-01-05 05:00")) is None


def test_reseller_schedule_names_each_account_in_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    window = {"start": z("2027-01-04 00:00"), "end": z("2027-01-11 00:00")}
    one = selectors.reseller_schedule_for_actor(actor=world.a.dcs[0], reseller_id=world.a.reseller.pk, **window)
    assert {e.label for e in one} == {
        "PureEngage Cloud (Account Alpha / Contact Centre)",
        "Premier Edition (including Self-Service) (Account Alpha / Contact Centre)",
    }
    for index in range(4):
        add_account(world, world.a, f"Extra {index}", pureengage_tz="Europe/Paris", services=[PR])
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        many = selectors.reseller_schedule_for_actor(actor=world.a.dcs[0], reseller_id=world.a.reseller.pk, **window)
    assert len({e.account_id for e in many}) == 5 and len(many) == 5 * len(one)


def test_schedules_are_read_through_the_tenant(world: World) -> None:
    window = {"start": z("2027-01-04 00:00"), "end": z("2027-01-11 00:00")}
    with pytest.raises(NotFound):
        selectors.account_schedule_for_actor(actor=world.a.dcs[0], account_id=world.b.account.pk, **window)
    with pytest.raises(NotFound):
        selectors.reseller_schedule_for_actor(actor=world.a.staff, reseller_id=world.b.reseller.pk, **window)
    assert selectors.account_schedule_for_actor(actor=world.agent, account_id=world.b.account.pk, **window)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2027-01-11 00:00", "2027-01-04 00:00", "to"), ("2027-01-01 00:00", "2028-03-01 00:00", "to")],
)
def test_a_backwards_or_overlong_interval_is_refused(world: World, start: str, end: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        selectors.account_schedule_for_actor(
            actor=world.a.dcs[0], account_id=world.a.account.pk, start=z(start), end=z(end)
        )
    assert field in info.value.errors
