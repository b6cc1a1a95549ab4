"""Web CPU per request of each kind of request the soak sends (bench/soak.py), in-process, and what
the soak's mix costs per request (issue 8, item 3: 200 requests/s for 10 minutes).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_100k .venv/bin/python bench/mixprofile.py

The database must be seeded (``bench/seed.py``; any size). Production settings as the HTTP
benchmark's, through Django's test client (the whole middleware stack, token look-up, rate limit,
idempotency check; no network, no server): 60 creations as a Designated Contact (with
Idempotency-Keys), then each read of the soak (the open-cases list, a case, its timeline, its
comments), an upload of the soak's log file, a public comment and each lifecycle step
(acknowledge, await the reseller, resume, restore, resolve) on those cases, a few untimed first.
For each kind: the process's CPU and the wall time per request (PostgreSQL's own CPU is another
process and not in it). The last line is JSON: every kind's CPU in ms, the mix's average with the
soak's weights, and how many cores the web workers alone need at 200 requests/s.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.httpbench import CAREDESK_ENV  # noqa: E402
from bench.soak import BODIES, LOG, MIX, STEPS, multipart  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    os.environ.update(CAREDESK_ENV)  # the HTTP benchmark's settings
    import django

    django.setup()
    from django.test import Client

    from bench.loadgen import intake_payload
    from caredesk.tenancy.models import EndUserAccount, Subscription, User
    from caredesk.tenancy.services import token_create

    account = EndUserAccount.objects.order_by("id").first()
    assert account is not None, "seed the database first (bench/seed.py)"
    dc = User.objects.filter(reseller_id=account.reseller_id, role="designated_contact", is_active=True).first()
    agent = User.objects.filter(role="care_agent", is_active=True).first()
    assert dc is not None and agent is not None
    service = Subscription.objects.filter(account=account).values_list("service", flat=True).first()
    dc_token, agent_token = token_create(actor=dc, name="mix profile"), token_create(actor=agent, name="mix profile")
    client = Client()

    def auth(token: tuple[Any, str]) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token[1]}", "HTTP_X_FORWARDED_PROTO": "https"}

    payload = json.dumps(intake_payload(account, service))
    cpu_ms: dict[str, float] = {}
    cases: list[int] = []

    def measure(kind: str, send: Callable[[], Any], n: int, warm: int = 3) -> None:
        for _ in range(warm):
            send()
        started, wall = _cpu(), time.perf_counter()
        for _ in range(n):
            answer = send()
            assert answer.status_code in (200, 201), (kind, answer.status_code, answer.content[:300])
        cpu_ms[kind] = round((_cpu() - started) / n * 1000, 2)
        print(f"{kind:24} cpu {cpu_ms[kind]:6.2f} ms   wall {(time.perf_counter() - wall) / n * 1000:6.2f} ms")

    def create() -> Any:
        answer = client.post(
            "/api/cases",
            payload,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            **auth(dc_token),
        )
        cases.append(answer.json()["id"])
        return answer

    measure("create", create, 60)
    one = cases[0]
    measure(
        "read: list", lambda: client.get("/api/cases?open=true&ordering=next_due&page_size=25", **auth(agent_token)), 60
    )
    for name, path in (
        ("case", "/api/cases/{}"),
        ("timeline", "/api/cases/{}/timeline"),
        ("comments", "/api/cases/{}/comments"),
    ):
        measure(f"read: {name}", lambda path=path: client.get(path.format(one), **auth(agent_token)), 60)
    body, ctype = multipart("desk4.log", LOG)
    measure(
        "upload",
        lambda: client.post(f"/api/cases/{cases[1]}/attachments", body, content_type=ctype, **auth(dc_token)),
        30,
    )
    walked = cases[10:]  # each step on the same 43 cases in turn: every step is a legal one

    def poster(action: str, data: dict[str, Any]) -> Callable[[], Any]:
        order, body = iter(walked), json.dumps(data)
        return lambda: client.post(
            f"/api/cases/{next(order)}/{action}", body, content_type="application/json", **auth(agent_token)
        )

    for step in STEPS:
        measure(f"state: {step}", poster(step, BODIES.get(step, {})), 40)
        if step == "acknowledge":  # Customer Care answers acknowledged cases
            measure("comment", poster("comments", {"body": "We are looking into it."}), 40)
    reads = 0.4 * cpu_ms["read: list"] + 0.2 * (
        cpu_ms["read: case"] + cpu_ms["read: timeline"] + cpu_ms["read: comments"]
    )
    per_kind = {
        "read": reads,
        "comment": cpu_ms["comment"],
        "state": sum(cpu_ms[f"state: {s}"] for s in STEPS) / len(STEPS),
        "create": cpu_ms["create"],
        "upload": cpu_ms["upload"],
    }
    mix = sum(per_kind[kind] * weight for kind, weight in MIX) / sum(weight for _, weight in MIX)
    print(
        json.dumps({"mix_cpu_ms_per_request": round(mix, 2), "web_cores_at_200_per_s": round(mix * 0.2, 2), **cpu_ms})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
