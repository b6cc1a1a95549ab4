"""Post-incident deadlines in the sweep: a reminder before each post-mortem and Incident Report
deadline and an escalation when one passes (issue 5, item 4), with the same alert keys as the
SLA crossings (subject ``post_mortem:<id>`` / ``incident_report:<id>``, alert ``reminder`` /
``overdue``).

Only open post-mortems (due, scheduled) and unpublished reports are in the partial indexes these
queries use, and each deadline is looked at until its alert is recorded, so no watermark is
needed: a deadline that passed while the workers were down is found by the next sweep.

Like the SLA crossings, a batch is recorded in a fixed number of statements: the timeline events
through ``case_events_append_many`` and the notifications through ``notification_enqueue_many``."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from caredesk.cases.models import Case
from caredesk.cases.timeline import NewCaseEvent, case_events_append_many
from caredesk.incidents.models import OPEN_POST_MORTEM, OPEN_REPORT, IncidentReport, PostMortem
from caredesk.notifications.services import NotificationSpec, notification_enqueue_many
from caredesk.sweep.alerts import AlertClaim, alerts_claim
from caredesk.sweep.escalation import CASE_FIELDS, Audience, notice
from caredesk.sweep.models import SweepAlert

logger = logging.getLogger("caredesk.sweep")

REMINDER = "reminder"
OVERDUE = "overdue"
_SUBJECTS: dict[str, tuple[type[PostMortem] | type[IncidentReport], Q, str]] = {
    "post_mortem": (PostMortem, OPEN_POST_MORTEM, "post-mortem"),
    "incident_report": (IncidentReport, OPEN_REPORT, "Incident Report"),
}


@dataclass(frozen=True, slots=True)
class Deadline:
    subject: str  # "post_mortem" or "incident_report"
    row_id: int
    case_id: int
    alert: str
    at: datetime  # the instant crossed: the reminder instant or the due instant
    due: datetime

    @property
    def key(self) -> str:
        return f"{self.subject}:{self.row_id}"


def deadlines_next(*, until: datetime, limit: int) -> tuple[list[Deadline], bool]:
    """Reminders and overdue deadlines up to ``until`` not yet recorded, in instant order."""
    found: list[Deadline] = []
    more = False
    for subject, (model, open_q, _) in _SUBJECTS.items():
        for alert, field in ((REMINDER, "reminder_at"), (OVERDUE, "due_at")):
            recorded = SweepAlert.objects.filter(case_id=OuterRef("case_id"), subject=OuterRef("_key"), alert=alert)
            window = {f"{field}__lte": until}
            if alert == REMINDER:
                window["due_at__gt"] = until  # a deadline already passed gets its escalation, not a reminder
            rows = (
                model.objects.filter(open_q, **window)
                .annotate(_key=Concat(Value(f"{subject}:"), Cast("id", CharField()), output_field=CharField()))
                .filter(~Exists(recorded))
                .order_by(field, "id")
                .values_list("id", "case_id", field, "due_at")[:limit]
            )
            batch = [Deadline(subject, pk, case_id, alert, at, due) for pk, case_id, at, due in rows]
            more = more or len(batch) == limit
            found += batch
    found.sort(key=lambda d: (d.at, d.alert != REMINDER, d.subject, d.row_id))
    return found[:limit], more or len(found) > limit


def deadlines_record(deadlines: list[Deadline], *, until: datetime, now: datetime, audience: Audience) -> Counter[str]:
    """Record each deadline alert once; the caller holds a transaction."""
    counts: Counter[str] = Counter()
    if not deadlines:
        return counts
    cases = {
        c.pk: c
        for c in Case.objects.select_for_update()
        .filter(pk__in=sorted({d.case_id for d in deadlines}))
        .order_by("pk")
        .only(*CASE_FIELDS)
    }
    rows: dict[tuple[str, int], Any] = {}
    for subject, (model, open_q, _) in _SUBJECTS.items():
        ids = [d.row_id for d in deadlines if d.subject == subject]
        rows.update({(subject, r.pk): r for r in model.objects.filter(open_q, pk__in=ids)})
    live: list[Deadline] = []
    for d in deadlines:
        row = rows.get((d.subject, d.row_id))
        if row is None or d.case_id not in cases:
            continue  # published, held, cancelled... meanwhile
        at = row.reminder_at if d.alert == REMINDER else row.due_at
        if at <= until and (d.alert == OVERDUE or row.due_at > until):
            live.append(Deadline(d.subject, d.row_id, d.case_id, d.alert, at, row.due_at))
    claims = [AlertClaim(d.case_id, cases[d.case_id].reseller_id, d.key, d.alert, d.at) for d in live]
    taken = alerts_claim(claims=claims, at=now)
    audience.prefetch(cases[d.case_id] for d in live)
    events: list[NewCaseEvent] = []
    notices: list[NotificationSpec] = []
    for d in live:
        if (d.case_id, d.key, d.alert) in taken:
            event, spec = _alert(cases[d.case_id], d, now, audience)
            events.append(event)
            notices += [spec] if spec is not None else []
            counts[d.alert] += 1
    case_events_append_many(events=events)
    notification_enqueue_many(notifications=notices)
    return counts


def _alert(case: Case, d: Deadline, now: datetime, audience: Audience) -> tuple[NewCaseEvent, NotificationSpec | None]:
    """The timeline event and the notification of one deadline alert."""
    label = _SUBJECTS[d.subject][2]
    overdue = d.alert == OVERDUE
    event = NewCaseEvent(
        case=case,
        actor=None,
        kind=f"{d.subject}_{d.alert}",
        at=now,
        channel="system",
        internal=not overdue,
        data={d.subject: d.row_id, "due_at": d.due.isoformat()},
    )
    recipients = audience.escalation(case) if overdue else audience.workers(case)
    text = "is overdue" if overdue else "is due soon"
    spec = notice(
        case=case,
        event_kind=f"{d.subject}_{d.alert}",
        recipients=recipients,
        subject=f"Case #{case.pk}: the {label} {text}",
        body=f"The {label} of case #{case.pk} ({case.title}) {text}: due {d.due.isoformat()}.",
        context={d.subject: d.row_id, "alert": d.alert, "due_at": d.due.isoformat()},
        dedupe_key=f"{d.subject}_{d.alert}:{d.row_id}",
        public=overdue,
    )
    logger.info(
        "%s %s recorded",
        label,
        d.alert,
        extra={"event": f"{d.subject}_{d.alert}", "case_id": case.pk, d.subject: d.row_id, "due_at": d.due.isoformat()},
    )
    return event, spec
