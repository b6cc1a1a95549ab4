"""The support policy is data (DOMAIN.md): the shipped guide, another vendor's file, validation."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from caredesk.domain.errors import InvalidPolicy, ValidationFailed
from caredesk.domain.sla.amounts import parse_amount
from caredesk.domain.sla.policy import (
    KNOWN_CHANNELS,
    TARGET_KINDS,
    load_default_policy,
    load_policy,
    policy_from_dict,
    policy_from_toml,
)

DATA = Path(__file__).parent / "data"

# DOMAIN.md "The support policy is data", Table 1, written out by hand from the guide.
TABLE_1 = {
    "care_for_cloud": {
        1: ("4h", "6h", "15bd"),
        2: ("6bh", "4bd", "15bd"),
        3: ("1bd", "10bd", "30bd"),
        4: ("2bd", "-", "-"),
    },
    "business_care_for_cloud": {
        1: ("15m", "4h", "15bd"),
        2: ("2bh", "2bd", "15bd"),
        3: ("4bh", "5bd", "15bd"),
        4: ("1bd", "-", "-"),
    },
}
TABLE_1["pure_success"] = TABLE_1["business_care_for_cloud"]  # same targets as Business Care

TABLE_1_ROWS = [
    (package, severity, kind, row[i])
    for package, rows in TABLE_1.items()
    for severity, row in rows.items()
    for i, kind in enumerate(TARGET_KINDS)
]


def shipped_raw() -> dict[str, Any]:
    text = resources.files("caredesk.policies").joinpath("cloud-resellers-v4.toml").read_text("utf-8")
    return tomllib.loads(text)


def errors_of(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidPolicy) as info:
        policy_from_dict(raw)
    return info.value.errors


# --------------------------------------------------------------------------- the shipped guide


@pytest.mark.parametrize(("package", "severity", "kind", "expected"), TABLE_1_ROWS)
def test_table_1_targets_every_package_severity_and_target(
    package: str, severity: int, kind: str, expected: str
) -> None:
    targets = load_default_policy().targets(package, severity)
    assert targets.get(kind) == parse_amount(expected)


def test_table_1_has_no_other_packages_or_severities() -> None:
    policy = load_default_policy()
    assert list(policy.packages) == list(TABLE_1)
    assert dict(policy.severities) == {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}
    for package in policy.packages.values():
        assert set(package.targets) == {1, 2, 3, 4}


def test_table_1_units_nh_nm_are_24x7_and_nbh_nbd_business() -> None:
    policy = load_default_policy()
    response = policy.targets("care_for_cloud", 1).response
    assert response is not None and not response.business
    response = policy.targets("business_care_for_cloud", 1).response
    assert response is not None and not response.business and response.unit == "m"
    resolution = policy.targets("care_for_cloud", 3).resolution
    assert resolution is not None and resolution.business and resolution.unit == "bd"


def test_reporting_channels_care_for_cloud_portal_or_api_only() -> None:
    policy = load_default_policy()
    assert policy.package("care_for_cloud").channels == ("portal", "api")
    assert not policy.package("care_for_cloud").allows_channel("phone")


def test_reporting_channels_business_care_and_pure_success_also_by_telephone() -> None:
    policy = load_default_policy()
    for name in ("business_care_for_cloud", "pure_success"):
        assert policy.package(name).allows_channel("phone")
        assert policy.package(name).allows_channel("portal")


def test_severity_one_is_never_opened_directly_intake_rules() -> None:
    intake = load_default_policy().intake
    assert intake.portal_max_severity == 2
    assert intake.critical_by_phone_raise_only is True


def test_after_the_incident_post_mortem_due_2bd_critical_5bd_high() -> None:
    policy = load_default_policy()
    assert policy.post_mortem_due(1) == parse_amount("2bd")
    assert policy.post_mortem_due(2) == parse_amount("5bd")
    assert policy.post_mortem_due(3) is None
    assert policy.post_mortem_due(4) is None
    assert policy.post_incident.root_cause_required == frozenset({1})
    assert policy.post_incident.incident_report_due_after_meeting == parse_amount("3bd")


def test_warning_threshold_default_75_percent_and_restoration_goal_95_percent() -> None:
    policy = load_default_policy()
    assert policy.warning_threshold == 0.75
    assert policy.compliance.restoration_goal_share == 0.95


def test_escalation_critical_and_high_notify_agent_and_managers() -> None:
    escalation = load_default_policy().escalation
    assert escalation.severities == frozenset({1, 2})
    assert escalation.notify == ("assigned_agent", "care_managers")


def test_macd_routing_pureengage_to_customer_care_others_to_csm() -> None:
    requests = load_default_policy().requests
    assert requests.route_for("pureengage_cloud") == "customer_care"
    assert requests.route_for("premier_edition") == "csm"
    assert requests.route_for("outbound_engagement") == "csm"
    assert requests.route_for("social_analytics") == "csm"
    assert requests.service_request_severity == 4


def test_macd_route_of_a_service_the_policy_does_not_list_defaults_to_csm() -> None:
    raw = shipped_raw()
    del raw["requests"]["macd_route"]["social_analytics"]
    assert policy_from_dict(raw).requests.route_for("social_analytics") == "csm"


def test_maintenance_table_2_rows_kept_as_written() -> None:
    services = load_default_policy().services
    assert list(services) == ["outbound_engagement", "premier_edition", "pureengage_cloud", "social_analytics"]
    rows = services["premier_edition"].maintenance
    assert [dict(r) for r in rows] == [
        {"days": ["tue", "wed", "thu"], "start": "22:00", "end": "05:00", "timezone": "EST"}
    ]
    assert services["pureengage_cloud"].maintenance[0]["timezone"] == "deployment"
    assert len(services["outbound_engagement"].windows) == 2
    assert services["outbound_engagement"].windows[1].day_names == ("sun",)


def test_policy_version_identifies_what_a_case_records() -> None:
    policy = load_default_policy()
    assert policy.key == "cloud-resellers@4"
    assert policy.effective_from == date(2018, 2, 1)


def test_load_default_policy_is_read_once() -> None:
    assert load_default_policy() is load_default_policy()


def test_load_policy_from_a_path_equals_the_default() -> None:
    path = Path(str(resources.files("caredesk.policies").joinpath("cloud-resellers-v4.toml")))
    assert load_policy(path) == load_default_policy()
    assert hash(load_policy(path)) == hash(load_default_policy())


def test_policy_is_immutable() -> None:
    policy = load_default_policy()
    with pytest.raises(AttributeError):
        policy.version = "5"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.packages["x"] = policy.packages["pure_success"]  # type: ignore[index]


def test_unknown_package_is_a_validation_error_naming_the_known_ones() -> None:
    with pytest.raises(ValidationFailed) as info:
        load_default_policy().package("platinum")
    assert info.value.code == "unknown_package"
    assert "care_for_cloud" in info.value.errors["package"]


@pytest.mark.parametrize("severity", [0, 5, "2", True, None])
def test_unknown_severity_is_a_validation_error(severity: object) -> None:
    with pytest.raises(ValidationFailed) as info:
        load_default_policy().check_severity(severity)
    assert info.value.code == "unknown_severity"


def test_raising_a_severity_means_a_smaller_number() -> None:
    policy = load_default_policy()
    assert policy.is_raise(2, 1)
    assert not policy.is_raise(1, 2)
    assert policy.severity_name(1) == "1 (Critical)"


# --------------------------------------------------------------------------- another vendor


def test_another_vendors_guide_is_another_file_with_no_code_change() -> None:
    policy = load_policy(DATA / "other-vendor.toml")
    assert policy.key == "acme-hosting@2.1"
    assert dict(policy.severities) == {1: "Outage", 2: "Degraded", 3: "Question"}
    assert list(policy.packages) == ["gold", "bronze"]
    assert policy.targets("gold", 2).response == parse_amount("90bm")
    assert policy.targets("gold", 2).restoration == parse_amount("1.5bd")
    assert policy.targets("bronze", 2).restoration is None
    assert policy.package("bronze").channels == ("api",)
    assert policy.warning_threshold == 0.5
    assert policy.post_mortem_due(1) == parse_amount("3bd")
    assert policy.post_mortem_due(2) is None
    assert policy.requests.route_for("web_hosting") == "customer_care"
    assert policy.intake.critical_by_phone_raise_only is False
    assert policy.compliance.restoration_goal_share == 0.95  # default from DOMAIN.md


def test_a_numeric_version_is_read_as_text() -> None:
    raw = shipped_raw()
    raw["version"] = 5
    assert policy_from_dict(raw).version == "5"


# --------------------------------------------------------------------------- validation


def test_invalid_policy_lists_every_problem_with_its_path() -> None:
    raw = shipped_raw()
    raw["packages"]["care_for_cloud"]["targets"]["2"]["response"] = "6bw"
    raw["packages"]["pure_success"]["channels"] = ["portal", "fax"]
    del raw["packages"]["business_care_for_cloud"]["targets"]["3"]
    raw["requests"]["macd_route"]["premier_edition"] = "sales"
    errors = errors_of(raw)
    assert (
        "unit" in errors["packages.care_for_cloud.targets.2.response"]
        or "6bw" in (errors["packages.care_for_cloud.targets.2.response"])
    )
    assert "fax" in errors["packages.pure_success.channels[1]"]
    assert "missing" in errors["packages.business_care_for_cloud.targets.3"]
    assert "sales" in errors["requests.macd_route.premier_edition"]
    assert len(errors) == 4


def test_invalid_policy_message_names_the_source_and_the_problems() -> None:
    raw = shipped_raw()
    raw["warnings"]["threshold"] = 1.5
    with pytest.raises(InvalidPolicy) as info:
        policy_from_dict(raw, source="mine.toml")
    assert "mine.toml" in info.value.message
    assert "warnings.threshold" in info.value.message
    assert info.value.code == "invalid_policy"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"]["1"].update(response="-4h"),
            "packages.care_for_cloud.targets.1.response",
        ),
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"]["1"].update(response=4),
            "packages.care_for_cloud.targets.1.response",
        ),
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"]["1"].pop("restoration"),
            "packages.care_for_cloud.targets.1.restoration",
        ),
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"]["1"].update(fix="1h"),
            "packages.care_for_cloud.targets.1.fix",
        ),
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"].update(
                {"5": {"response": "1h", "restoration": "-", "resolution": "-"}}
            ),
            "packages.care_for_cloud.targets.5",
        ),
        (lambda r: r["packages"]["care_for_cloud"].update(channels=[]), "packages.care_for_cloud.channels"),
        (
            lambda r: r["packages"]["care_for_cloud"].update(channels=["portal", "portal"]),
            "packages.care_for_cloud.channels[1]",
        ),
        (lambda r: r["packages"]["care_for_cloud"].pop("label"), "packages.care_for_cloud.label"),
        (lambda r: r["packages"].update({"Gold Plus": r["packages"]["pure_success"]}), "packages.Gold Plus"),
        (lambda r: r["severities"].update({"0": "Zero"}), "severities.0"),
        (lambda r: r["severities"].update({"2": ""}), "severities.2"),
        (lambda r: r.update(schema=2), "schema"),
        (lambda r: r.update(colour="blue"), "colour"),
        (lambda r: r.pop("title"), "title"),
        (lambda r: r.update(id="Cloud Resellers"), "id"),
        (lambda r: r.update(effective_from="February 2018"), "effective_from"),
        (lambda r: r.update(effective_from=20180201), "effective_from"),
        (lambda r: r.update(effective_from=datetime(2018, 2, 1, tzinfo=UTC)), "effective_from"),
        (lambda r: r["intake"].update(portal_max_severity=7), "intake.portal_max_severity"),
        (lambda r: r["intake"].update(critical_by_phone_raise_only="yes"), "intake.critical_by_phone_raise_only"),
        (lambda r: r["warnings"].update(threshold=0), "warnings.threshold"),
        (lambda r: r["compliance"].update(restoration_goal_share=2), "compliance.restoration_goal_share"),
        (lambda r: r["escalation"].update(severities=[1, 9]), "escalation.severities[1]"),
        (lambda r: r["escalation"].update(notify=["everyone"]), "escalation.notify[0]"),
        (lambda r: r["post_incident"]["post_mortem_due"].update({"9": "1bd"}), "post_incident.post_mortem_due.9"),
        (lambda r: r["post_incident"]["post_mortem_due"].update({"1": "-"}), "post_incident.post_mortem_due.1"),
        (lambda r: r["post_incident"].update(root_cause_required=[8]), "post_incident.root_cause_required[0]"),
        (
            lambda r: r["post_incident"].update(incident_report_due_after_meeting="3 days"),
            "post_incident.incident_report_due_after_meeting",
        ),
        (lambda r: r["requests"].update(service_request_severity=6), "requests.service_request_severity"),
        (lambda r: r["requests"]["macd_route"].update(video="csm"), "requests.macd_route.video"),
        (
            lambda r: r["services"]["premier_edition"]["maintenance"][0].update(days=["tues"]),
            "services.premier_edition.maintenance[0].days",
        ),
        (
            lambda r: r["services"]["premier_edition"]["maintenance"][0].update(timezone="Mars/Olympus"),
            "services.premier_edition.maintenance[0].timezone",
        ),
        (lambda r: r["services"]["premier_edition"].pop("label"), "services.premier_edition.label"),
    ],
)
def test_invalid_policy_error_path(mutate: Any, path: str) -> None:
    raw = copy.deepcopy(shipped_raw())
    mutate(raw)
    errors = errors_of(raw)
    assert path in errors, errors


def test_every_known_channel_is_accepted() -> None:
    raw = shipped_raw()
    raw["packages"]["care_for_cloud"]["channels"] = list(KNOWN_CHANNELS)
    assert policy_from_dict(raw).package("care_for_cloud").channels == KNOWN_CHANNELS


def test_not_valid_toml_is_an_invalid_policy() -> None:
    with pytest.raises(InvalidPolicy) as info:
        policy_from_toml("schema = = 1", source="broken.toml")
    assert "broken.toml" in info.value.message
    assert "file" in info.value.errors


def test_unreadable_policy_file_is_an_invalid_policy(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy) as info:
        load_policy(tmp_path / "missing.toml")
    assert "cannot read" in info.value.message


def test_policy_file_that_is_not_utf8_is_an_invalid_policy(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Caf\xe9"'.encode("latin-1"))
    with pytest.raises(InvalidPolicy, match="UTF-8"):
        load_policy(path)


def test_a_document_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(InvalidPolicy):
        policy_from_dict(["not", "a", "table"])  # type: ignore[arg-type]


def test_sections_that_are_not_tables_are_refused() -> None:
    raw = shipped_raw()
    raw["packages"] = ["care_for_cloud"]
    raw["severities"] = "1-4"
    errors = errors_of(raw)
    assert errors["packages"] == "expected a table"
    assert errors["severities"] == "expected a table"


def test_an_empty_policy_names_every_required_section() -> None:
    errors = errors_of({})
    for key in ("schema", "id", "version", "title", "severities", "intake", "packages", "escalation"):
        assert errors[key] == "required"
    assert errors["post_incident"] == "required"
    assert errors["requests"] == "required"


def test_sections_of_the_wrong_type_are_each_named() -> None:
    raw = shipped_raw()
    for key in ("intake", "compliance", "warnings", "escalation", "post_incident", "services", "requests"):
        raw[key] = "x"
    raw["packages"]["care_for_cloud"] = "x"
    raw["packages"]["pure_success"]["targets"] = "x"
    raw["packages"]["business_care_for_cloud"]["targets"]["2"] = "x"
    errors = errors_of(raw)
    raw = shipped_raw()
    raw["services"]["premier_edition"] = "x"
    errors.update(errors_of(raw))
    for path in (
        "intake",
        "compliance",
        "warnings",
        "escalation",
        "post_incident",
        "services",
        "requests",
        "packages.care_for_cloud",
        "packages.pure_success.targets",
        "packages.business_care_for_cloud.targets.2",
        "services.premier_edition",
    ):
        assert errors[path] == "expected a table", path


def test_empty_severities_and_packages_are_refused() -> None:
    raw = shipped_raw()
    raw["severities"] = {}
    raw["packages"] = {}
    errors = errors_of(raw)
    assert "at least one severity" in errors["severities"]
    assert "at least one package" in errors["packages"]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda r: r["packages"]["care_for_cloud"].pop("channels"), "packages.care_for_cloud.channels"),
        (lambda r: r["packages"]["care_for_cloud"].pop("targets"), "packages.care_for_cloud.targets"),
        (
            lambda r: r["packages"]["care_for_cloud"]["targets"].update({"x": {}}),
            "packages.care_for_cloud.targets.x",
        ),
        (lambda r: r["escalation"].update(severities=[True]), "escalation.severities[0]"),
        (lambda r: r["escalation"].update(severities=[1.5]), "escalation.severities[0]"),
        (lambda r: r["escalation"].update(severities=1), "escalation.severities"),
        (lambda r: r["escalation"].update(notify="care_managers"), "escalation.notify"),
    ],
)
def test_invalid_policy_error_path_more(mutate: Any, path: str) -> None:
    raw = copy.deepcopy(shipped_raw())
    mutate(raw)
    assert path in errors_of(raw)


def test_effective_from_may_be_a_toml_date() -> None:
    text = resources.files("caredesk.policies").joinpath("cloud-resellers-v4.toml").read_text("utf-8")
    text = text.replace('effective_from = "2018-02-01"', "effective_from = 2018-02-01")
    assert policy_from_toml(text).effective_from == date(2018, 2, 1)


def test_targets_get_names_an_unknown_kind() -> None:
    with pytest.raises(KeyError):
        load_default_policy().targets("care_for_cloud", 1).get("closure")
