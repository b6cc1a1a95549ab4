"""``caredesk calendar eval``: JSON Lines in, one answer per line in order, errors per line.

Run as the real command (``python -m caredesk.cli calendar eval FILE``) on real files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
NY = {"timezone": "America/New_York", "holiday_country": "US"}


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "calendar", "eval", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def eval_lines(tmp_path: Path, lines: list[Any]) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    done = run([str(path)])
    return done.returncode, [json.loads(out) for out in done.stdout.splitlines()], done.stderr


def test_add_answers_the_due_instant_in_utc_with_z(tmp_path: Path) -> None:
    status, out, _ = eval_lines(
        tmp_path,
        [
            {"id": 1, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00-05:00", "amount": "2bh"},
            {"id": "x", "calendar": NY, "op": "add", "start": "2026-03-03T09:00:00-05:00", "amount": "1bd"},
            {"id": None, "calendar": NY, "op": "add", "start": "2026-03-07T23:00:00-05:00", "amount": "4h"},
        ],
    )
    assert status == 0
    assert out == [
        {"id": 1, "due": "2026-03-09T14:00:00Z"},  # Monday 10:00 EDT
        {"id": "x", "due": "2026-03-03T22:00:00Z"},  # exactly at closing time
        {"id": None, "due": "2026-03-08T08:00:00Z"},  # 24x7: four real hours across DST
    ]


def test_elapsed_answers_whole_business_seconds(tmp_path: Path) -> None:
    status, out, _ = eval_lines(
        tmp_path,
        [
            {"id": [1], "calendar": NY, "op": "elapsed", "start": "2026-03-06T16:00:00-05:00",
             "end": "2026-03-09T10:00:00-04:00"},
            {"id": 2, "calendar": NY, "op": "elapsed", "start": "2026-03-09T10:00:00Z", "end": "2026-03-06T10:00:00Z"},
        ],
    )  # fmt: skip
    assert status == 0
    assert out == [{"id": [1], "business_seconds": 7200}, {"id": 2, "business_seconds": 0}]


def test_sub_second_due_rounds_up_and_business_seconds_round_down(tmp_path: Path) -> None:
    status, out, _ = eval_lines(
        tmp_path,
        [
            {"id": 1, "calendar": NY, "op": "add", "start": "2026-03-03T10:00:00.250-05:00", "amount": "2bh"},
            {"id": 2, "calendar": NY, "op": "add", "start": "2026-03-03T10:00:00-05:00", "amount": "0.01bm"},
            {"id": 3, "calendar": NY, "op": "elapsed", "start": "2026-03-03T10:00:00-05:00",
             "end": "2026-03-03T10:00:01.999-05:00"},
            {"id": 4, "calendar": NY, "op": "add", "start": "2026-03-03T10:00:00.1-05:00", "amount": "0.015bm"},
        ],
    )  # fmt: skip
    assert status == 0
    assert out == [
        {"id": 1, "due": "2026-03-03T17:00:01Z"},
        {"id": 2, "due": "2026-03-03T15:00:01Z"},
        {"id": 3, "business_seconds": 1},
        {"id": 4, "due": "2026-03-03T15:00:01Z"},  # 0.1 s + 0.9 s is exactly one second, not two
    ]


def test_no_hours_means_mon_to_fri_nine_to_five(tmp_path: Path) -> None:
    _, out, _ = eval_lines(
        tmp_path,
        [{"id": 1, "calendar": {"timezone": "Asia/Kolkata"}, "op": "add", "start": "2026-03-07T10:00:00+05:30",
          "amount": "90bm"}],
    )  # fmt: skip
    assert out == [{"id": 1, "due": "2026-03-09T05:00:00Z"}]  # Monday 10:30 IST


def test_each_bad_line_gets_its_own_error_and_the_others_still_answer(tmp_path: Path) -> None:
    good = {"id": "ok", "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00-05:00", "amount": "2bh"}
    status, out, stderr = eval_lines(
        tmp_path,
        [
            "{not json",
            good,
            {"id": 2, "calendar": NY, "op": "divide", "start": "2026-03-06T16:00:00Z", "amount": "2bh"},
            {"id": 3, "calendar": NY, "op": "add", "amount": "2bh"},
            {"id": 4, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00", "amount": "2bh"},
            {"id": 5, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00Z", "amount": "-2bh"},
            {"id": 6, "calendar": {"timezone": "Nowhere/City"}, "op": "add", "start": "2026-03-06T16:00:00Z",
             "amount": "2bh"},
            {"id": 7, "calendar": NY, "op": "add", "start": "yesterday", "amount": "2bh"},
            {"id": 8, "calendar": NY, "op": "elapsed", "start": "2026-03-06T16:00:00Z"},
            {"id": 9, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00Z", "amount": "-"},
            {"id": 10, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00Z", "amount": 7200},
            {"calendar": NY, "op": "add", "start": "2026-03-06T16:00:00Z", "amount": "2bh"},
            "[1, 2]",
            {"id": 13, "op": "add", "start": "2026-03-06T16:00:00Z", "amount": "2bh"},
            {"id": 14, "calendar": NY, "start": "2026-03-06T16:00:00Z", "amount": "2bh"},
            {"id": 15, "calendar": {"timezone": "UTC", "business_day_hours": True}, "op": "add",
             "start": "2026-03-06T16:00:00Z", "amount": "2bh"},
            {"id": 16, "calendar": NY, "op": "add", "start": "9999-12-31T00:00:00Z", "amount": "2bh"},
            good,
        ],
    )  # fmt: skip
    assert status == 1
    assert stderr == ""
    assert [line["id"] for line in out] == [None, "ok", 2, 3, 4, 5, 6, 7, 8, 9, 10, None, None, 13, 14, 15, 16, "ok"]
    errors = {n: line.get("error", "") for n, line in enumerate(out)}
    assert "invalid JSON" in errors[0]
    assert out[1] == out[17] == {"id": "ok", "due": "2026-03-09T14:00:00Z"}
    assert "unknown operation 'divide'" in errors[2]
    assert "missing field 'start'" in errors[3]
    assert "no UTC offset" in errors[4]
    assert "negative" in errors[5]
    assert "Nowhere/City" in errors[6]
    assert "not an ISO 8601" in errors[7]
    assert "missing field 'end'" in errors[8]
    assert "not applicable" in errors[9]
    assert "amount" in errors[10]
    assert "missing field 'id'" in errors[11]
    assert "JSON object" in errors[12]
    assert "missing field 'calendar'" in errors[13]
    assert "missing field 'op'" in errors[14]
    assert "business_day_hours" in errors[15]
    assert "years" in errors[16]
    for line in out:
        assert set(line) in ({"id", "due"}, {"id", "error"})


def test_calendar_of_a_valid_line_is_not_reused_for_an_equal_looking_invalid_one(tmp_path: Path) -> None:
    one_hour_days = {"timezone": "UTC", "business_day_hours": 1}
    _, out, _ = eval_lines(
        tmp_path,
        [
            {"id": 1, "calendar": one_hour_days, "op": "add", "start": "2026-03-02T09:00:00Z", "amount": "1bd"},
            {"id": 2, "calendar": {**one_hour_days, "business_day_hours": True}, "op": "add",
             "start": "2026-03-02T09:00:00Z", "amount": "1bd"},
        ],
    )  # fmt: skip
    assert out[0] == {"id": 1, "due": "2026-03-02T10:00:00Z"}
    assert "business_day_hours" in out[1]["error"]


def test_blank_lines_are_skipped_and_stdin_is_read_with_dash() -> None:
    line = json.dumps({"id": 1, "calendar": NY, "op": "add", "start": "2026-03-06T16:00:00-05:00", "amount": "2bh"})
    done = run(["-"], stdin=f"\n{line}\n   \n{line}\n")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ['{"id": 1, "due": "2026-03-09T14:00:00Z"}'] * 2
    assert run([], stdin=line).stdout == '{"id": 1, "due": "2026-03-09T14:00:00Z"}\n'


def test_unreadable_file_and_bad_arguments_exit_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    missing = run([str(tmp_path / "absent.jsonl")])
    assert missing.returncode == 2
    assert len(missing.stderr.splitlines()) == 1
    assert "cannot read" in missing.stderr
    extra = run(["a", "b"])
    assert extra.returncode == 2
    assert "usage" in extra.stderr


def test_help_describes_the_rounding() -> None:
    done = run(["--help"])
    assert done.returncode == 0
    assert "rounded UP" in done.stdout


@pytest.mark.parametrize("mode", ["add", "elapsed"])
def test_output_keeps_input_order_over_many_calendars(tmp_path: Path, mode: str) -> None:
    zones = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
    lines = []
    for n in range(200):
        cal = {"timezone": zones[n % 4], "hours": {"sat": [["10:00", "14:00"]]}}
        base = {"id": n, "calendar": cal, "op": mode, "start": f"2026-03-07T{n % 24:02d}:00:00Z"}
        lines.append({**base, "amount": f"{n % 5}bh"} if mode == "add" else {**base, "end": "2026-03-21T00:00:00Z"})
    status, out, _ = eval_lines(tmp_path, lines)
    assert status == 0
    assert [line["id"] for line in out] == list(range(200))


def test_trailing_garbage_and_bytes_that_are_not_utf8_are_errors_of_their_line_alone(tmp_path: Path) -> None:
    good = json.dumps({"id": 2, "calendar": {"timezone": "UTC"}, "op": "elapsed", "start": "2026-03-02T09:00:00Z",
                       "end": "2026-03-02T10:00:00Z"})  # fmt: skip
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good.encode() + b" x\n" + good.encode() + b"\n\xff\xfe{}\n" + good.encode() + b"\n")
    done = run([str(path)])
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert "extra data" in out[0]["error"]
    assert out[1] == out[3] == {"id": 2, "business_seconds": 3600}
    assert "UTF-8" in out[2]["error"]
