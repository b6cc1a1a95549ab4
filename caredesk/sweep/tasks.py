"""The sweep as a task of Django's tasks framework: the scheduler (``caredesk worker``) enqueues
it once per interval and any worker runs it. Safe to run twice or at once (see services)."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict
from typing import Any

from django.tasks import task
from django.utils.timezone import now as clock_now

from caredesk.ops.housekeeping import housekeeping_run
from caredesk.sweep.services import sweep_run


@task(priority=50)
def sweep_task() -> dict[str, Any]:
    result = sweep_run(worker=f"{socket.gethostname()}:{os.getpid()}").as_dict()
    now = clock_now()
    if now.minute == 0:
        # Once an hour (the sweep runs every 30 s; a second run in the same minute deletes nothing).
        result["housekeeping"] = asdict(housekeeping_run(now=now))
    return result
