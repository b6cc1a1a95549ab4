"""caredesk against django-helpdesk 2.6.1 over HTTP, in the same run on the same machine (issue 8,
item 2): case / ticket creation throughput and latency, and "the 25 open cases due soonest".

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_100k .venv/bin/python bench/seed.py --cases 100000
    .venv/bin/python bench/httpbench.py --caredesk-db postgresql://postgres@127.0.0.1:5432/caredesk_100k \\
        --helpdesk-db helpdesk_100k --tickets 100000

What it does:
1. django-helpdesk: creates /tmp/helpdesk-venv (python3.13 -m venv; pip install django-helpdesk==2.6.1
   gunicorn psycopg[binary]) unless it exists, a minimal project (bench/helpdesk/: PostgreSQL,
   persistent health-checked connections, DEBUG off, token auth for its REST API), its own database
   (created, migrated and seeded with ``--tickets`` tickets, about 30 % open, if it has fewer).
2. caredesk: a Designated Contact's and a Customer Care agent's tokens in the seeded database, and
   the SQL queries of one creation and one list page (counted in-process with the test client).
3. Each system in turn under gunicorn with ``--workers`` sync workers (2), production settings:
   wrk with ``--connections`` (8) for ``--seconds`` (15) per phase: the list first (so that the
   cases created afterwards do not change it), then creation. CPU of the web workers is read from
   /proc around each phase (ms per request). (PostgreSQL backends are not counted: with persistent
   connections that expire after 60 s their processes come and go during a phase.)
   - caredesk list: GET /api/cases?open=true&ordering=next_due&page_size=25 as an agent (every
     tenant's open cases: the largest list there is) and as a Designated Contact of the largest
     reseller; creation: POST /api/cases (a full intake) as that Designated Contact.
   - django-helpdesk list: its web list of one queue's open tickets by due date (the datatables
     JSON its ticket list page loads, 25 rows, as a staff user); creation: POST /helpdesk/api/tickets/
     with a token. Its REST list of open tickets is timed with three single requests (it costs
     one query per accessible ticket, so it cannot be load-tested).
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Not "bench/httpbench.py" as issue 8 names it: run as a script, a file's folder comes first on sys.path,
# so a bench/httpbench.py would shadow the standard library's ``http`` package for every script in bench/.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from typing import Any  # noqa: E402

from bench.loadgen import children, free_port, intake_payload, lua_script, run_wrk, wait_http  # noqa: E402

HD_VENV = Path("/tmp/helpdesk-venv")
HD_DIR = ROOT / "bench" / "helpdesk"
CAREDESK_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "CAREDESK_ENV": "production",
    "CAREDESK_SECRET_KEY": "http-bench-only-" + "z" * 40,
    "CAREDESK_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "CAREDESK_API_RATE": "100000000/m",
}


def helpdesk_ready(db: str, tickets: int) -> dict[str, Any]:
    if not (HD_VENV / "bin" / "gunicorn").exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(HD_VENV)], check=True)
        pip = [str(HD_VENV / "bin" / "pip"), "install", "-q", "django-helpdesk==2.6.1", "gunicorn", "psycopg[binary]"]
        subprocess.run(pip, check=True)
    env = hd_env(db)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], capture_output=True)
    subprocess.run([str(HD_VENV / "bin" / "django-admin"), "migrate", "-v", "0"], env=env, check=True, cwd=HD_DIR)
    info = json.loads(hd_tool(env, "setup"))
    if info["tickets"] < tickets:
        hd_tool(env, "seed", str(tickets - info["tickets"]))
        info = json.loads(hd_tool(env, "setup"))
    info["queries"] = json.loads(hd_tool(env, "queries"))
    return info


def hd_env(db: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "hd_settings", "PYTHONPATH": str(HD_DIR), "HELPDESK_DB": db}


def hd_tool(env: dict[str, str], *args: str) -> str:
    argv = [str(HD_VENV / "bin" / "python"), str(HD_DIR / "hd_tool.py"), *args]
    return subprocess.run(argv, env=env, check=True, capture_output=True, text=True, cwd=HD_DIR).stdout


def caredesk_ready(db: str) -> dict[str, Any]:
    """Tokens, a valid intake and the SQL queries per request, in this process."""
    os.environ.update(DATABASE_URL=db, DJANGO_SETTINGS_MODULE="config.settings", CAREDESK_API_RATE="100000000/m")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from caredesk.tenancy.models import EndUserAccount, Subscription, User
    from caredesk.tenancy.services import token_create

    biggest = (
        EndUserAccount.objects.values("reseller_id").annotate(n=Count("cases")).order_by("-n").first() or {}
    ).get("reseller_id")
    account = EndUserAccount.objects.filter(reseller_id=biggest).order_by("id").first()
    assert account is not None, "seed the database first (bench/seed.py)"
    dc = User.objects.filter(reseller_id=account.reseller_id, role="designated_contact", is_active=True).first()
    agent = User.objects.filter(role="care_agent", is_active=True).first()
    assert dc is not None and agent is not None
    service = Subscription.objects.filter(account=account).values_list("service", flat=True).first()
    _, dc_token = token_create(actor=dc, name="http bench")
    _, agent_token = token_create(actor=agent, name="http bench")
    payload = intake_payload(account, service)
    client = Client()
    body = json.dumps(payload)
    dc_auth = {"HTTP_AUTHORIZATION": f"Bearer {dc_token}", "HTTP_X_FORWARDED_PROTO": "https"}
    list_path = "/api/cases?open=true&ordering=next_due&page_size=25"
    client.post("/api/cases", body, content_type="application/json", **dc_auth)  # warm caches
    with CaptureQueriesContext(connection) as create:
        r = client.post("/api/cases", body, content_type="application/json", **dc_auth)
        assert r.status_code == 201, r.content[:500]
    with CaptureQueriesContext(connection) as listing:
        r = client.get(list_path, HTTP_AUTHORIZATION=f"Bearer {agent_token}", HTTP_X_FORWARDED_PROTO="https")
        assert r.status_code == 200 and len(r.json()["results"]) == 25, r.content[:500]
    connection.close()
    return {
        "dc_token": dc_token,
        "agent_token": agent_token,
        "payload": body,
        "list_path": list_path,
        "queries": {"create": len(create), "list": len(listing)},
    }


def phase(
    name: str,
    url: str,
    script: Path,
    args: argparse.Namespace,
    web: list[int],
    db_name: str,
    connections: int | None = None,
) -> dict[str, Any]:
    conns = connections or args.connections
    result, out = run_wrk(url, script, connections=conns, seconds=args.seconds, pids=web)
    row = result.as_dict()
    print(f"--- {name}\n{out}", file=sys.stderr)
    return row


def serve(argv: list[str], env: dict[str, str], cwd: Path, port: int, probe: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, probe, headers={"X-Forwarded-Proto": "https"})
    time.sleep(1)
    return proc


def gunicorn_argv(bin_dir: Path, app: str, port: int, workers: int) -> list[str]:
    return [str(bin_dir / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--no-control-socket", "--log-level", "warning"]  # fmt: skip


def bench_caredesk(args: argparse.Namespace, info: dict[str, Any]) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, **CAREDESK_ENV, "DATABASE_URL": args.caredesk_db, "PYTHONPATH": str(ROOT)}
    proc = serve(gunicorn_argv(Path(sys.executable).parent, "config.wsgi:application", port, args.workers),
                 env, ROOT, port, "/api/openapi.json")  # fmt: skip
    db = args.caredesk_db.rsplit("/", 1)[1]
    base = f"http://127.0.0.1:{port}"
    tls = {"X-Forwarded-Proto": "https"}
    try:
        web = children(proc.pid)
        out = {"queries": info["queries"]}
        agent = lua_script("GET", {**tls, "Authorization": f"Bearer {info['agent_token']}"})
        out["list_agent"] = phase("caredesk list (agent)", base + info["list_path"], agent, args, web, db)
        # One connection per worker: the service time itself, without queueing behind other requests.
        out["list_agent_unqueued"] = phase(
            "caredesk list (agent), one connection per worker", base + info["list_path"], agent, args, web, db,
            connections=args.workers,
        )  # fmt: skip
        dc = lua_script("GET", {**tls, "Authorization": f"Bearer {info['dc_token']}"})
        out["list_dc"] = phase("caredesk list (DC)", base + info["list_path"], dc, args, web, db)
        create = lua_script(
            "POST", {**tls, "Authorization": f"Bearer {info['dc_token']}", "Content-Type": "application/json"},
            info["payload"],
        )  # fmt: skip
        out["create"] = phase("caredesk create", base + "/api/cases", create, args, web, db)
        out["web_rss_mib"] = [round(rss(p), 1) for p in web]
        return out
    finally:
        proc.terminate()
        proc.wait(20)


def bench_helpdesk(args: argparse.Namespace, info: dict[str, Any]) -> dict[str, Any]:
    port = free_port()
    env = hd_env(args.helpdesk_db)
    proc = serve(gunicorn_argv(HD_VENV / "bin", "hd_wsgi:application", port, args.workers),
                 env, HD_DIR, port, "/helpdesk/login/")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        web = children(proc.pid)
        out = {"queries": info["queries"]}
        listing = lua_script("GET", {"Cookie": f"sessionid={info['session']}"})
        out["list_web"] = phase("helpdesk web list", base + info["list_path"], listing, args, web, args.helpdesk_db)
        body = json.dumps(
            {"queue": info["queue"], "title": "Agents of Account 1 cannot log in", "priority": 2,
             "description": "Inbound queue unstaffed; customers wait over 10 minutes.",
             "submitter_email": "dc1@reseller.invalid"}
        )  # fmt: skip
        create = lua_script(
            "POST", {"Authorization": f"Token {info['token']}", "Content-Type": "application/json"}, body
        )
        out["create"] = phase("helpdesk create", base + "/helpdesk/api/tickets/", create, args, web, args.helpdesk_db)
        out["rest_list_seconds"] = rest_list(base, info["token"], args.rest_samples)
        return out
    finally:
        proc.terminate()
        proc.wait(20)


def rest_list(base: str, token: str, samples: int) -> list[dict[str, Any]]:
    """Single requests to django-helpdesk's REST list of open tickets: status and seconds (a 500
    after 30 s is gunicorn's worker timeout killing the request, as it would caredesk's)."""
    out = []
    for _ in range(samples):
        url = base + "/helpdesk/api/tickets/?status=1,2"
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=300) as r:  # loopback only
                r.read()
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        out.append({"status": status, "seconds": round(time.perf_counter() - started, 2)})
    return out


def rss(pid: int) -> float:
    from bench.loadgen import rss_mib

    return rss_mib(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--caredesk-db", required=True, help="a seeded caredesk database URL")
    parser.add_argument("--helpdesk-db", default="helpdesk_bench", help="django-helpdesk's database name")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rest-samples", type=int, default=3)
    parser.add_argument("--skip-helpdesk", action="store_true")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_before = os.getloadavg()
    hd_info = None if args.skip_helpdesk else helpdesk_ready(args.helpdesk_db, args.tickets)
    cd_info = caredesk_ready(args.caredesk_db)
    result: dict[str, Any] = {"started": started, "load_before": [round(x, 2) for x in load_before]}
    result["caredesk"] = bench_caredesk(args, cd_info)
    if hd_info is not None:
        result["helpdesk"] = bench_helpdesk(args, hd_info)
        result["create_ratio"] = round(result["caredesk"]["create"]["rps"] / result["helpdesk"]["create"]["rps"], 2)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report(result)
    print(json.dumps(result))
    return 0


def report(r: dict[str, Any]) -> None:
    rows = [("caredesk create", r["caredesk"]["create"]), ("caredesk list (agent)", r["caredesk"]["list_agent"]),
            ("caredesk list (agent, c=w)", r["caredesk"]["list_agent_unqueued"]),
            ("caredesk list (DC)", r["caredesk"]["list_dc"])]  # fmt: skip
    if "helpdesk" in r:
        rows += [("helpdesk create", r["helpdesk"]["create"]), ("helpdesk web list", r["helpdesk"]["list_web"])]
    print(f"{'phase':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'web cpu ms':>10} {'non-2xx':>7}")
    for name, row in rows:
        print(
            f"{name:28} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{row['cpu_ms_per_request'] or 0:10.2f} {row['non_2xx']:7}"
        )


if __name__ == "__main__":
    sys.exit(main())
