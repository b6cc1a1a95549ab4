"""Static analysis in CI (issue 8 item 11): bandit over the code and pip-audit over the lock file.

bandit runs with ``bandit.yaml`` (B101 skipped, its reason there). Every other finding must be in
``ACCEPTED`` below, matched by file, test and the flagged line's text (not its number, so edits
elsewhere in a file do not disturb it), with the reason docs/security.md gives; a new finding fails
the test, and so does an accepted one that no longer occurs (the list stays true).

pip-audit checks every pinned package of requirements/dev.lock against the PyPI vulnerability
service. Without that service (no network, or a mirror that does not serve per-release data) the
test is skipped with the reason printed, never passed: a skip is visible in every run's summary.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# (file, test id, text on the flagged line) -> why it is accepted (docs/security.md, "Static analysis").
ACCEPTED: dict[tuple[str, str, str], str] = {
    ("caredesk/api/base.py", "B608", 'INSERT INTO "{table}"'): "the table name is the model's own; values are bound",
    ("caredesk/sweep/targets.py", "B608", 'UPDATE "{table}" SET "state"'): "the model's own table; values bound",
    ("caredesk/cases/services.py", "B608", '_INTAKE_SQL_TEXT = f"""'): "model tables and columns; values bound",
    ("caredesk/sqlrows.py", "B608", "self._head = f'INSERT INTO"): "the model's own table and columns; values bound",
    ("caredesk/tenancy/services.py", "B608", 'f"SELECT {_TOKEN_COLUMNS.sql}'): "model tables and columns; values bound",
    ("caredesk/maintenance/feeds.py", "B105", 'SECRET_PREFIX = "cdf_"'): "a public prefix, not a secret",
    ("caredesk/notifications/webhook_services.py", "B105", 'SECRET_PREFIX = "whsec_"'): "a public prefix",
    ("caredesk/tenancy/services.py", "B105", 'TOKEN_PREFIX = "cdk_"'): "a public prefix, not a secret",
    ("caredesk/ops/demo.py", "B105", 'DEMO_PASSWORD = "caredesk-demo-2026"'): "demo only; refused in production",
    ("caredesk/ops/demo.py", "B311", "rng = random.Random(2026)"): "the demo's case history, not a secret",
    ("caredesk/ops/management/commands/serve.py", "B404", "import subprocess"): "starts gunicorn and the worker",
    ("caredesk/ops/management/commands/serve.py", "B603", "subprocess.Popen("): "fixed argv, no shell",
    ("caredesk/reports/charts.py", "B405", "import xml.etree.ElementTree"): "builds SVG, never parses input",
    ("caredesk/reports/views.py", "B308", "trend_svg=mark_safe("): "SVG built by ElementTree: escaped",
    ("caredesk/reports/views.py", "B703", "trend_svg=mark_safe("): "SVG built by ElementTree: escaped",
    ("caredesk/reports/views.py", "B308", "breakdown_svg=mark_safe("): "SVG built by ElementTree: escaped",
    ("caredesk/reports/views.py", "B703", "breakdown_svg=mark_safe("): "SVG built by ElementTree: escaped",
}


def _line(result: dict[str, Any]) -> str:
    for raw in str(result["code"]).splitlines():
        number, _, text = raw.partition(" ")
        if number.isdigit() and int(number) == result["line_number"]:
            return text
    return ""


def _accepted(result: dict[str, Any]) -> tuple[str, str, str] | None:
    line = _line(result)
    for key in ACCEPTED:
        path, test_id, text = key
        if result["filename"] == path and result["test_id"] == test_id and text in line:
            return key
    return None


def test_bandit_finds_nothing_that_is_not_accepted() -> None:
    r = subprocess.run(
        [str(BIN / "bandit"), "-r", "caredesk", "config", "-c", "bandit.yaml", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(r.stdout)
    assert report["errors"] == [], report["errors"]
    new, seen = [], set()
    for result in report["results"]:
        key = _accepted(result)
        if key is None:
            new.append(f"{result['test_id']} {result['filename']}:{result['line_number']} {result['issue_text']}")
        else:
            seen.add(key)
    assert new == [], "fix these or accept them (ACCEPTED here and docs/security.md):\n" + "\n".join(new)
    stale = sorted(set(ACCEPTED) - seen)
    assert stale == [], f"accepted findings that bandit no longer reports (remove them): {stale}"


def test_pip_audit_finds_no_known_vulnerability(tmp_path: Path) -> None:
    out = tmp_path / "pip-audit.json"
    r = subprocess.run(
        [
            str(BIN / "pip-audit"),
            "-r",
            "requirements/dev.lock",
            "--disable-pip",  # the lock is hashed: every package is pinned, nothing to resolve
            "--progress-spinner",
            "off",
            "-f",
            "json",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if r.returncode not in (0, 1) or not out.exists():
        reason = (r.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"pip-audit could not reach the vulnerability service: {reason}")
    report = json.loads(out.read_text())
    deps = report["dependencies"]
    vulnerable = [
        f"{d['name']} {d['version']}: {', '.join(v['id'] for v in d['vulns'])} (fixed in "
        f"{', '.join(sorted({f for v in d['vulns'] for f in v.get('fix_versions', [])})) or 'no release yet'})"
        for d in deps
        if d.get("vulns")
    ]
    assert vulnerable == [], "known vulnerabilities:\n" + "\n".join(vulnerable)
    unaudited = [str(d["name"]) for d in deps if d.get("skip_reason")]
    if unaudited and len(unaudited) == len(deps):
        pytest.skip(
            f"the vulnerability service answered for none of the {len(deps)} pinned packages "
            f"(e.g. {deps[0].get('skip_reason')}): nothing was audited"
        )
    assert unaudited == [], f"packages pip-audit could not audit: {unaudited}"
