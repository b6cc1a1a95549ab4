"""The event kinds notifications are sent for, and what makes a kind name valid.

Callers name their own kinds (``notification_enqueue(event_kind=...)``); a kind is any slug
matching ``KIND_PATTERN``. ``KNOWN_EVENT_KINDS`` lists the kinds that exist, with a line for people
choosing preferences and webhook subscriptions: add yours here when you start sending one. A
webhook may subscribe to ``"*"`` (every kind); a preference for ``"*"`` is the person's default."""

from __future__ import annotations

import re

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
EVERY_KIND = "*"
EMAIL_BY_DEFAULT = True  # a person who chose nothing gets every notification addressed to them

KNOWN_EVENT_KINDS: dict[str, str] = {
    "maintenance_notice_posted": "Customer Care posted an unplanned or emergency maintenance notice.",
    "maintenance_notice_cancelled": "Customer Care withdrew a maintenance notice.",
    "reschedule_requested": "A Designated Contact asked to move a planned maintenance occurrence.",
    "reschedule_decided": "Customer Care accepted or declined a reschedule request.",
    "sla_warning": "A target of a Critical or High case used 75 % of its time (Customer Care only).",
    "sla_breached": "A target of a Critical or High case passed its due instant.",
    "post_mortem_opened": "A Critical or High case was resolved: its post-mortem is due.",
    "post_mortem_scheduled": "Customer Care scheduled (or moved) a post-mortem meeting.",
    "post_mortem_reminder": "A post-mortem is due soon (Customer Care only).",
    "post_mortem_overdue": "A post-mortem passed its due date.",
    "incident_report_requested": "A Designated Contact requested an Incident Report.",
    "incident_report_reminder": "An Incident Report is due soon (Customer Care only).",
    "incident_report_overdue": "An Incident Report passed its due date.",
    "incident_report_published": "Customer Care published an Incident Report.",
}


def is_valid_kind(kind: str, *, wildcard: bool = False) -> bool:
    return (wildcard and kind == EVERY_KIND) or bool(KIND_PATTERN.match(kind))
