"""iCalendar feeds behind secret URLs: the writes that create, rotate and revoke them, and the
adapter that serialises a feed with the ``icalendar`` library.

A feed covers one reseller (every account it has) or one account: planned occurrences, moved ones
and notices from ``FEED_PAST`` before ``now`` to ``FEED_AHEAD`` after it. Event content (UID,
SEQUENCE, summary...) is decided by ``caredesk.domain.maintenance.calendar_events``; a reseller
feed scopes each account's planned occurrences by ``account-<id>`` so that one account's move never
touches another's event, and lists each notice once.

The secret is shown once; only its SHA-256 is stored. Rotating gives the same feed a new secret
(the old URL stops at once); revoking ends it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import icalendar
from django.db import IntegrityError, transaction
from django.utils.timezone import now as clock_now

from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.maintenance import CalendarEvent, calendar_events
from caredesk.domain.tenancy.roles import Role, is_care, is_vendor
from caredesk.maintenance.models import CalendarFeed
from caredesk.maintenance.schedules import current_policy, schedule_for_accounts
from caredesk.tenancy.models import EndUserAccount, Reseller, User
from caredesk.tenancy.services import audit_record

SECRET_PREFIX = "cdf_"  # noqa: S105 -- a public marker, not a secret
FEED_PAST = timedelta(weeks=4)
FEED_AHEAD = timedelta(weeks=26)
UID_DOMAIN = "maintenance.caredesk"
PRODID = "-//caredesk//Maintenance windows//EN"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:12], _digest(secret)


def _may_manage(actor: User, reseller_id: int) -> bool:
    """A reseller's DCs manage its feeds; Customer Care may manage any."""
    if is_care(actor.role_enum):
        return True
    return actor.role_enum is Role.DESIGNATED_CONTACT and actor.reseller_id == reseller_id


@transaction.atomic
def feed_create(
    *, actor: User, reseller_id: int | None = None, account_id: int | None = None, now: datetime | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed for a reseller (``account_id`` None) or one of its accounts: (feed, secret)."""
    at = now or clock_now()
    if actor.role_enum is not Role.DESIGNATED_CONTACT and not is_care(actor.role_enum):
        raise PermissionDenied("Only a Designated Contact or Customer Care creates calendar feeds.")
    errors: dict[str, str] = {}
    account: EndUserAccount | None = None
    if account_id is not None:
        account = EndUserAccount.objects.filter(pk=account_id).first()
        if account is None or not _may_manage(actor, account.reseller_id):
            errors["account_id"] = "no such End User Account"
        elif reseller_id is not None and reseller_id != account.reseller_id:
            errors["reseller_id"] = "the account belongs to another reseller"
        else:
            reseller_id = account.reseller_id
    if reseller_id is None and not errors:
        reseller_id = actor.reseller_id
        if reseller_id is None:
            errors["reseller_id"] = "required: the reseller whose schedule the feed publishes"
    if reseller_id is not None and not errors:
        reseller = Reseller.objects.filter(pk=reseller_id, is_active=True).first()
        if reseller is None or not _may_manage(actor, reseller.pk):
            errors["reseller_id"] = "no such reseller"
    if errors:
        raise ValidationFailed("the calendar feed cannot be created", errors=errors)
    assert reseller_id is not None
    secret, prefix, digest = _new_secret()
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                reseller_id=reseller_id, account=account, prefix=prefix, digest=digest, created_by=actor, created_at=at
            )
    except IntegrityError:
        raise InvalidTransition("this schedule already has a live feed: rotate or revoke it") from None
    audit_record(
        actor=actor,
        kind="calendar_feed_created",
        subject=feed,
        reseller_id=reseller_id,
        data={"account": account_id, "prefix": prefix},
    )
    return feed, secret


def _live_for_change(actor: User, feed_id: int) -> CalendarFeed:
    feed = CalendarFeed.objects.select_for_update().filter(pk=feed_id).first()
    if feed is None or not (is_vendor(actor.role_enum) or actor.reseller_id == feed.reseller_id):
        raise NotFound("calendar feed not found")
    if not _may_manage(actor, feed.reseller_id):
        raise PermissionDenied("Only a Designated Contact or Customer Care manages calendar feeds.")
    if feed.revoked_at is not None:
        raise InvalidTransition("this calendar feed is revoked; create a new one")
    return feed


@transaction.atomic
def feed_rotate(*, actor: User, feed_id: int) -> tuple[CalendarFeed, str]:
    """A new secret for the same feed; the old URL stops working at once."""
    feed = _live_for_change(actor, feed_id)
    secret, feed.prefix, feed.digest = _new_secret()
    feed.save(update_fields=["prefix", "digest"])
    audit_record(
        actor=actor,
        kind="calendar_feed_rotated",
        subject=feed,
        reseller_id=feed.reseller_id,
        data={"prefix": feed.prefix},
    )
    return feed, secret


@transaction.atomic
def feed_revoke(*, actor: User, feed_id: int, now: datetime | None = None) -> CalendarFeed:
    feed = _live_for_change(actor, feed_id)
    feed.revoked_at = now or clock_now()
    feed.save(update_fields=["revoked_at"])
    audit_record(actor=actor, kind="calendar_feed_revoked", subject=feed, reseller_id=feed.reseller_id)
    return feed


def feed_for_secret(*, secret: str) -> CalendarFeed:
    """The live feed of a secret URL, or NotFound (unknown, malformed and revoked look the same)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        raise NotFound("calendar feed not found")
    feed = (
        CalendarFeed.objects.select_related("reseller", "account")
        .filter(digest=_digest(secret), revoked_at__isnull=True, reseller__is_active=True)
        .first()
    )
    if feed is None:
        raise NotFound("calendar feed not found")
    return feed


def feed_events(*, feed: CalendarFeed, now: datetime) -> tuple[str, list[CalendarEvent]]:
    """The feed's name and its events over the rolling window around ``now``."""
    policy = current_policy()
    if feed.account is not None:
        accounts = [feed.account]
        name = f"Maintenance: {feed.account} ({feed.reseller.name})"
    else:
        accounts = list(EndUserAccount.objects.filter(reseller_id=feed.reseller_id).order_by("name", "id"))
        name = f"Maintenance: {feed.reseller.name}"
    entries = schedule_for_accounts(accounts=accounts, start=now - FEED_PAST, end=now + FEED_AHEAD, policy=policy)
    names = {account.pk: str(account) for account in accounts}
    plain = {service: spec.label for service, spec in policy.services.items()}
    events: dict[str, CalendarEvent] = {}
    for entry in entries:
        per_account = len(accounts) > 1 and entry.occurrence.source != "notice"
        labels = {s: f"{label} ({names[entry.account_id]})" for s, label in plain.items()} if per_account else plain
        for event in calendar_events(
            [entry.occurrence], scope=f"account-{entry.account_id}", uid_domain=UID_DOMAIN, now=now, labels=labels
        ):
            events.setdefault(event.uid, event)
    return name, list(events.values())


def feed_render(*, feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed as RFC 5545 text, and a note of the fetch."""
    at = (now or clock_now()).astimezone(UTC).replace(microsecond=0)
    name, events = feed_events(feed=feed, now=at)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-CALDESC", "Planned, rescheduled and unplanned maintenance windows (times in UTC).")
    calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", timedelta(hours=1))
    for event in events:
        vevent = icalendar.Event()
        for prop, value in event.properties():
            vevent.add(prop, value)
        calendar.add_component(vevent)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=at)
    text: bytes = calendar.to_ical()
    return text
