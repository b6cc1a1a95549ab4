"""A bounded mixed workload at a fixed rate against caredesk (issue 8, item 3).

    .venv/bin/python bench/soak.py --db postgresql://postgres@127.0.0.1:5432/caredesk_100k \\
        [--rate 200] [--minutes 10]

caredesk runs as in production: gunicorn with 2 sync workers and one ``caredesk worker`` (the
background tasks and the sweep scheduler), production settings, on the seeded database. An
open-loop client sends ``--rate`` requests per second for ``--minutes``, whatever the answers take
(a request scheduled at t is sent at t; its latency counts from t, so a stall is not hidden by
the client waiting: no coordinated omission), with this mix:

  40 % reads   the agent's list of open cases due soonest, a case, its timeline, its comments
  20 % comments   Customer Care's public comment on one of the cases the soak opened
  15 % state changes   acknowledge -> await reseller -> resume -> restore -> resolve, per case
  15 % creates   a Designated Contact's full intake, with an Idempotency-Key
  10 % uploads   a small log file (text, no customer data) on one of the soak's cases

Each case the soak creates belongs to one lane (client thread) that walks it through the
lifecycle, so no two requests race on one case; every answer must be 2xx. Every 10 s it samples the
resident memory of the web workers and of the background worker. The last line is a JSON summary:
answers by status, p50/p99/max latency overall and per kind, and the memory samples.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.httpbench import CAREDESK_ENV, caredesk_ready, gunicorn_argv  # noqa: E402
from bench.loadgen import children, free_port, rss_mib, wait_http  # noqa: E402

MIX = [("read", 40), ("comment", 20), ("state", 15), ("create", 15), ("upload", 10)]
STEPS = ["acknowledge", "await-reseller", "resume", "restore", "resolve"]
BODIES = {
    "await-reseller": {"message": "Please send the agent log of an affected desktop."},
    "restore": {"summary": "Service restored by failing over the media server."},
    "resolve": {"code": "solution", "summary": "Root cause fixed in the platform release."},
}
LOG = b"2026-11-02T08:30:00Z desk 4 login timeout after 30 s\n" * 40


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    late: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, latency: float, body: bytes) -> None:
        with self.lock:
            self.latencies[kind].append(latency)
            self.statuses[f"{kind}:{status}"] += 1
            if not 200 <= status < 300 and len(self.errors) < 20:
                self.errors.append(f"{kind} {status} {body[:200]!r}")


class Lane:
    """One client thread's own cases, each walked through the lifecycle in order."""

    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []  # {"id", "step"}


def request(port: int, method: str, path: str, token: str, body: Any = None, **headers: str) -> tuple[int, bytes]:
    sent = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https", **headers}
    data = None
    if isinstance(body, bytes):
        data = body
    elif body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=sent)
        r = conn.getresponse()
        return r.status, r.read()
    except OSError as exc:
        return 0, str(exc).encode()
    finally:
        conn.close()


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
    head += "Content-Type: text/plain\r\n\r\n"
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def act(kind: str, lane: Lane, info: dict[str, Any], port: int, rng: random.Random) -> tuple[int, bytes]:
    agent, dc = info["agent_token"], info["dc_token"]
    if kind == "create" or (kind != "read" and not lane.cases):
        key = uuid.uuid4().hex
        status, body = request(port, "POST", "/api/cases", dc, json.loads(info["payload"]), **{"Idempotency-Key": key})
        if status == 201:
            lane.cases.append({"id": json.loads(body)["id"], "step": 0})
            lane.cases = lane.cases[-50:]
        return status, body
    if kind == "read":
        roll = rng.random()
        if roll < 0.4 or not lane.cases:
            return request(port, "GET", info["list_path"], agent)
        case = rng.choice(lane.cases)["id"]
        path = ("/api/cases/{}", "/api/cases/{}/timeline", "/api/cases/{}/comments")[int(roll * 10) % 3]
        return request(port, "GET", path.format(case), agent)
    # A public comment is Customer Care's response: only on cases already acknowledged (open or
    # restored, steps 1, 3 and 4), so that the lifecycle steps of each case stay valid.
    talking = [c for c in lane.cases if c["step"] in (1, 3, 4)]
    if kind == "comment" and talking:
        case = rng.choice(talking)["id"]
        return request(port, "POST", f"/api/cases/{case}/comments", agent, {"body": "We are looking into it."})
    if kind == "upload":
        case = rng.choice(lane.cases)["id"]
        body, ctype = multipart("desk4.log", LOG)
        return request(port, "POST", f"/api/cases/{case}/attachments", dc, body, **{"Content-Type": ctype})
    open_cases = [c for c in lane.cases if c["step"] < len(STEPS)]
    if not open_cases:
        return act("create", lane, info, port, rng)
    case = open_cases[0]
    step = STEPS[case["step"]]
    status, body = request(port, "POST", f"/api/cases/{case['id']}/{step}", agent, BODIES.get(step, {}))
    if status == 200:
        case["step"] += 1
        if case["step"] == len(STEPS):
            lane.cases.remove(case)  # resolved: no more comments or uploads on it
    return status, body


def run(info: dict[str, Any], port: int, args: argparse.Namespace, stats: Stats, pids: dict[str, int]) -> list[dict]:
    lanes = [Lane() for _ in range(args.lanes)]
    locks = [threading.Lock() for _ in lanes]
    kinds = [k for k, w in MIX for _ in range(w)]
    start = time.monotonic() + 1
    total = int(args.rate * args.minutes * 60)
    samples: list[dict[str, Any]] = []
    done = threading.Event()

    inflight = threading.BoundedSemaphore(args.max_inflight)

    def fire(i: int, scheduled: float) -> None:
        n = i % len(lanes)
        rng = random.Random(i)
        kind = rng.choice(kinds)
        try:
            with locks[n]:
                status, body = act(kind, lanes[n], info, port, rng)
            stats.record(kind, status, time.monotonic() - scheduled, body)
        finally:
            inflight.release()

    def sampler() -> None:
        while not done.wait(10):
            with stats.lock:
                answered = sum(stats.statuses.values())
            samples.append(
                {"t": round(time.monotonic() - start), "answered": answered,
                 **{name: round(rss_mib(pid), 1) for name, pid in pids.items()}}
            )  # fmt: skip

    threading.Thread(target=sampler, daemon=True).start()
    threads: list[threading.Thread] = []
    for i in range(total):
        scheduled = start + i / args.rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.05:
            stats.late += 1  # the client itself fell behind: reported, never hidden
        if not inflight.acquire(blocking=False):
            # The server is this far behind: the request is counted as failed (status 0), never
            # queued without bound in the client.
            stats.record(rng_kind(i, kinds), 0, time.monotonic() - scheduled, b"client backlog full")
            continue
        t = threading.Thread(target=fire, args=(i, scheduled), daemon=True)
        t.start()
        threads.append(t)
        if len(threads) > 2000:
            threads = [t for t in threads if t.is_alive()]
    for t in threads:
        t.join(60)
    done.set()
    return samples


def rng_kind(i: int, kinds: list[str]) -> str:
    return random.Random(i).choice(kinds)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--lanes", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-inflight", type=int, default=400, help="beyond this, a request counts as failed")
    args = parser.parse_args()
    info = caredesk_ready(args.db)
    env = {**os.environ, **CAREDESK_ENV, "DATABASE_URL": args.db, "PYTHONPATH": str(ROOT)}
    port = free_port()
    web = subprocess.Popen(
        gunicorn_argv(Path(sys.executable).parent, "config.wsgi:application", port, args.workers),
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "caredesk.cli", "worker"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    stats = Stats()
    load_before = os.getloadavg()
    try:
        wait_http(port, "/api/openapi.json", headers={"X-Forwarded-Proto": "https"})
        pids = {f"web{i}": pid for i, pid in enumerate(children(web.pid))} | {"worker": worker.pid}
        samples = run(info, port, args, stats, pids)
    finally:
        web.terminate()
        worker.terminate()
        web.wait(20)
        worker.wait(20)
    every = [x for values in stats.latencies.values() for x in values]
    by_status = Counter()
    for key, n in stats.statuses.items():
        by_status[key.split(":")[1]] += n
    summary = {
        "rate": args.rate,
        "minutes": args.minutes,
        "requests": len(every),
        "statuses": dict(by_status),
        "non_2xx": sum(n for s, n in by_status.items() if not s.startswith("2")),
        "client_late": stats.late,
        "p50_ms": round(percentile(every, 0.50), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "max_ms": round(max(every) * 1000, 1) if every else None,
        "by_kind": {
            k: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 1), "p99_ms": round(percentile(v, 0.99), 1)}
            for k, v in sorted(stats.latencies.items())
        },
        "errors": stats.errors,
        "memory_mib": samples,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    for s in samples[:: max(1, len(samples) // 12)]:
        print(s, file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
