"""Writes of the knowledge app: Customer Care managers publish, edit and retire service advisories
(DOMAIN.md: advisory management is a manager's); Customer Care writes knowledge-base articles.
Markdown is rendered safely on write; every write leaves an AuditEvent (vendor content, no tenant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.tenancy.roles import is_care, is_manager
from caredesk.knowledge.markdown import MAX_LENGTH, render_markdown
from caredesk.knowledge.models import Advisory, AdvisorySeverity, Article, ArticleKind
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import User
from caredesk.tenancy.services import audit_record


def _check_service(service: str, errors: dict[str, str]) -> None:
    known = policy_of(policy_current()).services
    if service not in known:
        errors["service"] = f"unknown cloud service; one of {', '.join(sorted(known))}"


def _check_text(value: str, field: str, errors: dict[str, str], *, max_length: int) -> str:
    text = value.strip()
    if not text:
        errors[field] = "required"
    elif len(text) > max_length:
        errors[field] = f"at most {max_length} characters"
    return text


def _check_choice(value: str, field: str, choices: list[str], errors: dict[str, str]) -> None:
    if value not in choices:
        errors[field] = f"one of {', '.join(choices)}"


def _raise(errors: dict[str, str], what: str) -> None:
    if errors:
        raise ValidationFailed(f"the {what} is not valid", errors=errors)


def _managers_only(actor: User) -> None:
    if not is_manager(actor.role_enum):
        raise PermissionDenied("Only a Customer Care manager publishes, edits or retires service advisories.")


@transaction.atomic
def advisory_publish(
    *,
    actor: User,
    service: str,
    title: str,
    body: str,
    severity: str = "info",
    impact: str = "",
    now: datetime | None = None,
) -> Advisory:
    at = now or clock_now()
    _managers_only(actor)
    errors: dict[str, str] = {}
    _check_service(service, errors)
    title = _check_text(title, "title", errors, max_length=200)
    body = _check_text(body, "body", errors, max_length=MAX_LENGTH)
    _check_choice(severity, "severity", AdvisorySeverity.values, errors)
    if len(impact) > 500:
        errors["impact"] = "at most 500 characters"
    _raise(errors, "advisory")
    advisory = Advisory.objects.create(
        service=service,
        title=title,
        body_md=body,
        body_html=render_markdown(body),
        severity=severity,
        impact=impact.strip(),
        published_by=actor,
        published_at=at,
        updated_at=at,
    )
    audit_record(
        actor=actor,
        kind="advisory_published",
        subject=advisory,
        reseller_id=None,
        data={"service": service, "title": title, "severity": severity},
    )
    return advisory


@transaction.atomic
def advisory_update(*, actor: User, advisory_id: int, now: datetime | None = None, **changes: Any) -> Advisory:
    """Edit ``title``, ``body``, ``severity`` or ``impact`` of a current advisory."""
    at = now or clock_now()
    _managers_only(actor)
    advisory = Advisory.objects.select_for_update().filter(pk=advisory_id).first()
    if advisory is None:
        raise NotFound("advisory not found")
    if advisory.retired_at is not None:
        raise InvalidTransition("a retired advisory cannot be edited; publish a new one")
    errors: dict[str, str] = {}
    if "title" in changes:
        advisory.title = _check_text(changes["title"], "title", errors, max_length=200)
    if "body" in changes:
        advisory.body_md = _check_text(changes["body"], "body", errors, max_length=MAX_LENGTH)
        advisory.body_html = render_markdown(advisory.body_md)
    if "severity" in changes:
        _check_choice(changes["severity"], "severity", AdvisorySeverity.values, errors)
        advisory.severity = changes["severity"]
    if "impact" in changes:
        if len(changes["impact"]) > 500:
            errors["impact"] = "at most 500 characters"
        advisory.impact = changes["impact"].strip()
    _raise(errors, "advisory")
    advisory.updated_by, advisory.updated_at, advisory.version = actor, at, advisory.version + 1
    advisory.save()
    audit_record(
        actor=actor,
        kind="advisory_updated",
        subject=advisory,
        reseller_id=None,
        data={"fields": sorted(changes), "version": advisory.version},
    )
    return advisory


@transaction.atomic
def advisory_retire(*, actor: User, advisory_id: int, reason: str = "", now: datetime | None = None) -> Advisory:
    at = now or clock_now()
    _managers_only(actor)
    advisory = Advisory.objects.select_for_update().filter(pk=advisory_id).first()
    if advisory is None:
        raise NotFound("advisory not found")
    if advisory.retired_at is not None:
        raise InvalidTransition("this advisory is already retired")
    if len(reason) > 2000:
        raise ValidationFailed("the reason is too long", errors={"reason": "at most 2000 characters"})
    advisory.retired_by, advisory.retired_at, advisory.retire_reason = actor, at, reason.strip()
    advisory.updated_at, advisory.version = at, advisory.version + 1
    advisory.save()
    audit_record(actor=actor, kind="advisory_retired", subject=advisory, reseller_id=None, data={"reason": reason})
    return advisory


def _care_only(actor: User) -> None:
    if not is_care(actor.role_enum):
        raise PermissionDenied("Only Customer Care writes knowledge-base articles.")


@transaction.atomic
def article_create(
    *,
    actor: User,
    service: str,
    kind: str,
    title: str,
    body: str,
    is_published: bool = True,
    now: datetime | None = None,
) -> Article:
    at = now or clock_now()
    _care_only(actor)
    errors: dict[str, str] = {}
    _check_service(service, errors)
    _check_choice(kind, "kind", ArticleKind.values, errors)
    title = _check_text(title, "title", errors, max_length=200)
    body = _check_text(body, "body", errors, max_length=MAX_LENGTH)
    _raise(errors, "article")
    article = Article.objects.create(
        service=service,
        kind=kind,
        title=title,
        body_md=body,
        body_html=render_markdown(body),
        is_published=is_published,
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    audit_record(
        actor=actor,
        kind="article_created",
        subject=article,
        reseller_id=None,
        data={"service": service, "kind": kind, "title": title},
    )
    return article


@transaction.atomic
def article_update(*, actor: User, article_id: int, now: datetime | None = None, **changes: Any) -> Article:
    """Edit ``title``, ``body``, ``kind`` or ``is_published``."""
    at = now or clock_now()
    _care_only(actor)
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound("article not found")
    errors: dict[str, str] = {}
    if "title" in changes:
        article.title = _check_text(changes["title"], "title", errors, max_length=200)
    if "body" in changes:
        article.body_md = _check_text(changes["body"], "body", errors, max_length=MAX_LENGTH)
        article.body_html = render_markdown(article.body_md)
    if "kind" in changes:
        _check_choice(changes["kind"], "kind", ArticleKind.values, errors)
        article.kind = changes["kind"]
    if "is_published" in changes:
        article.is_published = bool(changes["is_published"])
    _raise(errors, "article")
    article.updated_by, article.updated_at, article.version = actor, at, article.version + 1
    article.save()
    audit_record(
        actor=actor,
        kind="article_updated",
        subject=article,
        reseller_id=None,
        data={"fields": sorted(changes), "version": article.version},
    )
    return article
