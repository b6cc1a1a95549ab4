"""Background tasks of notifications. They take ids, call one delivery function, and are safe to run
twice (a second run finds the rows sent or claimed and does nothing)."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from caredesk.notifications import delivery


@task()
def deliver_task(notification_id: int) -> dict[str, int]:
    """Send what is due of one notification: enqueued when the notification's transaction commits."""
    return asdict(delivery.deliver_notification(notification_id=notification_id))


@task()
def deliver_due_task() -> dict[str, int]:
    """Send every due row (retries, rows whose worker died): the deferred wake-up."""
    return asdict(delivery.deliver_due())
