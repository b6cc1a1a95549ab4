"""Reading the working hours that a case records as free text (the conflict finder's second source):
each form people write maps to calendar hours, and nothing recognisable is never guessed."""

from __future__ import annotations

import pytest

from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.maintenance.working_hours import parse_working_hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def on(days: tuple[str, ...], *spans: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {day: [list(span) for span in spans] for day in days}


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("Mon-Fri 08:00-18:00", on(WEEKDAYS, ("08:00", "18:00"))),
        ("weekdays 8am to 6pm", on(WEEKDAYS, ("08:00", "18:00"))),
        ("Monday to Friday 9:00 - 17:30", on(WEEKDAYS, ("09:00", "17:30"))),
        ("Mon\u2013Fri 9\u201317", on(WEEKDAYS, ("09:00", "17:00"))),  # en dashes
        ("09:00-17:00 Mon-Fri", on(WEEKDAYS, ("09:00", "17:00"))),  # times first
        ("9-5", on(WEEKDAYS, ("09:00", "17:00"))),  # no days: the working week; 9-5 is nine to five
        ("12-1", on(WEEKDAYS, ("12:00", "13:00"))),
        (
            "Mon, Wed 9-12 13:00-17:30; Sat 10:00-14:00",
            {**on(("mon", "wed"), ("09:00", "12:00"), ("13:00", "17:30")), **on(("sat",), ("10:00", "14:00"))},
        ),
        ("Sat-Mon 10-14", on(("mon", "sat", "sun"), ("10:00", "14:00"))),  # a range across the week's end
        ("Mon-Sun 22:00-06:00", on(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("22:00", "06:00"))),
        ("Mon-Fri 24h", on(WEEKDAYS, ("00:00", "24:00"))),
        ("24x7", on(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("00:00", "24:00"))),
        ("24/7 support desk", on(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("00:00", "24:00"))),
        ("daily 07:00-19:00", on(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("07:00", "19:00"))),
        ("weekends 10:00-16:00", on(("sat", "sun"), ("10:00", "16:00"))),
        ("Tue 18:00-24:00", on(("tue",), ("18:00", "24:00"))),
    ],
)
def test_forms_people_write_become_calendar_hours(text: str, hours: dict[str, list[list[str]]]) -> None:
    parsed = parse_working_hours(text)
    assert parsed == hours
    BusinessCalendar.from_dict({"timezone": "Europe/Paris", "hours": parsed})  # a calendar accepts them


@pytest.mark.parametrize("text", ["", "whenever the shift lead is in", "Mon-Fri", "25:00-26:00", "13pm-2pm", "9:75-10"])
def test_nothing_recognisable_is_never_guessed(text: str) -> None:
    assert parse_working_hours(text) is None
