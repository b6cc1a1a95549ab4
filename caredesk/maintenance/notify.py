"""Who hears of maintenance events, and the one door to the notifications outbox.

``enqueue`` calls ``caredesk.notifications.services.notification_enqueue``, which records outbox
rows in the caller's transaction (a worker delivers them after commit), so a maintenance write and
its notifications are committed, or rolled back, together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from caredesk.domain.tenancy.roles import Role
from caredesk.notifications.services import notification_enqueue
from caredesk.tenancy.models import User
from caredesk.tenancy.selectors import active_designated_contacts


def enqueue(
    *,
    event_kind: str,
    recipients: Iterable[User],
    subject: str,
    body: str,
    context: dict[str, Any],
    dedupe_key: str,
    reseller_id: int | None,
    link: str = "",
) -> int:
    result: int = notification_enqueue(
        event_kind=event_kind,
        recipients=list(recipients),
        subject=subject,
        body=body,
        context=context,
        dedupe_key=dedupe_key,
        reseller_id=reseller_id,
        link=link,
    )
    return result


def customer_care() -> QuerySet[User]:
    """The people who decide reschedule requests: active Customer Care managers and agents."""
    return User.objects.filter(
        role__in=[Role.CARE_MANAGER.value, Role.CARE_AGENT.value], is_active=True, reseller__isnull=True
    ).order_by("id")


def reseller_dcs(reseller_id: int, *also: User) -> list[User]:
    """The reseller's active Designated Contacts plus ``also`` (the requesting DC, whatever their
    role today) when still active: each person once, in id order."""
    people = {user.pk: user for user in active_designated_contacts(reseller_id=reseller_id)}
    for user in also:
        if user.is_active:
            people.setdefault(user.pk, user)
    return [people[key] for key in sorted(people)]
