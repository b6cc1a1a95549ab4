"""The conflict finder: an account's maintenance in the next N weeks that overlaps the working hours
of its impacted users, each overlap in those users' local time, with a reschedule-request draft.

Working hours come from two places: the account's business calendar (holidays included), and the
``impacted_working_hours`` / ``impacted_timezone`` recorded on the account's cases of the last
``RECENT_CASES`` (the text read by ``working_hours.parse_working_hours``; a text that names no hours
is reported back as not understood, never guessed).

The draft proposes the earliest start, from the planned start (or now, if later) up to
``SEARCH_AHEAD`` after it, at which the whole window is clear of every source's working hours and
of the service's other maintenance, via ``caredesk.domain.maintenance.suggest_start``. Only a
planned occurrence that has not begun and has no live request gets a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from caredesk.cases.models import Case
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.maintenance import conflicts, suggest_start
from caredesk.domain.maintenance.local import LocalInterval
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.maintenance.models import RescheduleRequest, RescheduleStatus
from caredesk.maintenance.schedules import Entry, schedule_for_accounts
from caredesk.maintenance.working_hours import parse_working_hours
from caredesk.tenancy.models import EndUserAccount, User
from caredesk.tenancy.selectors import account_get_for_actor

RECENT_CASES = timedelta(days=90)
MAX_CASES = 20
SEARCH_AHEAD = timedelta(days=14)
MAX_WEEKS = 26

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingSource:
    """Where a set of working hours comes from: ``account`` (its calendar) or ``case`` (#id)."""

    kind: str
    timezone: str
    text: str
    case_id: int | None = None
    hours: dict[str, list[list[str]]] | None = None
    intervals: list[Interval] = field(default_factory=list, repr=False)

    @property
    def understood(self) -> bool:
        return self.hours is not None


@dataclass(frozen=True)
class Overlap:
    source: WorkingSource
    local: LocalInterval


@dataclass(frozen=True)
class Draft:
    account_id: int
    service: str
    planned_start: datetime
    proposed_start: datetime | None
    reason: str


@dataclass(frozen=True)
class ConflictItem:
    entry: Entry
    overlaps: list[Overlap]
    draft: Draft | None


@dataclass(frozen=True)
class ConflictReport:
    account: EndUserAccount
    start: datetime
    end: datetime
    sources: list[WorkingSource]
    items: list[ConflictItem]


def _sources(account: EndUserAccount, start: datetime, end: datetime) -> list[WorkingSource]:
    calendar = BusinessCalendar.from_dict(account.calendar)
    found = [
        WorkingSource(
            kind="account",
            timezone=calendar.timezone,
            text="the account's business calendar",
            hours={day: spans for day, spans in calendar.to_dict()["hours"].items()},
            intervals=list(calendar.open_intervals(start, end)),
        )
    ]
    seen: set[tuple[str, str]] = set()
    cases = (
        Case.objects.filter(account=account, submitted_at__gte=start - RECENT_CASES)
        .exclude(impacted_working_hours="")
        .order_by("-submitted_at", "-id")
        .values_list("pk", "impacted_working_hours", "impacted_timezone")[:MAX_CASES]
    )
    for case_id, text, zone in cases:
        if (text, zone) in seen:
            continue
        seen.add((text, zone))
        hours = parse_working_hours(text)
        intervals: list[Interval] = []
        if hours is not None:
            try:
                intervals = list(
                    BusinessCalendar.from_dict({"timezone": zone, "hours": hours}).open_intervals(start, end)
                )
            except ValidationFailed:
                hours = None  # an unknown zone recorded before intake validated zones
        found.append(WorkingSource("case", zone, text, case_id, hours, intervals))
    return found


def account_conflicts_for_actor(*, actor: User, account_id: int, weeks: int, now: datetime) -> ConflictReport:
    """The conflicts of one account the actor may see over ``[now, now + weeks)``."""
    account = account_get_for_actor(actor=actor, account_id=account_id)
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationFailed("weeks out of range", errors={"weeks": f"from 1 to {MAX_WEEKS}"})
    end = now + timedelta(weeks=weeks)
    horizon = end + SEARCH_AHEAD + timedelta(days=2)
    sources = _sources(account, now, horizon)
    entries = schedule_for_accounts(accounts=[account], start=now, end=horizon)
    in_range = [e for e in entries if e.occurrence.start < end]
    by_occurrence: dict[int, list[Overlap]] = {}
    occurrences = [e.occurrence for e in in_range]
    position_of = {id(occurrence): position for position, occurrence in enumerate(occurrences)}
    for source in sources:
        for conflict in conflicts(occurrences, source.intervals):
            position = position_of[id(conflict.occurrence)]
            by_occurrence.setdefault(position, []).extend(
                Overlap(source, local) for local in conflict.in_zone(source.timezone)
            )
    live = set(
        RescheduleRequest.objects.filter(
            account=account, status__in=[RescheduleStatus.PENDING, RescheduleStatus.ACCEPTED]
        ).values_list("service", "planned_start")
    )
    working = [interval for source in sources for interval in source.intervals]
    items: list[ConflictItem] = []
    for position, found in sorted(by_occurrence.items()):
        overlaps = sorted(found, key=lambda o: (o.local.start, o.local.end))
        entry = in_range[position]
        occurrence = entry.occurrence
        draft = None
        if (
            occurrence.source == "planned"
            and occurrence.start > now
            and (occurrence.service, occurrence.start) not in live
        ):
            others = [
                (e.occurrence.start, e.occurrence.end)
                for e in entries
                if e.occurrence.service == occurrence.service and e.occurrence is not occurrence
            ]
            proposed = suggest_start(
                occurrence, working + others, not_before=occurrence.start, not_after=occurrence.start + SEARCH_AHEAD
            )
            first = overlaps[0]
            who = "the account's business hours" if first.source.kind == "account" else "the impacted users' hours"
            draft = Draft(
                account_id=account.pk,
                service=occurrence.service,
                planned_start=occurrence.start,
                proposed_start=proposed,
                reason=f"The planned window overlaps {who}: {first.local.label()}.",
            )
        items.append(ConflictItem(entry, overlaps, draft))
    return ConflictReport(account, now, end, sources, items)
