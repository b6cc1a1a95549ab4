"""Run in a subprocess by test_crash.py: ``python -m tests.integration.notifications.crash_seed N K``
records N notifications, each to the same K people, through the real write path (each in its own
transaction, so its delivery task is queued when it commits)."""

from __future__ import annotations

import sys

import django


def main(notifications: int, people: int) -> None:
    django.setup()
    from django.db import transaction

    from caredesk.notifications.services import notification_enqueue
    from caredesk.tenancy.models import User

    users = [
        User.objects.create(email=f"agent{i}@vendor.test", name=f"Agent {i}", role="care_agent") for i in range(people)
    ]
    for n in range(notifications):
        with transaction.atomic():
            notification_enqueue(
                event_kind="crash_test",
                recipients=users,
                subject=f"Notification {n}",
                body=f"Body of notification {n}.",
                context={"n": n},
                dedupe_key=f"crash:{n}",
                reseller_id=None,
            )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
