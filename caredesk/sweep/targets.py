"""SLA warnings and breaches: finding the targets that crossed an instant, and recording each
crossing once (issue 5, item 1).

Finding goes through the two partial indexes of ``CaseTarget`` (``due_at`` and ``warning_at``,
``WHERE state = 'running'``), never through the cases:
- breaches: running targets with ``due_at < now`` (met exactly at the due instant is met, so a
  target is breached only once its due instant has passed). Recording a breach sets its state to
  ``breached``, so it leaves the index and the next sweep does not see it again;
- warnings: running targets with ``warning_at`` in ``[from, now]`` and no warning recorded yet
  (an anti-join on the alert key). ``from`` is the watermark minus an overlap, so a write that
  commits after a sweep read past it is still seen by the next sweep.
Both lists come in instant order and are merged, so a catch-up after downtime records the
crossings in the order they happened (a target's warning before its breach).

Recording locks the cases (``SELECT ... FOR UPDATE`` in id order, the order every sweeper uses, and
every write path of a case locks the case before its targets), re-reads the targets under the lock,
claims the alert keys and, for the keys it took, appends ``sla_warning`` / ``sla_breached`` to the
case's timeline and notifies whom the policy says. Warnings are internal (Customer Care's early
alarm); breaches are shown to the reseller, whose live clocks already show them."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from caredesk.cases.models import Case, CaseTarget
from caredesk.cases.timeline import case_event_append
from caredesk.sweep.alerts import AlertClaim, alerts_claim
from caredesk.sweep.escalation import CASE_FIELDS, Audience, notify
from caredesk.sweep.models import SweepAlert

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


def crossings_next(*, since: datetime | None, until: datetime, limit: int) -> tuple[list[Crossing], bool]:
    """The next ``limit`` crossings up to ``until`` in instant order, and whether more may follow."""
    warned = SweepAlert.objects.filter(case_id=OuterRef("case_id"), subject=OuterRef("kind"), alert=WARNING)
    warnings_qs = CaseTarget.objects.filter(state=RUNNING, warning_at__lte=until).filter(~Exists(warned))
    if since is not None:
        warnings_qs = warnings_qs.filter(warning_at__gte=since)
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
    merged = sorted(warnings + breaches, key=lambda c: c.sort_key)
    more = len(warnings) == limit or len(breaches) == limit or len(merged) > limit
    return merged[:limit], more


def _still_crossed(c: Crossing, target: CaseTarget | None, since: datetime | None, until: datetime) -> datetime | None:
    """The instant crossed, re-read under the case lock; None if the target moved on meanwhile."""
    if target is None or target.state != RUNNING:
        return None
    at = target.warning_at if c.alert == WARNING else target.due_at
    if at is None or at > until or (c.alert == BREACHED and at == until):
        return None
    if c.alert == WARNING and since is not None and at < since:
        return None
    return at


def crossings_record(
    crossings: list[Crossing], *, since: datetime | None, until: datetime, now: datetime, audience: Audience
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
    targets = CaseTarget.objects.filter(pk__in=[c.target_id for c in crossings]).only(
        "id", "case_id", "kind", "state", "due_at", "warning_at"
    )
    current = {t.pk: t for t in targets}
    live: list[tuple[Crossing, datetime]] = []
    for c in crossings:
        at = _still_crossed(c, current.get(c.target_id), since, until)
        if at is not None and c.case_id in cases:
            live.append((c, at))
    live.sort(key=lambda item: (item[1], _ORDER[item[0].alert], item[0].target_id))
    claims = [AlertClaim(c.case_id, cases[c.case_id].reseller_id, c.kind, c.alert, at) for c, at in live]
    taken = alerts_claim(claims=claims, at=now)
    audience.prefetch(cases[c.case_id] for c, _ in live)
    for c, at in live:
        if (c.case_id, c.kind, c.alert) not in taken:
            counts["already_recorded"] += 1
            continue
        _record_one(cases[c.case_id], c, at, now, audience)
        counts[c.alert] += 1
    breached = [c.target_id for c, _ in live if c.alert == BREACHED]
    if breached:
        CaseTarget.objects.filter(pk__in=breached, state=RUNNING).update(state=BREACHED)
    counts["skipped"] += len(crossings) - len(live)
    return counts


def _record_one(case: Case, c: Crossing, at: datetime, now: datetime, audience: Audience) -> None:
    what = "warning threshold" if c.alert == WARNING else "due instant"
    case_event_append(
        case=case,
        actor=None,
        kind=f"sla_{c.alert}",
        at=now,
        channel="system",
        internal=c.alert == WARNING,
        data={"target": c.kind, "crossed_at": at.isoformat()},
    )
    escalated = audience.escalates(case)
    if escalated:
        verb = "is nearing its deadline" if c.alert == WARNING else "breached its target"
        notify(
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
