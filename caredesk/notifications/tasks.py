"""Background tasks of notifications. They take ids, call one delivery function, and are safe to run
twice (a second run finds the rows sent or claimed and does nothing)."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from caredesk.notifications import delivery


@task()
def deliver_task(notification_id: int) -> dict[str, int]:
    """Send what is due of one notification (enqueued when the notification's transaction commits),
    then whatever else is due, in batches: in a burst of notifications the first task to run sends
    the others' rows 50 at a time, and their own tasks find nothing left (two empty claims)."""
    report = delivery.deliver_notification(notification_id=notification_id)
    report += delivery.deliver_due()
    return asdict(report)


@task()
def deliver_due_task() -> dict[str, int]:
    """Send every due row (retries, rows whose worker died): the deferred wake-up."""
    return asdict(delivery.deliver_due())
