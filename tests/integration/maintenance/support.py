"""Helpers of the maintenance and knowledge tests: a recording notifications outbox, terse
instants, and one of each maintenance and knowledge object for a tenant (the isolation matrix)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import World


def z(text: str) -> datetime:
    """``"2027-01-05 05:00"`` (UTC) -> aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Outbox:
    """The notifications recorded by ``caredesk.notifications.services.notification_enqueue``
    (its outbox rows) since the fixture began or since ``clear()``: what the worker will deliver."""

    def __init__(self) -> None:
        self.since = 0
        self.clear()

    def clear(self) -> None:
        from caredesk.notifications.models import Notification

        self.since = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0

    @property
    def calls(self) -> list[dict[str, Any]]:
        from caredesk.notifications.models import EmailDelivery, Notification

        found = []
        for n in Notification.objects.filter(id__gt=self.since).order_by("id"):
            people = [d.recipient for d in EmailDelivery.objects.filter(notification=n).select_related("recipient")]
            found.append(
                dict(
                    event_kind=n.event_kind,
                    recipients=people,
                    subject=n.subject,
                    body=n.body,
                    context=n.context,
                    dedupe_key=n.dedupe_key,
                    reseller_id=n.reseller_id,
                    link=n.link,
                )
            )
        return found

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["event_kind"] == kind]

    def emails(self, kind: str) -> list[set[str]]:
        return [{user.email for user in call["recipients"]} for call in self.of(kind)]


@pytest.fixture
def outbox(db: Any) -> Outbox:
    """What the maintenance services recorded for the notifications worker, read from its rows."""
    return Outbox()


def give_maintenance_objects(world: World) -> None:
    """One of each maintenance and knowledge object that tenant A must never reach through tenant
    B: B's reschedule request and feed, and vendor content of a service A does not subscribe to."""
    from caredesk.knowledge import services as knowledge
    from caredesk.maintenance import feeds, notice_services, services

    b = world.b
    request = services.reschedule_request(
        actor=b.dcs[0],
        account_id=b.account.pk,
        service="premier_edition",
        planned_start=z("2027-03-03 03:00"),
        proposed_start=z("2027-03-06 03:00"),
        reason="Quarter-end close",
        now=z("2027-03-01 12:00"),
    )
    notice = notice_services.notice_post(
        actor=world.agent,
        service="outbound_engagement",
        start=z("2027-06-01 10:00"),
        end=z("2027-06-01 11:00"),
        reason="Dialer patch",
        now=z("2027-05-30 12:00"),
    )
    feed, _ = feeds.feed_create(actor=b.dcs[0])
    advisory = knowledge.advisory_publish(
        actor=world.manager, service="social_analytics", title="Delayed mentions", body="Some delay."
    )
    article = knowledge.article_create(
        actor=world.agent, service="social_analytics", kind="faq", title="Why are mentions late?", body="Because."
    )
    b.extra_ids.update(
        reschedule_id=request.pk, notice_id=notice.pk, feed_id=feed.pk, advisory_id=advisory.pk, article_id=article.pk
    )


def add_account(
    world: World,
    tenant: Any,
    name: str,
    *,
    calendar: dict[str, Any] | None = None,
    pureengage_tz: str | None = None,
    services: Iterable[str] = (),
    term: tuple[str, str] = ("2026-01-01", "2028-12-31"),
) -> Any:
    """An account of ``tenant`` subscribing to ``services`` (and PureEngage Cloud deployed in
    ``pureengage_tz``, when given), made through the tenancy services."""
    from datetime import date

    from caredesk.tenancy import services as tenancy

    account = tenancy.account_create(
        actor=world.admin,
        reseller_id=tenant.reseller.pk,
        name=name,
        department="Ops",
        country="US",
        calendar=calendar or {"timezone": "America/New_York"},
        csm_id=None,
    )
    subs = [(service, "") for service in services]
    if pureengage_tz is not None:
        subs.append(("pureengage_cloud", pureengage_tz))
    for service, zone in subs:
        tenancy.subscription_create(
            actor=world.admin,
            account_id=account.pk,
            service=service,
            package="business_care_for_cloud",
            term_start=date.fromisoformat(term[0]),
            term_end=date.fromisoformat(term[1]),
            deployment_timezone=zone,
        )
    return account


def spans(entries: Iterable[Any]) -> list[tuple[str, str, str, str]]:
    """Schedule entries as ``(service, source, "MM-DD HH:MM", "MM-DD HH:MM")`` in UTC."""
    return [
        (
            e.occurrence.service,
            e.occurrence.source,
            f"{e.occurrence.start:%m-%d %H:%M}",
            f"{e.occurrence.end:%m-%d %H:%M}",
        )
        for e in entries
    ]
