"""``caredesk sla replay`` (issue 3 item 5): the JSON request/answer, and the tool on real files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from caredesk.domain.errors import InvalidCalendar, ValidationFailed
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.policy import load_default_policy
from caredesk.domain.sla.replay import CalendarCache, events_from_json, parse_instant, replay, replay_request

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
POLICY = load_default_policy()
CAL = {"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}

# The issue's example history, with an instant on every event.
HISTORY: list[dict[str, Any]] = [
    {"at": "2026-03-02T10:00:00-05:00", "type": "submitted", "severity": 2},
    {"at": "2026-03-02T11:00:00-05:00", "type": "severity_changed", "severity": 1},
    {"at": "2026-03-02T11:10:00-05:00", "type": "responded"},
    {"at": "2026-03-02T12:00:00-05:00", "type": "awaiting_reseller"},
    {"at": "2026-03-02T14:00:00-05:00", "type": "resumed"},
    {"at": "2026-03-02T16:00:00-05:00", "type": "restored"},
    {"at": "2026-03-05T14:00:00-05:00", "type": "resolved"},
]
HISTORY_ANSWER = {
    "id": "case-1",
    "severity": 1,
    "targets": {
        "response": {"state": "met", "due": "2026-03-02T16:15:00Z", "met_at": "2026-03-02T16:10:00Z"},
        "restoration": {"state": "met", "due": "2026-03-02T22:00:00Z", "met_at": "2026-03-02T21:00:00Z"},
        "resolution": {"state": "met", "due": "2026-03-23T16:00:00Z", "met_at": "2026-03-05T19:00:00Z"},
    },
    "post_mortem_due": "2026-03-09T18:00:00Z",
}


def request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "case-1", "package": "business_care_for_cloud", "calendar": CAL, "events": HISTORY}
    base.update(changes)
    return base


def answer(req: object, **kwargs: Any) -> dict[str, object]:
    return replay_request(req, policy=POLICY, **kwargs)


def error_of(req: object, **kwargs: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        answer(req, **kwargs)
    return info.value


# --------------------------------------------------------------------------- the JSON face


def test_replay_answer_has_the_issue_shape_with_utc_z_instants() -> None:
    # Business Care: raised to Critical at 11:00 -> response 15m from the call (11:15 EST),
    # restoration 11:00 + 4h, paused 12:00-14:00 -> 17:00 EST; resolution 15bd, paused 2 bh.
    assert answer(request()) == HISTORY_ANSWER
    assert list(answer(request())) == ["id", "severity", "targets", "post_mortem_due"]


def test_replay_what_if_another_package() -> None:
    result = answer(request(), package="care_for_cloud")
    targets: Any = result["targets"]
    assert targets["response"]["due"] == "2026-03-02T20:00:00Z"  # Care for Cloud: 4h from the call, 15:00 EST


def test_replay_id_is_echoed_whatever_its_json_type() -> None:
    for ident in (7, None, [1, 2], {"case": 3}, "x"):
        assert answer(request(id=ident))["id"] == ident
    req = request()
    del req["id"]
    assert answer(req)["id"] is None


def test_replay_as_of_gives_the_state_at_that_instant() -> None:
    result: Any = answer(request(as_of="2026-03-02T13:00:00-05:00"))
    assert result["targets"]["restoration"] == {"state": "paused", "due": None, "met_at": None}
    assert result["targets"]["response"]["state"] == "met"
    assert result["post_mortem_due"] is None


def test_replay_due_is_null_while_not_applicable() -> None:
    events = [{"at": "2026-03-02T10:00:00Z", "type": "submitted", "severity": 4}]
    result: Any = answer(request(events=events))
    assert result["targets"]["restoration"] == {"state": "not_applicable", "due": None, "met_at": None}


def test_replay_due_is_rounded_up_to_the_second() -> None:
    events = [{"at": "2026-03-02T10:00:00.250000-05:00", "type": "submitted", "severity": 1}]
    result: Any = answer(request(events=events))
    assert result["targets"]["response"]["due"] == "2026-03-02T15:15:01Z"


def test_replay_third_party_code() -> None:
    events = [*HISTORY[:3], {"at": "2026-03-02T11:30:00-05:00", "type": "resolved", "code": "third_party"}]
    result: Any = answer(request(events=events))
    assert result["targets"]["restoration"]["state"] == "cancelled"
    assert result["targets"]["response"]["state"] == "met"
    assert result["post_mortem_due"] is None


def test_replay_ignores_extra_keys_so_an_exported_history_replays_as_it_is() -> None:
    events = [dict(e, actor="agent@vendor", comment="hello") for e in HISTORY]
    assert answer(request(events=events, policy="cloud-resellers@4", comments=[])) == HISTORY_ANSWER


def test_replay_request_equals_the_python_replay() -> None:
    state = replay(
        events_from_json(HISTORY),
        package="business_care_for_cloud",
        policy=POLICY,
        calendar=BusinessCalendar.from_dict(CAL),
    )
    assert {"id": "case-1", **state.to_json()} == HISTORY_ANSWER


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"package": "gold"}, "package", "unknown package 'gold'"),
        ({"package": None}, "package", "required"),
        ({"package": 3}, "package", "expected a package name"),
        ({"calendar": None}, "calendar", "required"),
        ({"calendar": "NY"}, "calendar", "expected an object"),
        ({"events": None}, "events", "required"),
        ({"events": {}}, "events", "expected a list"),
        ({"events": [1]}, "events[0]", "expected an object"),
        (
            {"events": [{"at": "2026-03-02T10:00:00Z", "type": "opened"}]},
            "events[0].type",
            "unknown event type 'opened'",
        ),
        ({"events": [{"at": "2026-03-02T10:00:00Z"}]}, "events[0].type", "required"),
        ({"events": [HISTORY[0], {"type": "responded"}]}, "events[1].at", "every event needs its instant"),
        (
            {"events": [{"at": "2026-03-02T10:00:00", "type": "submitted", "severity": 2}]},
            "events[0].at",
            "no UTC offset",
        ),
        ({"events": [{"at": "Monday", "type": "submitted", "severity": 2}]}, "events[0].at", "not an ISO 8601"),
        ({"events": [{"at": 1700000000, "type": "submitted", "severity": 2}]}, "events[0].at", "expected a string"),
        ({"events": [{"at": "2026-03-02T10:00:00Z", "type": "submitted"}]}, "events[0].severity", "required"),
        (
            {"events": [{"at": "2026-03-02T10:00:00Z", "type": "submitted", "severity": "2"}]},
            "events[0].severity",
            "integer",
        ),
        (
            {"events": [{"at": "2026-03-02T10:00:00Z", "type": "submitted", "severity": True}]},
            "events[0].severity",
            "integer",
        ),
        (
            {"events": [{"at": "2026-03-02T10:00:00Z", "type": "submitted", "severity": 5}]},
            "events[0].severity",
            "unknown severity 5",
        ),
        (
            {"events": [*HISTORY[:2], {"at": "2026-03-02T10:30:00-05:00", "type": "responded"}]},
            "events[2].at",
            "out of time order",
        ),
        (
            {"events": [*HISTORY[:1], {"at": "2026-03-02T10:30:00-05:00", "type": "resolved", "code": 3}]},
            "events[1].code",
            "resolution code",
        ),
        ({"as_of": "yesterday"}, "as_of", "not an ISO 8601"),
        ({"as_of": "2026-03-01T00:00:00Z"}, "as_of", "before the case was submitted"),
    ],
)
def test_replay_errors_name_the_field(change: dict[str, Any], field: str, words: str) -> None:
    error = error_of(request(**change))
    assert field in error.errors, error.errors
    assert words in error.errors[field]
    assert error.message.startswith(field) or field == "package"


def test_replay_unknown_package_is_named_even_when_the_rest_is_wrong() -> None:
    error = error_of({"package": "gold"})
    assert "package" in error.errors


def test_replay_request_must_be_an_object() -> None:
    assert "expected a JSON object" in error_of([1, 2]).message


def test_replay_invalid_calendar() -> None:
    with pytest.raises(InvalidCalendar, match="timezone"):
        answer(request(calendar={"timezone": "Mars/Olympus"}))


def test_replay_calendars_are_built_once_per_calendar_json() -> None:
    built: list[object] = []

    def build(cal: Mapping[str, Any]) -> BusinessCalendar:
        built.append(cal)
        return BusinessCalendar.from_dict(cal)

    cache: CalendarCache = {}
    reordered = dict(reversed(list(CAL.items())))
    for cal in (CAL, CAL, reordered):
        answer(request(calendar=cal), calendars=cache, calendar_from_dict=build)
    assert len(built) == 1
    bad = {"timezone": "Nowhere/City"}
    for _ in range(2):
        with pytest.raises(InvalidCalendar):
            answer(request(calendar=bad), calendars=cache, calendar_from_dict=build)
    assert len(built) == 2


def test_replay_calendar_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import caredesk.domain.sla.replay as replay_module

    monkeypatch.setattr(replay_module, "CALENDAR_CACHE_SIZE", 2)
    cache: CalendarCache = {}
    for zone in ("America/New_York", "Europe/London", "Asia/Kolkata"):
        answer(request(calendar={"timezone": zone}), calendars=cache)
    assert len(cache) == 1


def test_parse_instant_accepts_z_and_offsets() -> None:
    assert parse_instant("2026-03-02T15:00:00Z", "at") == parse_instant("2026-03-02T10:00:00-05:00", "at")


# --------------------------------------------------------------------------- the tool, on real files


def run_tool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "sla", "replay", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def write_lines(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_tool_answers_every_line_in_order_and_exits_0(tmp_path: Path) -> None:
    second = request(id=2, events=HISTORY[:1])
    path = write_lines(tmp_path / "cases.jsonl", [request(), "", second])
    result = run_tool(str(path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0] == HISTORY_ANSWER
    assert lines[1]["id"] == 2 and lines[1]["targets"]["response"]["state"] == "running"
    assert len(lines) == 2  # the blank line is skipped


def test_tool_error_lines_exit_1_while_other_lines_answer(tmp_path: Path) -> None:
    out_of_order = request(id="late", events=[HISTORY[1], HISTORY[0]])
    path = write_lines(
        tmp_path / "mixed.jsonl",
        [
            request(id="ok"),
            out_of_order,
            request(id="pkg", package="platinum"),
            request(id="sev", events=[{"at": "2026-03-02T10:00:00Z", "type": "submitted", "severity": 9}]),
            "{not json",
            request(id="ok2"),
        ],
    )
    result = run_tool(str(path))
    assert result.returncode == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["ok", "late", "pkg", "sev", None, "ok2"]
    assert "severity" in lines[0] and "severity" in lines[5]
    assert "events[1].at: out of time order" in lines[1]["error"]
    assert "unknown package 'platinum'" in lines[2]["error"]
    assert "unknown severity 9" in lines[3]["error"]
    assert lines[4]["error"].startswith("invalid JSON")
    assert set(lines[1]) == {"id", "error"}


def test_tool_reads_stdin_with_dash_and_by_default() -> None:
    for args in (["-"], []):
        result = run_tool(*args, stdin=json.dumps(request()) + "\n")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == HISTORY_ANSWER


def test_tool_package_option_overrides_every_lines_package(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [request(), request(id=2, package="nonsense")])
    result = run_tool("--package", "care_for_cloud", str(path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0]["targets"]["response"]["due"] == "2026-03-02T20:00:00Z"
    assert lines[1]["targets"] == lines[0]["targets"]


def test_tool_policy_option_reads_another_vendors_file(tmp_path: Path) -> None:
    events = [{"at": "2026-03-02T10:00:00-05:00", "type": "submitted", "severity": 2}]
    path = write_lines(tmp_path / "acme.jsonl", [request(package="gold", events=events)])
    result = run_tool("--policy", str(DATA / "other-vendor.toml"), str(path))
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["targets"]["response"]["due"] == "2026-03-02T16:30:00Z"  # 90bm from 10:00 EST
    assert line["targets"]["restoration"]["due"] == "2026-03-03T19:00:00Z"  # 1.5bd


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--policy", "/nonexistent/policy.toml"], "cannot read"),
        (["--package", "platinum"], "unknown package"),
        (["/nonexistent/cases.jsonl"], "cannot read"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_tool_bad_command_line_exits_2(args: list[str], words: str) -> None:
    result = run_tool(*args, stdin="")
    assert result.returncode == 2
    assert words in result.stderr
    assert result.stdout == ""


def test_tool_invalid_policy_file_exits_2_naming_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((DATA / "other-vendor.toml").read_text().replace('"30m"', '"30 minutes"'))
    result = run_tool("--policy", str(bad), stdin="")
    assert result.returncode == 2
    assert "packages.gold.targets.1.response" in result.stderr


def test_tool_runs_without_django(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [request()])
    code = (
        "import sys\nfrom caredesk.cli import main\n"
        f"rc = main(['sla', 'replay', {str(path)!r}])\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr


def test_tool_answers_thousands_of_lines_quickly(tmp_path: Path) -> None:
    lines = [request(id=i, package=("care_for_cloud", "pure_success")[i % 2]) for i in range(5000)]
    path = write_lines(tmp_path / "many.jsonl", lines)
    started = time.perf_counter()
    result = run_tool(str(path))
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 5000
    assert elapsed < 10  # generous: about 0.5 s on the reference machine, shared CPUs
