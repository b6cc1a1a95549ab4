"""Flow 3 in a real browser: the maintenance calendar shows a window crossing midnight in the
viewer's own time zone.

Acme Retail (Northwind) subscribes to PureEngage Cloud deployed in America/New_York, whose planned
window is Tue and Thu 00:00-06:00 *deployment local time*. Viewed from America/Los_Angeles, the
window of Tuesday 5 January 2027 is Monday 4 January 21:00 to Tuesday 5 January 03:00 PST: it
crosses the viewer's midnight (it does not cross New York's), so the month view shows it on both
local days and the list gives the local start and end."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Server, log_in

pytestmark = pytest.mark.e2e


def test_window_crossing_midnight_in_the_viewers_zone(new_page: Any, server: Server) -> None:
    page = new_page(timezone_id="America/Los_Angeles")
    log_in(page, "staff@northwind.demo")
    page.get_by_role("link", name=re.compile("Nina Staff")).click()
    page.get_by_label(re.compile("Your time zone")).fill("America/Los_Angeles")
    page.get_by_role("button", name=re.compile("Save", re.I)).click()
    page.get_by_text(re.compile("America/Los_Angeles")).first.wait_for()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Maintenance").click()
    page.get_by_role("heading", name="Maintenance calendar").wait_for()
    page.goto("/maintenance/?view=month&month=2027-01")
    page.get_by_role("heading", name="January 2027", exact=True).wait_for()

    month = page.locator("table.month")
    monday = month.locator("td.day", has=page.locator(".day-num", has_text=re.compile(r"^4(?!\d)")))
    tuesday = month.locator("td.day", has=page.locator(".day-num", has_text=re.compile(r"^5(?!\d)")))
    pec_monday = monday.locator(".occ", has_text="PureEngage Cloud")
    pec_tuesday = tuesday.locator(".occ", has_text="PureEngage Cloud")
    assert pec_monday.count() == 1 and pec_tuesday.count() == 1
    assert re.search(r"21:00.03:00 \(ends Tue 5\)", pec_monday.inner_text())
    assert re.search(r"21:00.03:00 \(from Mon 4\)", pec_tuesday.inner_text())

    row = page.locator("tr", has=page.get_by_text("Mon 4 Jan 2027 21:00 PST")).filter(has_text="PureEngage Cloud")
    assert row.count() == 1
    assert "Tue 5 Jan 2027 03:00 PST" in row.inner_text()
    # The same window in the viewer's zone, as a machine instant: 05:00Z to 11:00Z.
    times = row.locator("time")
    assert times.nth(0).get_attribute("datetime").startswith("2027-01-05T05:00")
    assert times.nth(1).get_attribute("datetime").startswith("2027-01-05T11:00")
