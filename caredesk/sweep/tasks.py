"""The sweep as a task of Django's tasks framework: the scheduler (``caredesk worker``) enqueues
it once per interval and any worker runs it. Safe to run twice or at once (see services)."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.tasks import task

from caredesk.sweep.services import sweep_run


@task(priority=50)
def sweep_task() -> dict[str, Any]:
    return sweep_run(worker=f"{socket.gethostname()}:{os.getpid()}").as_dict()
