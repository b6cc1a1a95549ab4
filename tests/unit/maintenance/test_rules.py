"""DOMAIN.md "The support policy is data" + "Maintenance": the maintenance table as policy rows."""

from __future__ import annotations

from datetime import time

import pytest

from caredesk.domain.errors import InvalidPolicy, ValidationFailed
from caredesk.domain.maintenance import DEPLOYMENT, WindowRule, parse_maintenance_rows
from tests.unit.maintenance.support import SERVICES, shipped_rules


def row(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"days": ["tue", "thu"], "start": "00:00", "end": "06:00", "timezone": "EST"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_table_2_is_the_shipped_policy_data() -> None:
    assert [r.describe() for r in shipped_rules("outbound_engagement")] == [
        "tue,thu 00:00-03:00 EST",
        "sun 00:00-05:00 EST",
    ]
    assert [r.describe() for r in shipped_rules("premier_edition")] == ["tue,wed,thu 22:00-05:00 EST"]
    assert [r.describe() for r in shipped_rules("pureengage_cloud")] == ["tue,thu 00:00-06:00 deployment"]
    assert [r.describe() for r in shipped_rules("social_analytics")] == ["tue,wed,thu 22:00-05:00 EST"]
    assert {r.service for s in SERVICES for r in shipped_rules(s)} == set(SERVICES)


def test_pureengage_cloud_windows_run_in_the_deployment_zone() -> None:
    (rule,) = shipped_rules("pureengage_cloud")
    assert rule.timezone == DEPLOYMENT and rule.needs_deployment_zone
    assert not any(r.needs_deployment_zone for r in shipped_rules("premier_edition"))


def test_an_end_not_after_its_start_crosses_midnight() -> None:
    (premier,) = shipped_rules("premier_edition")
    assert premier.crosses_midnight
    assert not shipped_rules("outbound_engagement")[0].crosses_midnight
    (whole_day,) = parse_maintenance_rows("x", [row(start="07:00", end="07:00")])
    assert whole_day.crosses_midnight


def test_24_00_is_allowed_as_an_end_and_means_the_next_midnight() -> None:
    (late,) = parse_maintenance_rows("x", [row(start="22:00", end="24:00")])
    assert (late.start, late.end, late.crosses_midnight) == (time(22), time(0), True)
    (day,) = parse_maintenance_rows("x", [row(start="00:00", end="24:00")])
    assert day.describe() == "tue,thu 00:00-24:00 EST"


def test_the_policy_names_the_zone_so_any_iana_zone_is_accepted() -> None:
    (rule,) = parse_maintenance_rows("x", [row(timezone="Europe/Berlin")])
    assert rule.timezone == "Europe/Berlin"


def test_an_empty_table_is_a_service_without_planned_maintenance() -> None:
    assert parse_maintenance_rows("x", []) == ()


@pytest.mark.parametrize(
    ("bad", "path", "message"),
    [
        (row(days=["tues"]), "services.x.maintenance[0].days", "unknown weekday 'tues'"),
        (row(days=[]), "services.x.maintenance[0].days", "non-empty list"),
        (row(days="tue"), "services.x.maintenance[0].days", "non-empty list"),
        (row(days=["tue", "tue"]), "services.x.maintenance[0].days", "listed twice"),
        (row(days=["Tue"]), "services.x.maintenance[0].days", "unknown weekday"),
        (row(start="24:00"), "services.x.maintenance[0].start", "00:00 to 23:59"),
        (row(start="7:00"), "services.x.maintenance[0].start", "HH:MM"),
        (row(start=700), "services.x.maintenance[0].start", "expected a string"),
        (row(end="25:00"), "services.x.maintenance[0].end", "00:00 to 24:00"),
        (row(end="06:60"), "services.x.maintenance[0].end", "HH:MM"),
        (row(timezone="Mars/Olympus"), "services.x.maintenance[0].timezone", "unknown time zone"),
        (row(timezone="est"), "services.x.maintenance[0].timezone", "unknown time zone"),
        (row(timezone="localtime"), "services.x.maintenance[0].timezone", "unknown time zone"),
        (row(timezone=""), "services.x.maintenance[0].timezone", "IANA zone name"),
        (row(timezone=None), "services.x.maintenance[0].timezone", "required"),
        (row(days=None), "services.x.maintenance[0].days", "required"),
        (row(weekday="tue"), "services.x.maintenance[0].weekday", "unknown key"),
        ("tue 00:00-06:00", "services.x.maintenance[0]", "expected a table"),
    ],
)
def test_an_invalid_maintenance_row_is_refused_with_its_path(bad: object, path: str, message: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_maintenance_rows("x", [bad])
    assert message in caught.value.errors[path]
    assert path in caught.value.message
    assert caught.value.code == "invalid_policy"


def test_every_problem_of_the_table_is_reported_at_once() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_maintenance_rows("premier_edition", [row(days=["xyz"]), row(), row(start="x", timezone="Nowhere")])
    assert set(caught.value.errors) == {
        "services.premier_edition.maintenance[0].days",
        "services.premier_edition.maintenance[2].start",
        "services.premier_edition.maintenance[2].timezone",
    }
    assert "(and 2 more)" in caught.value.message


@pytest.mark.parametrize("rows", [{"days": ["tue"]}, "tue", None, 3])
def test_the_maintenance_table_must_be_a_list_of_rows(rows: object) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_maintenance_rows("x", rows)
    assert "services.x.maintenance" in caught.value.errors


def test_a_service_id_is_a_plain_identifier() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_maintenance_rows("Premier Edition", [row()])
    assert "services.Premier Edition" in caught.value.errors


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekdays": ()},
        {"weekdays": (7,)},
        {"weekdays": (3, 1)},
        {"weekdays": (1, 1)},
        {"start": time(1, 0, 30)},
        {"timezone": ""},
        {"service": ""},
    ],
)
def test_a_window_rule_built_in_code_is_validated_too(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {
        "service": "x",
        "weekdays": (1,),
        "start": time(0),
        "end": time(6),
        "timezone": "EST",
    }
    args.update(kwargs)
    with pytest.raises(ValidationFailed):
        WindowRule(**args)  # type: ignore[arg-type]
