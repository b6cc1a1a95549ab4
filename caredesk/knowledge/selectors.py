"""Reads of the knowledge app. Customer Care sees everything; a reseller's people see the
published articles and the advisories of the services their accounts subscribe to (so another
service's advisory is "not found")."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.domain.tenancy.roles import is_vendor
from caredesk.knowledge.models import Advisory, Article
from caredesk.knowledge.search import article_search
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import Subscription, User

SEVERITY_ORDER = Case(
    When(severity="critical", then=Value(0)),
    When(severity="major", then=Value(1)),
    When(severity="minor", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def visible_services(*, actor: User, today: datetime | None = None) -> set[str] | None:
    """None for the vendor side (every service); else the services the actor's reseller's accounts
    subscribe to today or later."""
    if is_vendor(actor.role_enum):
        return None
    day = (today or datetime.now(UTC)).astimezone(UTC).date()
    return set(
        Subscription.objects.filter(reseller_id=actor.reseller_id or 0, term_end__gte=day).values_list(
            "service", flat=True
        )
    )


def check_service(service: str) -> None:
    if service not in policy_of(policy_current()).services:
        raise ValidationFailed("unknown cloud service", errors={"service": "unknown cloud service"})


def _current(qs: QuerySet[Advisory], at: datetime) -> QuerySet[Advisory]:
    return qs.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=at), published_at__lte=at)


def advisory_list_for_actor(
    *, actor: User, service: str | None = None, include_retired: bool = False, now: datetime | None = None
) -> QuerySet[Advisory]:
    qs = Advisory.objects.all()
    services = visible_services(actor=actor, today=now)
    if services is not None:
        qs = qs.filter(service__in=services)
    if service is not None:
        qs = qs.filter(service=service)
    if not include_retired:
        qs = _current(qs, now or datetime.now(UTC))
    return qs.order_by("-published_at", "-id")


def advisory_get_for_actor(*, actor: User, advisory_id: int) -> Advisory:
    advisory = advisory_list_for_actor(actor=actor, include_retired=True).filter(pk=advisory_id).first()
    if advisory is None:
        raise NotFound("advisory not found")
    return advisory


def current_advisories_for_actor(*, actor: User, service: str, now: datetime | None = None) -> list[Advisory]:
    """The advisories the intake's Level 1 checklist links to: current ones of ``service``, most
    severe first."""
    check_service(service)
    qs = advisory_list_for_actor(actor=actor, service=service, now=now)
    return list(qs.order_by(SEVERITY_ORDER, "-published_at", "-id"))


def article_list_for_actor(
    *, actor: User, service: str | None = None, kind: str | None = None, include_unpublished: bool = False
) -> QuerySet[Article]:
    qs = Article.objects.all()
    services = visible_services(actor=actor)
    if services is not None:
        qs = qs.filter(service__in=services, is_published=True)
    elif not include_unpublished:
        qs = qs.filter(is_published=True)
    if service is not None:
        qs = qs.filter(service=service)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("service", "kind", "title", "id")


def article_get_for_actor(*, actor: User, article_id: int) -> Article:
    article = article_list_for_actor(actor=actor, include_unpublished=True).filter(pk=article_id).first()
    if article is None:
        raise NotFound("article not found")
    return article


def article_search_for_actor(
    *, actor: User, text: str, service: str | None = None, kind: str | None = None, limit: int = 50
) -> list[Article]:
    return article_search(article_list_for_actor(actor=actor, service=service, kind=kind), text, limit=limit)


def suggest_for_actor(*, actor: User, service: str, text: str, limit: int = 5) -> tuple[list[Article], list[Advisory]]:
    """As a DC describes a problem: the articles of ``service`` that share its words, best first,
    and the service's current advisories."""
    check_service(service)
    articles = article_search(article_list_for_actor(actor=actor, service=service), text, any_word=True, limit=limit)
    return articles, current_advisories_for_actor(actor=actor, service=service)
