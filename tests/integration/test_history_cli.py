"""``caredesk cases export|import``: case histories as JSON Lines (DOMAIN.md "The record": a case's
history can be exported and verified; issue 4: imported by a vendor admin, with original instants)."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caredesk.cases.models import Case, CaseEvent
from caredesk.cases.timeline import audit_verify
from tests.conftest import World
from tests.integration.test_history_audit import worked_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("cases", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_every_exported_line_replays_in_caredesk_sla_replay_to_its_stored_clocks(world: World, tmp_path: Path) -> None:
    worked_case(world)
    worked_case(world)
    out = tmp_path / "cases.jsonl"
    assert run("export", "--as", world.agent.email, "--all", "--out", str(out))[0] == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == sorted(Case.objects.values_list("pk", flat=True))
    done = subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "sla", "replay", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert answers == [{"id": line["id"], **Case.objects.get(pk=line["id"]).sla} for line in lines]


def test_a_resellers_export_holds_no_internal_notes(world: World, tmp_path: Path) -> None:
    case = worked_case(world)
    out = tmp_path / "dc.jsonl"
    assert run("export", "--as", world.a.dcs[0].email, "--case", str(case.pk), "--out", str(out))[0] == 0
    [line] = [json.loads(text) for text in out.read_text().splitlines()]
    assert "Probably the SBC." not in json.dumps(line)
    assert run("export", "--as", world.a.dcs[0].email, "--case", str(world.b.extra_ids["case_id"]))[0] == 1


def test_import_takes_every_good_line_and_names_the_bad_ones(world: World, tmp_path: Path) -> None:
    case = worked_case(world)
    exported = StringIO()
    call_command("cases", "export", "--as", world.admin.email, "--case", str(case.pk), stdout=exported)
    good = exported.getvalue().strip()
    bad = json.loads(good)
    bad["events"][2]["at"] = bad["events"][0]["at"]
    file = tmp_path / "in.jsonl"
    file.write_text("\n".join([good, json.dumps(bad), "{not json", good]) + "\n")
    before = Case.objects.count(), CaseEvent.objects.count()
    status, out = run("import", "--as", world.admin.email, str(file))
    assert status == 1
    lines = out.splitlines()
    assert lines[0].startswith("line 1: case ") and lines[3].startswith("line 4: case ")
    assert lines[1].startswith("line 2: error: ") and "events[2]" in lines[1]
    assert lines[2].startswith("line 3: error: invalid JSON")
    assert Case.objects.count() == before[0] + 2
    assert audit_verify().ok


def test_only_a_vendor_admin_imports_from_the_command_line(world: World, tmp_path: Path) -> None:
    file = tmp_path / "in.jsonl"
    file.write_text("{}\n")
    assert run("import", "--as", world.agent.email, str(file))[0] == 2
    assert run("import", "--as", "nobody@vendor.test", str(file))[0] == 2
    assert run("import", "--as", world.admin.email, str(tmp_path / "absent.jsonl"))[0] == 2
