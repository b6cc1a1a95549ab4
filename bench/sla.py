"""Benchmark of the SLA business calendar against the existing libraries (issue 3 item 7).

    .venv/bin/python bench/sla.py            # the full workload
    .venv/bin/python bench/sla.py --quick    # a tenth of it

Workload (seeded, so every run and every library gets the same one): 100,000 ``add`` of an amount
drawn from {15m, 2bh, 4bh, 6bh, 1bd, 5bd, 15bd, 30bd} to a random whole-second instant in
2025-2028, on America/New_York Mon-Fri 09:00-17:00 with US holidays, and 100,000 ``elapsed``
between a random instant and one up to 60 days later. Calls go one at a time with aware (UTC)
datetimes in and out; the batch runs pass NumPy arrays. ``15m`` is a 24x7 amount: every library
adds it as plain absolute time, so it costs the same everywhere.

Peers: ``workclock`` (Rust core, NumPy batch API), ``businesstimedelta`` and pandas
``CustomBusinessHour`` (which has no "elapsed"). Each peer answer is checked against caredesk's
and the share of identical answers is reported. A peer too slow to finish a phase within
``--peer-seconds`` (default 20 s) is stopped there: its figures are for the items it did, a
prefix of the same random workload, and the report says how many.

Method: the process is pinned to one CPU; each timed phase runs with the garbage collector
paused, best of three passes for phases under two seconds (else one); caredesk's peak RSS is read
before any peer is imported. The last line printed is one JSON object with the figures of
issue 3. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from caredesk.domain.sla.amounts import parse_amount
from caredesk.domain.sla.calendar import BusinessCalendar

AMOUNTS = ["15m", "2bh", "4bh", "6bh", "1bd", "5bd", "15bd", "30bd"]
ZONE = "America/New_York"
CAL = {"timezone": ZONE, "holiday_country": "US"}  # no "hours": Mon-Fri 09:00-17:00
FROM = datetime(2025, 1, 1, tzinfo=UTC)
UNTIL = datetime(2029, 1, 1, tzinfo=UTC)
HOLIDAY_YEARS = range(2024, 2031)


class Work:
    """The seeded workload, in every shape the libraries need."""

    def __init__(self, n: int, seed: int, calendar: BusinessCalendar) -> None:
        rnd = random.Random(seed)
        lo, hi = int(FROM.timestamp()), int(UNTIL.timestamp())
        self.amount_texts = [rnd.choice(AMOUNTS) for _ in range(n)]
        parsed = {text: parse_amount(text) for text in AMOUNTS}
        self.seconds = [parsed[t].seconds(calendar) for t in self.amount_texts]  # type: ignore[union-attr]
        self.business = [parsed[t].business for t in self.amount_texts]  # type: ignore[union-attr]
        self.deltas = [timedelta(seconds=s) for s in self.seconds]
        add_posix = [rnd.randrange(lo, hi) for _ in range(n)]
        self.add_starts = [datetime.fromtimestamp(t, UTC) for t in add_posix]
        el_posix = [rnd.randrange(lo, hi) for _ in range(n)]
        el_ends = [t + rnd.randrange(0, 60 * 86400 + 1) for t in el_posix]
        self.el_starts = [datetime.fromtimestamp(t, UTC) for t in el_posix]
        self.el_ends = [datetime.fromtimestamp(t, UTC) for t in el_ends]
        self.np_add_starts = np.array(add_posix, dtype=np.int64)
        self.np_seconds = np.array(self.seconds, dtype=np.float64)
        self.np_business = np.array(self.business, dtype=bool)
        self.np_el_starts = np.array(el_posix, dtype=np.int64)
        self.np_el_ends = np.array(el_ends, dtype=np.int64)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``fn`` (3 passes if one takes under 2 s), GC paused; and its result."""
    best, result = float("inf"), None
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
        finally:
            gc.enable()
        best = min(best, elapsed)
        if elapsed >= 2.0:
            break
    return best, result


def capped(fn: Callable[[int], Any], items: int, budget: float) -> tuple[float, list[Any]]:
    """Run ``fn(i)`` for i = 0.. until all ``items`` or ``budget`` seconds: (seconds, results)."""
    out: list[Any] = []
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        deadline = t0 + budget
        for start in range(0, items, 500):
            out.extend(fn(i) for i in range(start, min(start + 500, items)))
            if time.perf_counter() > deadline:
                break
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    return elapsed, out


def share_equal(got: Sequence[Any], want: Sequence[Any]) -> float:
    if not got:
        return 0.0
    return sum(1 for g, w in zip(got, want, strict=False) if g == w) / len(got)


# ------------------------------------------------------------------------------ caredesk


def run_caredesk(w: Work, calendar: BusinessCalendar, n: int) -> dict[str, Any]:
    add, elapsed = calendar.add, calendar.elapsed
    items = list(zip(w.add_starts, w.seconds, w.business, w.deltas, strict=True))
    pairs = list(zip(w.el_starts, w.el_ends, strict=True))
    # Compile the calendar's years once, as any long-running process would.
    build_t0 = time.perf_counter()
    calendar.add(w.add_starts[0], 1.0)
    calendar.elapsed(FROM, UNTIL)
    build = time.perf_counter() - build_t0

    t_add, dues = timed(lambda: [add(s, x) if b else s + d for s, x, b, d in items])
    t_el, spent = timed(lambda: [elapsed(a, b) for a, b in pairs])

    starts, secs, business = w.np_add_starts, w.np_seconds, w.np_business

    def batch_add() -> Any:
        due = starts + secs
        due[business] = calendar.add_many(starts[business], secs[business])
        return due

    t_badd, bdues = timed(batch_add)
    t_bel, bspent = timed(lambda: calendar.elapsed_many(w.np_el_starts, w.np_el_ends))
    batch_exact = bool(
        np.array_equal(bdues, np.array([d.timestamp() for d in dues])) and np.array_equal(bspent, np.array(spent))
    )

    # 30bd versus 2bh from the same starts, passes interleaved so a burst of load on the shared
    # machine hits both alike; best of five each.
    m = min(n, 20_000)
    sample = w.add_starts[:m]
    thirty, two = 30 * calendar.business_day_seconds, 2 * 3600.0
    t30 = t2 = float("inf")
    for _ in range(5):
        t30 = min(t30, timed(lambda: [add(s, thirty) for s in sample])[0])
        t2 = min(t2, timed(lambda: [add(s, two) for s in sample])[0])
    return {
        "build_s": build,
        "add_ops": n / t_add,
        "elapsed_ops": n / t_el,
        "batch_add_ops": n / t_badd,
        "batch_elapsed_ops": n / t_bel,
        "batch_exact": batch_exact,
        "ratio_30bd_2bh": t30 / t2,
        "dues": dues,
        "spent": spent,
        "batch_dues": bdues,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# ------------------------------------------------------------------------------ peers


def us_holidays() -> Any:
    import holidays

    return holidays.country_holidays("US", years=HOLIDAY_YEARS)


def run_workclock(w: Work, n: int, budget: float, cd: dict[str, Any]) -> dict[str, Any]:
    import workclock

    schedule = workclock.Schedule(
        [workclock.WorkDay(clock(9), clock(17), days=range(5)), workclock.Holidays(us_holidays())],
        time_zone=ZONE,
    )
    add, between = schedule.add, schedule.between
    items = list(zip(w.add_starts, w.business, w.deltas, strict=True))
    t_add, dues = timed(lambda: [add(s, d) if b else s + d for s, b, d in items])
    pairs = list(zip(w.el_starts, w.el_ends, strict=True))
    t_el, spent = timed(lambda: [between(a, b).total_seconds() for a, b in pairs])

    starts = w.np_add_starts.astype("datetime64[s]").astype("datetime64[us]")
    deltas = (w.np_seconds * 1e6).astype(np.int64).astype("timedelta64[us]")
    business = w.np_business

    def batch_add() -> Any:
        due = starts + deltas
        due[business] = schedule.add_many(starts[business], deltas[business])
        return due

    t_badd, bdues = timed(batch_add)
    el_a = w.np_el_starts.astype("datetime64[s]").astype("datetime64[us]")
    el_b = w.np_el_ends.astype("datetime64[s]").astype("datetime64[us]")
    t_bel, _ = timed(lambda: schedule.between_many(el_a, el_b))
    bdues_posix = bdues.astype("datetime64[us]").astype(np.int64) / 1e6
    return {
        "add_ops": n / t_add,
        "add_exact": share_equal(dues, cd["dues"]),
        "add_items": n,
        "elapsed_ops": n / t_el,
        "elapsed_exact": share_equal(spent, cd["spent"]),
        "elapsed_items": n,
        "batch_add_ops": n / t_badd,
        "batch_add_exact": float(np.mean(bdues_posix == cd["batch_dues"])),
        "batch_elapsed_ops": n / t_bel,
    }


def run_businesstimedelta(w: Work, n: int, budget: float, cd: dict[str, Any]) -> dict[str, Any]:
    import businesstimedelta as btd
    import pytz

    tz = pytz.timezone(ZONE)
    rules = btd.Rules(
        [
            btd.WorkDayRule(start_time=clock(9), end_time=clock(17), working_days=[0, 1, 2, 3, 4], tz=tz),
            btd.HolidayRule(us_holidays(), tz=tz),
        ]
    )
    deltas = {t: btd.BusinessTimeDelta(rules, timedelta=d) for t, d in zip(w.amount_texts, w.deltas, strict=True)}
    steps = [deltas[t] for t in w.amount_texts]

    def one_add(i: int) -> Any:
        s = w.add_starts[i]
        return s + steps[i] if w.business[i] else s + w.deltas[i]

    t_add, dues = capped(one_add, n, budget)
    t_el, spent = capped(lambda i: rules.difference(w.el_starts[i], w.el_ends[i]).timedelta.total_seconds(), n, budget)
    return {
        "add_ops": len(dues) / t_add,
        "add_exact": share_equal(dues, cd["dues"]),
        "add_items": len(dues),
        "elapsed_ops": len(spent) / t_el,
        "elapsed_exact": share_equal(spent, cd["spent"]),
        "elapsed_items": len(spent),
    }


def run_pandas(w: Work, n: int, budget: float, cd: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    days = sorted(us_holidays().keys())
    offsets = {}
    for text, secs in zip(w.amount_texts, w.seconds, strict=True):
        if text not in offsets and text != "15m":
            offsets[text] = pd.offsets.CustomBusinessHour(
                n=round(secs / 3600), start="09:00", end="17:00", holidays=days, weekmask="Mon Tue Wed Thu Fri"
            )
    steps = [offsets.get(t) for t in w.amount_texts]

    def one_add(i: int) -> Any:
        s = w.add_starts[i]
        step = steps[i]
        return pd.Timestamp(s).tz_convert(ZONE) + step if step is not None else s + w.deltas[i]

    t_add, dues = capped(one_add, n, budget)
    return {
        "add_ops": len(dues) / t_add,
        "add_exact": share_equal(dues, cd["dues"]),
        "add_items": len(dues),
        "elapsed_ops": None,
        "elapsed_exact": None,
        "elapsed_items": 0,
    }


PEERS: dict[str, Callable[[Work, int, float, dict[str, Any]], dict[str, Any]]] = {
    "workclock": run_workclock,
    "businesstimedelta": run_businesstimedelta,
    "pandas CustomBusinessHour": run_pandas,
}


# ------------------------------------------------------------------------------ report


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def write_eval_input(path: Path, n: int, seed: int) -> int:
    """The same workload as JSON Lines for `caredesk calendar eval`: n lines, alternately add and elapsed."""
    w = Work(n, seed, BusinessCalendar.from_dict(CAL))
    cal = {**CAL, "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}

    def iso(d: datetime) -> str:
        return d.isoformat().replace("+00:00", "Z")

    with path.open("w") as out:
        for i in range(n):
            if i % 2 == 0:
                line = {
                    "id": i,
                    "calendar": cal,
                    "op": "add",
                    "start": iso(w.add_starts[i]),
                    "amount": w.amount_texts[i],
                }
            else:
                line = {
                    "id": i,
                    "calendar": cal,
                    "op": "elapsed",
                    "start": iso(w.el_starts[i]),
                    "end": iso(w.el_ends[i]),
                }
            out.write(json.dumps(line) + "\n")
    print(f"wrote {n:,} lines to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the workload")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--peer-seconds", type=float, default=20.0, help="time cap per slow-peer phase")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the first allowed)")
    parser.add_argument(
        "--write-eval-input",
        metavar="FILE",
        help="only write the workload as `caredesk calendar eval` input (half add, half elapsed) and exit",
    )
    args = parser.parse_args(argv)
    n = 10_000 if args.quick else 100_000
    if args.write_eval_input:
        return write_eval_input(Path(args.write_eval_input), n, args.seed)

    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    print(f"# SLA benchmark: {n:,} add + {n:,} elapsed, seed {args.seed}, one CPU")
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs on the machine, load average {os.getloadavg()[0]:.2f}"
    )

    calendar = BusinessCalendar.from_dict(CAL)
    work = Work(n, args.seed, calendar)
    cd = run_caredesk(work, calendar, n)
    print(
        f"caredesk: compile 2024-2030 once {cd['build_s'] * 1000:.0f} ms; batch answers equal one-at-a-time: "
        f"{cd['batch_exact']}; 30bd/2bh cost {cd['ratio_30bd_2bh']:.2f}; peak RSS {cd['peak_rss_mib']:.1f} MiB"
    )

    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "caredesk",
            {
                "add_ops": cd["add_ops"],
                "add_exact": 1.0,
                "add_items": n,
                "elapsed_ops": cd["elapsed_ops"],
                "elapsed_exact": 1.0,
                "elapsed_items": n,
                "batch_add_ops": cd["batch_add_ops"],
                "batch_add_exact": 1.0,
                "batch_elapsed_ops": cd["batch_elapsed_ops"],
            },
        )
    ]
    for name, run in PEERS.items():
        try:
            rows.append((name, run(work, n, args.peer_seconds, cd)))
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")

    header = (
        f"{'library':26} {'add/s':>11} {'exact':>7} {'x cd':>7} {'elapsed/s':>11} {'exact':>7} {'x cd':>7} "
        f"{'batch add/s':>13} {'exact':>7} {'batch el/s':>13} {'items add/el':>14}"
    )
    print(header)
    for name, r in rows:
        ratio_add = cd["add_ops"] / r["add_ops"]
        ratio_el = cd["elapsed_ops"] / r["elapsed_ops"] if r.get("elapsed_ops") else None
        exact_el = "n/a" if r.get("elapsed_exact") is None else f"{r['elapsed_exact']:.1%}"
        exact_badd = "n/a" if r.get("batch_add_exact") is None else f"{r['batch_add_exact']:.1%}"
        print(
            f"{name:26} {fmt(r['add_ops']):>11} {r['add_exact']:>7.1%} {ratio_add:>7.1f} "
            f"{fmt(r.get('elapsed_ops')):>11} {exact_el:>7} {'n/a' if ratio_el is None else f'{ratio_el:.1f}':>7} "
            f"{fmt(r.get('batch_add_ops')):>13} {exact_badd:>7} {fmt(r.get('batch_elapsed_ops')):>13} "
            f"{r['add_items']:>7}/{r['elapsed_items']:<6}"
        )
    print("(x cd = caredesk's speed divided by the library's; exact = share of answers identical to caredesk's)")

    peers = [(name, r) for name, r in rows[1:]]
    correct = [(name, r) for name, r in peers if r["add_exact"] >= 0.99] or peers
    best_name, best = max(correct, key=lambda item: item[1]["add_ops"]) if correct else ("none", {})
    figures = {
        "add_ops_per_s": round(cd["add_ops"]),
        "elapsed_ops_per_s": round(cd["elapsed_ops"]),
        "batch_add_ops_per_s": round(cd["batch_add_ops"]),
        "batch_elapsed_ops_per_s": round(cd["batch_elapsed_ops"]),
        "best_peer": best_name,
        "best_peer_add_ops_per_s": round(best["add_ops"]) if best.get("add_ops") else None,
        "best_peer_elapsed_ops_per_s": round(best["elapsed_ops"]) if best.get("elapsed_ops") else None,
        "best_peer_batch_add_ops_per_s": round(best["batch_add_ops"]) if best.get("batch_add_ops") else None,
        "cost_ratio_30bd_to_2bh": round(cd["ratio_30bd_2bh"], 3),
        "peak_rss_mib": round(cd["peak_rss_mib"], 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
