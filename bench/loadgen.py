"""wrk on loopback for bench/httpbench.py and bench/soak.py: runs, parses, and process CPU accounting;
what the benches send (a full intake) and how they summarise in-process timings.

wrk (Debian's ``wrk`` package, ``apt-get install -y wrk``) drives the server with a fixed number
of connections; a Lua script sets the method, headers and body. ``--latency`` gives the
percentiles (wrk corrects for coordinated omission only with a fixed rate, which wrk2 has and
wrk does not; with a closed loop of N connections the percentiles are those of the answered
requests, which is what both systems get here).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


def lua_script(method: str, headers: dict[str, str], body: str | None = None) -> Path:
    lines = [f'wrk.method = "{method}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = [==[{value}]==]')
    if body is not None:
        lines.append(f"wrk.body = [==[{body}]==]")
    fd, name = tempfile.mkstemp(suffix=".lua", prefix="caredesk-wrk-")
    os.write(fd, ("\n".join(lines) + "\n").encode())
    os.close(fd)
    return Path(name)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: str
    cpu_ms_per_request: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse(out: str) -> WrkResult:
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m|ms)", out)
    if total is None or not pct:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    seconds = _ms(total.group(2) + total.group(3)) / 1000
    latency_line = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    requests = int(total.group(1))
    return WrkResult(
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        p50_ms=_ms(pct["50"]),
        p75_ms=_ms(pct["75"]),
        p90_ms=_ms(pct["90"]),
        p99_ms=_ms(pct["99"]),
        max_ms=_ms(latency_line.group(1)) if latency_line else float("nan"),
        non_2xx=int(non.group(1)) if non else 0,
        socket_errors=errors.group(1).strip() if errors else "",
    )


def run_wrk(
    url: str,
    script: Path,
    *,
    connections: int,
    seconds: int,
    threads: int = 2,
    pids: list[int] | None = None,
    rate: int | None = None,
) -> tuple[WrkResult, str]:
    argv = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    argv += ["-s", str(script), url]
    before = cpu_seconds(pids or [])
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    result = parse(out)
    if pids:
        used = cpu_seconds(pids) - before
        result.cpu_ms_per_request = used * 1000 / max(result.requests, 1)
    return result, out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the given processes (from /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def wait_http(port: int, path: str, timeout: float = 90, headers: dict[str, str] | None = None) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", path, headers=headers or {})
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered on port {port} within {timeout} s")


def intake_payload(account: Any, service: str | None) -> dict[str, Any]:
    """A Designated Contact's complete intake for ``account`` (every field the guide asks for, the
    Level 1 checklist done), as the HTTP, creation and soak benches send it."""
    return {
        "kind": "incident",
        "account_id": account.pk,
        "department": account.department,
        "service": service,
        "severity": 3,
        "title": f"Agents of {account.name} cannot log in",
        "users_affected": 40,
        "frequency": "intermittent",
        "first_observed_at": "2026-11-02T08:30:00-05:00",
        "business_impact": "Inbound queue unstaffed; customers wait over 10 minutes.",
        "steps_to_reproduce": "Log in as any agent from the Chicago site; the desktop times out.",
        "local_contact": "Pat Doe, +1 312 555 0188, pat@example.com",
        "impacted_working_hours": "Mon-Fri 08:00-18:00",
        "impacted_timezone": "America/Chicago",
        "level1": {
            "help_consulted": True,
            "user_guide_faq_consulted": True,
            "service_advisories_checked": True,
            "problem_reproduced": True,
            "third_party_cause_ruled_out": True,
        },
        "additional_details": {},
    }


def latency_summary(ms: list[float]) -> dict[str, float]:
    """p50, p99 and the fastest of in-process timings, in ms."""
    ordered = sorted(ms)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
        "min": round(ordered[0], 2),
    }
