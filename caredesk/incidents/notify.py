"""Who hears of post-incident steps: the reseller's Designated Contacts of the dates and the
published report; Customer Care (the assigned agent, else the managers) of a report requested."""

from __future__ import annotations

from typing import Any

from caredesk.cases.models import Case
from caredesk.domain.tenancy.roles import CARE_ROLES, Role
from caredesk.notifications.services import notification_enqueue
from caredesk.tenancy.models import User
from caredesk.tenancy.selectors import active_designated_contacts


def designated_contacts(case: Case) -> list[User]:
    return list(active_designated_contacts(reseller_id=case.reseller_id).order_by("pk"))


def care_workers(case: Case) -> list[User]:
    if case.assignee_id is not None:
        agent = User.objects.filter(
            pk=case.assignee_id, is_active=True, role__in=sorted(r.value for r in CARE_ROLES)
        ).first()
        if agent is not None:
            return [agent]
    return list(User.objects.filter(role=Role.CARE_MANAGER.value, is_active=True).order_by("pk"))


def post_incident_notify(
    *, case: Case, event_kind: str, recipients: list[User], subject: str, body: str, context: dict[str, Any], key: str
) -> None:
    if recipients:
        notification_enqueue(
            event_kind=event_kind,
            recipients=recipients,
            subject=subject,
            body=body,
            context={"case_id": case.pk, "case_title": case.title, **context},
            dedupe_key=f"{event_kind}:{key}",
            reseller_id=case.reseller_id,
            link=f"/cases/{case.pk}",
        )
