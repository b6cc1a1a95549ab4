"""The conflict finder in the portal (issue 6 item 5): occurrences that overlap the impacted users'
working hours, the overlap in their local time, and a one-click reschedule request draft."""

from __future__ import annotations

import re
from html import unescape

import pytest

from caredesk.tenancy import services as tenancy
from tests.conftest import World
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db


def test_a_night_shift_account_sees_its_maintenance_conflicts_and_drafts_a_request(world: World) -> None:
    # Users working every night in New York overlap PureEngage Cloud's Tue/Thu 00:00-06:00 window.
    nights = {day: [["22:00", "07:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    tenancy.account_update(
        actor=world.admin, account_id=world.a.account.pk, calendar={"timezone": "America/New_York", "hours": nights}
    )
    client = login(world.a.dcs[0])
    r = client.get("/maintenance/conflicts/", {"account_id": world.a.account.pk, "weeks": 2})
    assert r.status_code == 200
    page = r.content.decode()
    assert "PureEngage Cloud" in page and "America/New_York" in page
    drafts = re.findall(r'href="(/maintenance/reschedule/\?[^"]+)"', page)
    assert drafts, "each conflict offers a draft"
    form = client.get(unescape(drafts[0]))
    assert form.status_code == 200 and 'name="proposed_start"' in form.content.decode()


def test_an_account_of_another_reseller_is_not_found(world: World) -> None:
    r = login(world.a.dcs[0]).get("/maintenance/conflicts/", {"account_id": world.b.account.pk})
    assert r.status_code == 404
    assert world.b.account.name not in r.content.decode()


def test_weeks_out_of_range_is_a_field_error(world: World) -> None:
    r = login(world.a.dcs[0]).get("/maintenance/conflicts/", {"account_id": world.a.account.pk, "weeks": 99})
    assert r.status_code == 422
