"""The API case list in-process: whole request latency, and what reading only the list's columns
saves against reading whole rows, both in one run on one database (issue 8: list p99 < 20 ms).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_100k \\
        .venv/bin/python bench/listbench.py [--requests 300] [--page-size 25]

The database must be seeded (``bench/seed.py``). A Customer Care agent's bearer token is minted
(and revoked at the end); then:

1. ``--requests`` sequential ``GET /api/cases?open=true&page_size=N`` (the open cases due soonest,
   an agent's queue) through Django's test client (the whole
   middleware stack, token look-up and rate limit included; no network), after 20 untimed ones:
   p50, p99, fastest, and the process CPU per request; then the same for ``GET /api/cases`` (every
   case the agent may see, closed ones last: the indexes ``case_due`` and ``case_reseller_due_id``).
2. The list's own work, alternating the two ways to read a page (``--requests`` each): the query
   the API runs now (``only`` the list's columns, no joins) and the one it ran before (whole
   ``Case`` rows with the ``account`` and ``assignee`` joins), each followed by building the
   answer with ``CaseListOut``. The ratio of the medians is the saving.

Prints a table and, as its last line, one JSON object with every figure and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import latency_summary  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _times(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=25)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ.setdefault("CAREDESK_ENV", "test")
    import django

    django.setup()
    from django.test import Client
    from django.utils.timezone import now

    from caredesk.api.keyset import keyset_page
    from caredesk.cases import selectors
    from caredesk.cases.api import LIST_COLUMNS
    from caredesk.cases.models import Case
    from caredesk.cases.schemas import CaseListOut
    from caredesk.tenancy import services
    from caredesk.tenancy.models import User

    agent = User.objects.filter(role="care_agent", is_active=True).order_by("pk").first()
    if agent is None or not Case.objects.exists():
        sys.exit("seed the database first (bench/seed.py)")
    cases = Case.objects.count()
    token, secret = services.token_create(actor=agent, name="listbench")
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/cases?open=true&page_size={args.page_size}"
    try:
        for _ in range(20):
            assert client.get(url, headers=headers).status_code == 200
        cpu0 = _cpu()
        request_ms = _times(lambda: client.get(url, headers=headers), args.requests)
        cpu_ms = (_cpu() - cpu0) * 1000 / args.requests
        every_url = f"/api/cases?page_size={args.page_size}"  # every case, closed ones last
        every_ms = _times(lambda: client.get(every_url, headers=headers), args.requests)

        def page(qs: Any) -> list[dict[str, Any]]:
            rows, _ = keyset_page(qs, selectors.ORDERINGS["next_due"], cursor=None, page_size=args.page_size)
            return [CaseListOut.model_validate(row).model_dump() for row in rows]

        def columns_only() -> Any:
            qs = selectors.case_list_for_actor(actor=agent, open_only=True)
            return page(qs.select_related(None).only(*LIST_COLUMNS))

        def whole_rows() -> Any:
            return page(selectors.case_list_for_actor(actor=agent, open_only=True))

        assert columns_only() == whole_rows(), "both ways must answer the same page"
        only_ms: list[float] = []
        whole_ms: list[float] = []
        for _ in range(args.requests):
            only_ms += _times(columns_only, 1)
            whole_ms += _times(whole_rows, 1)
    finally:
        services.token_revoke(actor=agent, token_id=token.pk)

    result = {
        "cases": cases,
        "page_size": args.page_size,
        "requests": args.requests,
        "request_ms": latency_summary(request_ms),
        "request_cpu_ms": round(cpu_ms, 2),
        "request_every_case_ms": latency_summary(every_ms),
        "list_columns_only_ms": latency_summary(only_ms),
        "list_whole_rows_ms": latency_summary(whole_ms),
        "whole_over_columns_p50": round(statistics.median(whole_ms) / statistics.median(only_ms), 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "at": now().isoformat(timespec="seconds"),
    }
    print(f"{cases:,} cases, page of {args.page_size}, {args.requests} requests, load {result['load_average']}")
    print(f"  GET /api/cases (whole request)  {result['request_ms']}  CPU {cpu_ms:.2f} ms/request")
    print(f"  GET /api/cases (every case)     {result['request_every_case_ms']}")
    print(f"  list: only the list's columns   {result['list_columns_only_ms']}")
    print(f"  list: whole rows and two joins  {result['list_whole_rows_ms']}")
    print(f"  whole rows / columns only (p50) {result['whole_over_columns_p50']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
