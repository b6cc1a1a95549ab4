"""The effective maintenance schedule of End User Accounts, read from the database and computed by
the pure core (``caredesk.domain.maintenance.schedule``).

For each subscription of an account: the policy's planned rules of its service (PureEngage Cloud in
the subscription's deployment zone), the account's accepted reschedules of that service (moves) and
the live notices of that service. Occurrences are kept while the subscription's term lasts (the
term's dates read in UTC: ``[term_start 00:00Z, term_end + 1 day 00:00Z)``).

Loading is batched: one query each for subscriptions, moves and notices, whatever the number of
accounts, so a reseller-wide schedule costs the same few queries as one account's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance import Move, Notice, Occurrence, WindowRule, occurrences, schedule
from caredesk.domain.sla.policy import Policy
from caredesk.maintenance.models import MaintenanceNotice, RescheduleRequest, RescheduleStatus
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import EndUserAccount, Subscription

TICK = timedelta(microseconds=1)
# Longer than any planned occurrence (a 24-hour window lengthened by a DST change): the margin
# within which a move's original or moved occurrence can reach an interval.
_REACH = timedelta(days=2)
MAX_SPAN = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Entry:
    """One effective occurrence of one account, with the rows behind it."""

    account_id: int
    occurrence: Occurrence
    label: str
    reschedule_id: int | None = None
    notice_id: int | None = None


def current_policy() -> Policy:
    return policy_of(policy_current())


def service_rules(policy: Policy, service: str) -> tuple[WindowRule, ...]:
    spec = policy.services.get(service)
    return spec.windows if spec is not None else ()


def service_label(policy: Policy, service: str) -> str:
    spec = policy.services.get(service)
    return spec.label if spec is not None else service


def check_interval(start: datetime, end: datetime, *, start_field: str = "from", end_field: str = "to") -> None:
    """``[start, end)`` must be aware, ordered and no longer than ``MAX_SPAN``."""
    errors: dict[str, str] = {}
    for field, value in ((start_field, start), (end_field, end)):
        if value.tzinfo is None or value.utcoffset() is None:
            errors[field] = "must carry a UTC offset (e.g. 2027-01-05T00:00:00Z)"
    if errors:
        raise ValidationFailed("the interval is not valid", errors=errors)
    if end <= start:
        raise ValidationFailed("the interval ends before it starts", errors={end_field: f"must be after {start_field}"})
    if end - start > MAX_SPAN:
        raise ValidationFailed(
            "the interval is too long", errors={end_field: f"at most {MAX_SPAN.days} days after {start_field}"}
        )


def _term_bounds(sub: Subscription) -> tuple[datetime, datetime]:
    first = datetime.combine(sub.term_start, time(0), tzinfo=UTC)
    last = datetime.combine(sub.term_end + timedelta(days=1), time(0), tzinfo=UTC)
    return first, last


def subscriptions_overlapping(
    account_ids: Collection[int], start: datetime, end: datetime, services: Collection[str] | None = None
) -> list[Subscription]:
    first_day: date = (start - timedelta(days=1)).astimezone(UTC).date()
    last_day: date = end.astimezone(UTC).date()
    qs = Subscription.objects.filter(account_id__in=account_ids, term_start__lte=last_day, term_end__gte=first_day)
    if services is not None:
        qs = qs.filter(service__in=services)
    return list(qs.order_by("account_id", "service", "term_start", "id"))


def _moves(
    account_ids: Collection[int], start: datetime, end: datetime
) -> dict[tuple[int, str], list[RescheduleRequest]]:
    near = Q(planned_start__lt=end + _REACH, planned_end__gt=start - _REACH) | Q(
        proposed_start__lt=end, proposed_start__gt=start - _REACH
    )
    found: dict[tuple[int, str], list[RescheduleRequest]] = defaultdict(list)
    for request in RescheduleRequest.objects.filter(near, account_id__in=account_ids, status=RescheduleStatus.ACCEPTED):
        found[(request.account_id, request.service)].append(request)
    return found


def notices_overlapping(start: datetime, end: datetime, services: Collection[str]) -> list[MaintenanceNotice]:
    return list(
        MaintenanceNotice.objects.filter(
            service__in=services, cancelled_at__isnull=True, start__lt=end, end__gt=start
        ).order_by("start", "id")
    )


def as_notice(row: MaintenanceNotice) -> Notice:
    return Notice(row.service, row.start, row.end, row.reason, row.emergency, ref=str(row.pk))


def _applicable(rules: Sequence[WindowRule], move: Move, deployment_tz: str | None) -> bool:
    """True when ``move`` still names a planned occurrence (a later policy may have changed the
    table: such a move is ignored rather than breaking the whole schedule)."""
    return any(
        occurrence.start == move.original_start
        for occurrence in occurrences(
            rules, move.original_start, move.original_start + TICK, deployment_tz=deployment_tz
        )
    )


def schedule_for_accounts(
    *,
    accounts: Iterable[EndUserAccount],
    start: datetime,
    end: datetime,
    policy: Policy | None = None,
    services: Collection[str] | None = None,
    labels: Mapping[int, str] | None = None,
) -> list[Entry]:
    """Every effective occurrence (planned, moved, notice) of ``accounts`` overlapping
    ``[start, end)``, whole, in time order (then account)."""
    policy = policy or current_policy()
    by_id = {account.pk: account for account in accounts}
    if not by_id or end <= start:
        return []
    subs = subscriptions_overlapping(by_id.keys(), start, end, services)
    moves = _moves(by_id.keys(), start, end)
    notice_rows = notices_overlapping(start, end, {sub.service for sub in subs})
    notices_by_service: dict[str, list[MaintenanceNotice]] = defaultdict(list)
    for row in notice_rows:
        notices_by_service[row.service].append(row)
    entries: dict[tuple[int, str, str, datetime, int], Entry] = {}
    for sub in subs:
        rules = service_rules(policy, sub.service)
        deployment_tz = sub.deployment_timezone or None
        requests = moves.get((sub.account_id, sub.service), [])
        move_list = [Move(sub.service, r.planned_start, r.proposed_start) for r in requests]
        move_list = [m for m in move_list if _applicable(rules, m, deployment_tz)]
        request_of = {r.planned_start: r.pk for r in requests}
        notices = notices_by_service.get(sub.service, [])
        term_start, term_end = _term_bounds(sub)
        lo, hi = max(start, term_start), min(end, term_end)
        if hi <= lo:
            continue
        label = service_label(policy, sub.service)
        if labels is not None:
            label = f"{label} ({labels.get(sub.account_id, sub.account_id)})"
        for occurrence in schedule(
            rules,
            lo,
            hi,
            deployment_tz=deployment_tz,
            moves=move_list,
            notices=[as_notice(n) for n in notices],
        ):
            notice_id = int(occurrence.notice.ref) if occurrence.notice is not None else None
            key = (sub.account_id, sub.service, occurrence.source, occurrence.planned_start, notice_id or 0)
            entries.setdefault(
                key,
                Entry(
                    account_id=sub.account_id,
                    occurrence=occurrence,
                    label=label,
                    reschedule_id=request_of.get(occurrence.planned_start) if occurrence.source == "moved" else None,
                    notice_id=notice_id,
                ),
            )
    return sorted(
        entries.values(),
        key=lambda e: (e.occurrence.start, e.account_id, e.occurrence.service, e.occurrence.source, e.occurrence.end),
    )


def entry_at(*, account: EndUserAccount, service: str, instant: datetime, policy: Policy | None = None) -> Entry | None:
    """The occurrence of ``service`` of ``account`` that holds ``instant``, or None ("is S of A in
    a window at t"); when several hold it, the one that began first."""
    found = schedule_for_accounts(
        accounts=[account], start=instant, end=instant + TICK, policy=policy, services={service}
    )
    return found[0] if found else None
