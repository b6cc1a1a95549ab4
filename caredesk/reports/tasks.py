"""The reports' preparation as a task of Django's tasks framework: ``caredesk worker``'s scheduler
enqueues it once per CAREDESK_REPORTS_PREPARE_INTERVAL and any worker runs it. Safe to run twice
or at once (see services)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from caredesk.reports.services import reports_prepare


@task(priority=-50)  # after deliveries and the sweep: it only saves a later page some time
def reports_prepare_task() -> dict[str, Any]:
    return reports_prepare().as_dict()
