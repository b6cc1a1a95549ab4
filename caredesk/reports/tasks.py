"""The reports' preparation as a task of Django's tasks framework: ``caredesk worker``'s scheduler
enqueues it once per CAREDESK_REPORTS_PREPARE_INTERVAL and any worker runs it. Safe to run twice
or at once (see services)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from caredesk.reports import services


@task(priority=-50)  # after deliveries and the sweep: it only saves a later page some time
def reports_prepare_task() -> dict[str, Any]:
    """One run of at most ``PREPARE_BUDGET_SECONDS``; if work is left, the next run is enqueued at
    once (behind every waiting task of a higher priority) instead of an interval later."""
    result = services.reports_prepare(budget=services.PREPARE_BUDGET_SECONDS)
    if result.more:
        reports_prepare_task.enqueue()
    return result.as_dict()
