"""SLA warnings and breaches: finding the targets that crossed an instant, and recording each
crossing once (issue 5, item 1).

Finding goes through the two partial indexes of ``CaseTarget`` (``due_at`` and ``warning_at``,
``WHERE state = 'running'``), never through the cases:
- breaches: running targets with ``due_at < now`` (met exactly at the due instant is met, so a
  target is breached once its due instant has passed). Recording a breach sets the target
  ``breached``, so it leaves the index: the next sweep does not see it again, and a target overdue
  for a week is found whatever happened meanwhile;
- warnings: a warned target stays running, so the warnings are read as a stream in
  ``(warning_at, id)`` order after the sweep's position (the watermark) and up to ``now - settle``.
  The settle time (``CAREDESK_SWEEP_SETTLE``) is longer than any write of a case takes to commit,
  so a warning instant that a write sets at its own instant is committed before a sweep reads
  past it. The position moves with every batch, so ties at a batch's end are neither skipped nor
  read twice.
Both lists come in instant order and are merged, so a catch-up after downtime records the
crossings in the order they happened (a target's warning before its breach).

Recording locks the cases (``SELECT ... FOR UPDATE`` in id order, the order every sweeper uses, and
every write path of a case locks the case before its targets), re-reads the targets under the lock,
claims the alert keys and, for the keys it took, appends ``sla_warning`` / ``sla_breached`` to the
case's timeline and notifies whom the policy says. Warnings are internal (Customer Care's early
alarm); breaches are shown to the reseller, whose live clocks already show them.

Recording costs a fixed number of statements per batch, whatever its number of alerts: the lock,
the re-read of the warned targets, one ``UPDATE ... RETURNING`` that re-reads the overdue targets
and sets them breached, the claim, the people (``Audience.prefetch``), the timeline
(``case_events_append_many``: the chain heads, one insert, each case's events in instant order)
and the outbox (``notification_enqueue_many``)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q

from caredesk.cases.models import Case, CaseTarget
from caredesk.cases.timeline import NewCaseEvent, case_events_append_many
from caredesk.notifications.services import NotificationSpec, notification_enqueue_many
from caredesk.sweep.alerts import AlertClaim, alerts_claim
from caredesk.sweep.escalation import CASE_FIELDS, Audience, notice

logger = logging.getLogger("caredesk.sweep")

WARNING = "warning"
BREACHED = "breached"
RUNNING = "running"
_ORDER = {WARNING: 0, BREACHED: 1}


@dataclass(frozen=True, slots=True)
class Crossing:
    target_id: int
    case_id: int
    kind: str
    alert: str
    at: datetime

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _ORDER[self.alert], self.target_id)


Position = tuple[datetime, int | None]
"""Where the warnings stream stands: every warning before ``(warning_at, target id)`` was read
(``id`` None: every warning at or before the instant)."""


@dataclass(frozen=True, slots=True)
class Batch:
    crossings: list[Crossing]
    more: bool  # more crossings may follow
    warnings_done: bool  # every warning up to the bound is in this batch


def crossings_next(*, after: Position | None, warn_until: datetime, until: datetime, limit: int) -> Batch:
    """The next ``limit`` crossings in instant order: warnings after ``after`` up to ``warn_until``
    and breaches before ``until``."""
    warnings_qs = CaseTarget.objects.filter(state=RUNNING, warning_at__lte=warn_until)
    if after is not None:
        at, pk = after
        later = Q(warning_at__gt=at) if pk is None else Q(warning_at__gt=at) | Q(warning_at=at, id__gt=pk)
        warnings_qs = warnings_qs.filter(later, warning_at__gte=at)
    warnings = [
        Crossing(pk, case_id, kind, WARNING, at)
        for pk, case_id, kind, at in warnings_qs.order_by("warning_at", "id").values_list(
            "id", "case_id", "kind", "warning_at"
        )[:limit]
        if at is not None
    ]
    breaches = [
        Crossing(pk, case_id, kind, BREACHED, at)
        for pk, case_id, kind, at in CaseTarget.objects.filter(state=RUNNING, due_at__lt=until)
        .order_by("due_at", "id")
        .values_list("id", "case_id", "kind", "due_at")[:limit]
        if at is not None
    ]
    merged = sorted(warnings + breaches, key=lambda c: c.sort_key)[:limit]
    taken = sum(1 for c in merged if c.alert == WARNING)
    warnings_done = len(warnings) < limit and taken == len(warnings)
    more = not warnings_done or len(breaches) == limit or len(warnings) + len(breaches) > limit
    return Batch(merged, more, warnings_done)


def position_after(batch: Batch) -> Position | None:
    """The stream position after the warnings of ``batch`` (None if it had none)."""
    warned = [c for c in batch.crossings if c.alert == WARNING]
    if not warned:
        return None
    last = max(warned, key=lambda c: (c.at, c.target_id))
    return (last.at, last.target_id)


def crossings_record(
    crossings: list[Crossing], *, warn_until: datetime, until: datetime, now: datetime, audience: Audience
) -> Counter[str]:
    """Record each crossing once; the caller holds a transaction. Returns counts per alert."""
    counts: Counter[str] = Counter()
    if not crossings:
        return counts
    case_ids = sorted({c.case_id for c in crossings})
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").only(*CASE_FIELDS)
    }
    # Under the case locks each target is as its case's last write left it. The warnings are read
    # again; the breaches are read again and set breached by one UPDATE ... RETURNING (warnings
    # first: a target may warn and breach in one batch of a catch-up).
    crossed: dict[tuple[int, str], datetime] = {}
    warned = [c.target_id for c in crossings if c.alert == WARNING and c.case_id in cases]
    if warned:
        still = CaseTarget.objects.filter(pk__in=warned, state=RUNNING, warning_at__lte=warn_until)
        crossed |= {(pk, WARNING): at for pk, at in still.values_list("id", "warning_at") if at is not None}
    due = [c.target_id for c in crossings if c.alert == BREACHED and c.case_id in cases]
    if due:
        crossed |= {(t.pk, BREACHED): t.due_at for t in _breached_set(due, until) if t.due_at is not None}
    live = [(c, crossed[c.target_id, c.alert]) for c in crossings if (c.target_id, c.alert) in crossed]
    live.sort(key=lambda item: (item[1], _ORDER[item[0].alert], item[0].target_id))
    claims = [AlertClaim(c.case_id, cases[c.case_id].reseller_id, c.kind, c.alert, at) for c, at in live]
    taken = alerts_claim(claims=claims, at=now)
    audience.prefetch(cases[c.case_id] for c, _ in live)
    recorded: list[tuple[Case, Crossing, datetime]] = []
    for c, at in live:
        if (c.case_id, c.kind, c.alert) in taken:
            recorded.append((cases[c.case_id], c, at))
            counts[c.alert] += 1
        else:
            counts["already_recorded"] += 1
    _record(recorded, now, audience)
    counts["skipped"] += len(crossings) - len(live)
    return counts


def _breached_set(target_ids: list[int], until: datetime) -> list[CaseTarget]:
    """Set breached the targets still running past their due instant; answer them (id, due_at)."""
    table = CaseTarget._meta.db_table
    marks = ", ".join(["%s"] * len(target_ids))
    sql = (
        f'UPDATE "{table}" SET "state" = %s WHERE "id" IN ({marks}) AND "state" = %s AND "due_at" < %s '  # noqa: S608 -- our table
        'RETURNING "id", "due_at"'
    )
    params = [BREACHED, *target_ids, RUNNING, connection.ops.adapt_datetimefield_value(until)]
    return list(CaseTarget.objects.raw(sql, params))


def _record(alerts: list[tuple[Case, Crossing, datetime]], now: datetime, audience: Audience) -> None:
    """The timeline events and notifications of alerts whose keys this transaction took, in
    instant order (so each case's events are appended in the order its targets crossed)."""
    events: list[NewCaseEvent] = []
    notices: list[NotificationSpec] = []
    for case, c, at in alerts:
        events.append(
            NewCaseEvent(
                case=case,
                actor=None,
                kind=f"sla_{c.alert}",
                at=now,
                channel="system",
                internal=c.alert == WARNING,
                data={"target": c.kind, "crossed_at": at.isoformat()},
            )
        )
        escalated = audience.escalates(case)
        spec = _escalation(case, c, at, audience) if escalated else None
        if spec is not None:
            notices.append(spec)
        logger.info(
            "sla %s recorded",
            c.alert,
            extra={
                "event": f"sla_{c.alert}",
                "case_id": case.pk,
                "target": c.kind,
                "crossed_at": at.isoformat(),
                "escalated": escalated,
            },
        )
    case_events_append_many(events=events)
    notification_enqueue_many(notifications=notices)


def _escalation(case: Case, c: Crossing, at: datetime, audience: Audience) -> NotificationSpec | None:
    what = "warning threshold" if c.alert == WARNING else "due instant"
    verb = "is nearing its deadline" if c.alert == WARNING else "breached its target"
    return notice(
        case=case,
        event_kind=f"sla_{c.alert}",
        recipients=audience.escalation(case),
        subject=f"Case #{case.pk}: {c.kind} {verb}",
        body=(
            f"Case #{case.pk} ({case.title}), severity {case.severity}: the {c.kind} target crossed its "
            f"{what} at {at.isoformat()}."
        ),
        context={"target": c.kind, "alert": c.alert, "crossed_at": at.isoformat()},
        dedupe_key=f"sla_{c.alert}:{case.pk}:{c.kind}",
        public=c.alert == BREACHED,
    )


def breaches_record_at_write(*, case: Case, kinds: list[str], due: dict[str, datetime], now: datetime) -> int:
    """Record breaches that a case write found before any sweep did.

    A write (a late reply, say, while the workers were down) replays the clocks and may store a
    target as breached at once; such a target never enters the sweep's running-target index, so the
    write records its ``sla_breached`` here, through the same alert key: whichever comes first, the
    write or a sweep, records the breach, and the other finds the key taken. The caller holds the
    case lock (every write path does)."""
    if not kinds:
        return 0
    claims = [AlertClaim(case.pk, case.reseller_id, kind, BREACHED, due[kind]) for kind in kinds]
    taken = alerts_claim(claims=claims, at=now)
    recorded = [
        (case, Crossing(0, case.pk, claim.subject, BREACHED, claim.crossed_at), claim.crossed_at)
        for claim in sorted(claims, key=lambda c: c.crossed_at)  # in the order the targets crossed
        if claim.key in taken
    ]
    _record(recorded, now, Audience())
    return len(recorded)
