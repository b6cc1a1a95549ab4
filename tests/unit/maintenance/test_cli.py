"""DOMAIN.md "Maintenance", as the ``caredesk maintenance windows`` command (issue 6 item 1).

Each test runs the real console entry point in a subprocess: what a script or an auditor sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.maintenance.support import REPO


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "maintenance", "windows", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [json.loads(line) for line in result.stdout.splitlines()]


def refused(result: subprocess.CompletedProcess[str], status: int = 1) -> str:
    assert result.returncode == status
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("caredesk maintenance windows: error: ")
    return result.stderr


def test_prints_every_overlapping_occurrence_whole_in_time_order_as_json_lines() -> None:
    # From Wednesday 00:00 EST: Tuesday's 22:00-05:00 window is already running and is printed whole.
    result = run("--service", "premier_edition", "--from", "2027-01-13T05:00:00Z", "--to", "2027-01-15T05:00:00Z")
    assert lines(result) == [
        {"service": "premier_edition", "start": "2027-01-13T03:00:00Z", "end": "2027-01-13T10:00:00Z"},
        {"service": "premier_edition", "start": "2027-01-14T03:00:00Z", "end": "2027-01-14T10:00:00Z"},
        {"service": "premier_edition", "start": "2027-01-15T03:00:00Z", "end": "2027-01-15T10:00:00Z"},
    ]
    assert result.stdout.splitlines()[0] == (
        '{"service": "premier_edition", "start": "2027-01-13T03:00:00Z", "end": "2027-01-13T10:00:00Z"}'
    )


def test_instants_may_carry_any_utc_offset() -> None:
    result = run(
        "--service",
        "outbound_engagement",
        "--from",
        "2026-12-28T00:00:00-05:00",
        "--to",
        "2027-01-06T00:00:00-05:00",
    )
    assert [(r["start"], r["end"]) for r in lines(result)] == [
        ("2026-12-29T05:00:00Z", "2026-12-29T08:00:00Z"),
        ("2026-12-31T05:00:00Z", "2026-12-31T08:00:00Z"),
        ("2027-01-03T05:00:00Z", "2027-01-03T10:00:00Z"),
        ("2027-01-05T05:00:00Z", "2027-01-05T08:00:00Z"),
    ]


def test_pureengage_cloud_uses_the_deployment_zone_given_with_tz() -> None:
    # Sydney moves its clocks forward on Sunday 2026-10-04.
    result = run(
        "--service",
        "pureengage_cloud",
        "--from",
        "2026-09-28T00:00Z",
        "--to",
        "2026-10-09T00:00Z",
        "--tz",
        "Australia/Sydney",
    )
    assert [(r["start"], r["end"]) for r in lines(result)] == [
        ("2026-09-28T14:00:00Z", "2026-09-28T20:00:00Z"),
        ("2026-09-30T14:00:00Z", "2026-09-30T20:00:00Z"),
        ("2026-10-05T13:00:00Z", "2026-10-05T19:00:00Z"),
        ("2026-10-07T13:00:00Z", "2026-10-07T19:00:00Z"),
    ]


def test_an_empty_interval_prints_nothing_and_succeeds() -> None:
    assert lines(run("--service", "social_analytics", "--from", "2027-01-13T05:00Z", "--to", "2027-01-13T05:00Z")) == []


def test_pureengage_cloud_without_tz_is_refused() -> None:
    message = refused(run("--service", "pureengage_cloud", "--from", "2027-01-11T00:00Z", "--to", "2027-01-18T00:00Z"))
    assert "--tz" in message and "deployment" in message


def test_an_unknown_zone_is_refused() -> None:
    message = refused(
        run(
            "--service",
            "pureengage_cloud",
            "--from",
            "2027-01-11T00:00Z",
            "--to",
            "2027-01-18T00:00Z",
            "--tz",
            "America/Gotham",
        )
    )
    assert "unknown time zone 'America/Gotham'" in message


def test_an_unknown_service_is_refused_naming_the_known_ones() -> None:
    message = refused(run("--service", "genesys_cloud", "--from", "2027-01-11T00:00Z", "--to", "2027-01-18T00:00Z"))
    assert "unknown service 'genesys_cloud'" in message
    assert "premier_edition" in message


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2027-01-11T00:00", "2027-01-18T00:00Z", "--from: '2027-01-11T00:00' has no UTC offset"),
        ("2027-01-11T00:00Z", "2027-01-18", "--to: '2027-01-18' has no UTC offset"),
        ("next tuesday", "2027-01-18T00:00Z", "--from: 'next tuesday' is not an ISO 8601 date-time"),
        ("2027-02-30T00:00Z", "2027-03-18T00:00Z", "--from: '2027-02-30T00:00Z' is not an ISO 8601"),
    ],
)
def test_a_bad_instant_is_refused(start: str, end: str, expected: str) -> None:
    assert expected in refused(run("--service", "premier_edition", "--from", start, "--to", end))


def test_to_before_from_is_refused() -> None:
    message = refused(run("--service", "premier_edition", "--from", "2027-01-18T00:00Z", "--to", "2027-01-11T00:00Z"))
    assert "--to (2027-01-11T00:00Z) is before --from (2027-01-18T00:00Z)" in message


def test_a_malformed_command_line_is_a_usage_error() -> None:
    message = refused(run("--from", "2027-01-11T00:00Z", "--to", "2027-01-18T00:00Z"), status=2)
    assert "--service" in message


def test_another_policy_file_is_another_table(tmp_path: Path) -> None:
    policy = tmp_path / "other.toml"
    policy.write_text(
        '[services.premier_edition]\nmaintenance = [{ days = ["sat"], start = "23:00", end = "24:00",'
        ' timezone = "Europe/Berlin" }]\n',
        encoding="utf-8",
    )
    result = run(
        "--service",
        "premier_edition",
        "--from",
        "2027-07-10T00:00Z",
        "--to",
        "2027-07-11T00:00Z",
        "--policy",
        str(policy),
    )
    assert lines(result) == [
        {"service": "premier_edition", "start": "2027-07-10T21:00:00Z", "end": "2027-07-10T22:00:00Z"}
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '[services.premier_edition]\nmaintenance = [{ days = ["tues"], start = "22:00", end = "05:00",'
            ' timezone = "EST" }]\n',
            "services.premier_edition.maintenance[0].days",
        ),
        ("[services.premier_edition\n", "is not valid TOML"),
        ("schema = 1\n", "has no [services] table"),
    ],
)
def test_an_invalid_policy_file_is_refused(tmp_path: Path, content: str, expected: str) -> None:
    policy = tmp_path / "bad.toml"
    policy.write_text(content, encoding="utf-8")
    result = run(
        "--service",
        "premier_edition",
        "--from",
        "2027-01-11T00:00Z",
        "--to",
        "2027-01-18T00:00Z",
        "--policy",
        str(policy),
    )
    assert expected in refused(result)


def test_a_missing_policy_file_is_refused(tmp_path: Path) -> None:
    result = run(
        "--service",
        "premier_edition",
        "--from",
        "2027-01-11T00:00Z",
        "--to",
        "2027-01-18T00:00Z",
        "--policy",
        str(tmp_path / "absent.toml"),
    )
    assert "cannot read policy" in refused(result)


def test_the_command_never_starts_django() -> None:
    code = (
        "import sys\n"
        "from caredesk.cli import main\n"
        "rc = main(['maintenance', 'windows', '--service', 'premier_edition',"
        " '--from', '2027-01-11T00:00Z', '--to', '2027-01-18T00:00Z'])\n"
        "assert rc == 0, rc\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
