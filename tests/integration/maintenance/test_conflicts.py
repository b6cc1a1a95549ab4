"""The conflict finder (DOMAIN.md "Maintenance"): an account's occurrences in the next N weeks that
overlap the working hours of its users (its business calendar, and the hours recorded on its recent
cases), each overlap in those users' local time, with a reschedule draft clear of all of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from caredesk.cases import services as case_services
from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.maintenance import services
from caredesk.maintenance.conflicts import ConflictReport, account_conflicts_for_actor
from tests.conftest import World, case_payload
from tests.integration.maintenance.support import Outbox, add_account, z

pytestmark = pytest.mark.django_db

NOW = z("2027-01-04 00:00")  # a Monday
MUMBAI = {"timezone": "Asia/Kolkata", "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}


def mumbai(world: World) -> Any:
    return add_account(
        world, world.a, "Mumbai", calendar=MUMBAI, pureengage_tz="America/New_York", services=["premier_edition"]
    )


def open_case(world: World, account: Any, hours: str, zone: str) -> None:
    payload = case_payload(
        account,
        service="premier_edition",
        impacted_working_hours=hours,
        impacted_timezone=zone,
        department="Ops",
        first_observed_at=datetime.fromisoformat("2027-01-02T08:00:00+00:00"),
    )
    case_services.case_open(actor=world.a.dcs[0], payload=payload, now=z("2027-01-03 12:00"))


def table(report: ConflictReport) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    return [
        (
            item.entry.occurrence.service,
            f"{item.entry.occurrence.start:%m-%d %H:%M}",
            [
                (o.source.kind, f"{o.local.start:%a %H:%M}", f"{o.local.end:%H:%M} {o.local.zone}")
                for o in item.overlaps
            ],
        )
        for item in report.items
    ]


def test_windows_in_the_accounts_business_hours_are_shown_in_its_local_time(world: World) -> None:
    account = mumbai(world)
    report = account_conflicts_for_actor(actor=world.a.dcs[0], account_id=account.pk, weeks=1, now=NOW)
    assert table(report) == [
        ("pureengage_cloud", "01-05 05:00", [("account", "Tue 10:30", "16:30 Asia/Kolkata")]),
        ("premier_edition", "01-06 03:00", [("account", "Wed 09:00", "15:30 Asia/Kolkata")]),
        ("premier_edition", "01-07 03:00", [("account", "Thu 09:00", "15:30 Asia/Kolkata")]),
        ("pureengage_cloud", "01-07 05:00", [("account", "Thu 10:30", "16:30 Asia/Kolkata")]),
        ("premier_edition", "01-08 03:00", [("account", "Fri 09:00", "15:30 Asia/Kolkata")]),
    ]
    first = report.items[0].draft
    assert first is not None and (first.account_id, first.service) == (account.pk, "pureengage_cloud")
    # The earliest six free hours after the planned start: from 18:00 India time (12:30Z) on Tuesday.
    assert first.planned_start == z("2027-01-05 05:00") and first.proposed_start == z("2027-01-05 12:30")
    assert "Tue 2027-01-05 10:30 IST to 16:30 IST (Asia/Kolkata)" in first.reason
    assert report.items[1].draft is not None and report.items[1].draft.proposed_start == z("2027-01-06 12:30")


def test_a_new_york_account_with_default_hours_has_no_conflict(world: World) -> None:
    report = account_conflicts_for_actor(actor=world.a.dcs[0], account_id=world.a.account.pk, weeks=4, now=NOW)
    assert report.items == [] and [s.kind for s in report.sources] == ["account"]


def test_hours_recorded_on_recent_cases_count_in_their_own_zone(world: World, outbox: Outbox) -> None:
    account = mumbai(world)
    open_case(world, account, "Mon-Fri 20:00-23:00", "America/New_York")  # an evening team in New York
    open_case(world, account, "whenever the shift lead is in", "Europe/Paris")
    report = account_conflicts_for_actor(actor=world.agent, account_id=account.pk, weeks=1, now=NOW)
    assert [(s.kind, s.timezone, s.understood) for s in report.sources] == [
        ("account", "Asia/Kolkata", True),
        ("case", "Europe/Paris", False),
        ("case", "America/New_York", True),
    ]
    # Tuesday 22:00 EST is 03:00Z Wednesday: the first Premier window cuts an hour off the evening team.
    premier = table(report)[1]
    assert premier[1:] == (
        "01-06 03:00",
        [("case", "Tue 22:00", "23:00 America/New_York"), ("account", "Wed 09:00", "15:30 Asia/Kolkata")],
    )
    # The draft is clear of India's day, New York's evening and the next Premier window.
    draft = report.items[1].draft
    assert draft is not None and draft.proposed_start == z("2027-01-06 12:30")


def test_a_case_older_than_the_recent_span_is_not_read(world: World, outbox: Outbox) -> None:
    account = mumbai(world)
    open_case(world, account, "24x7", "UTC")
    report = account_conflicts_for_actor(actor=world.agent, account_id=account.pk, weeks=1, now=z("2027-05-03 00:00"))
    assert [s.kind for s in report.sources] == ["account"]
    recent = account_conflicts_for_actor(actor=world.agent, account_id=account.pk, weeks=1, now=NOW)
    assert [s.kind for s in recent.sources] == ["account", "case"]
    # Round-the-clock users: no free six hours within two weeks, so the draft proposes nothing.
    assert all(item.draft is not None and item.draft.proposed_start is None for item in recent.items)


def test_no_draft_for_an_occurrence_already_asked_about(world: World, outbox: Outbox) -> None:
    account = mumbai(world)
    services.reschedule_request(
        actor=world.a.dcs[0],
        account_id=account.pk,
        service="pureengage_cloud",
        planned_start=z("2027-01-05 05:00"),
        proposed_start=z("2027-01-05 12:30"),
        reason="India's business day",
        now=NOW,
    )
    report = account_conflicts_for_actor(actor=world.a.dcs[0], account_id=account.pk, weeks=1, now=NOW)
    assert report.items[0].entry.occurrence.start == z("2027-01-05 05:00") and report.items[0].draft is None


def test_conflicts_are_read_through_the_tenant_and_weeks_are_bounded(world: World) -> None:
    with pytest.raises(NotFound):
        account_conflicts_for_actor(actor=world.a.dcs[0], account_id=world.b.account.pk, weeks=1, now=NOW)
    for weeks in (0, 27):
        with pytest.raises(ValidationFailed):
            account_conflicts_for_actor(actor=world.a.dcs[0], account_id=world.a.account.pk, weeks=weeks, now=NOW)
