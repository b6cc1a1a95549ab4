"""What every portal page shares: the log-in and role gate, the user's time zone, the mapping of
domain errors to pages, and the labels of the current support policy.

Every page view is wrapped by ``page``: it answers anonymous visitors with the log-in redirect,
a role that may never use the page with 403, activates the user's time zone for the request (so
templates show every instant in it), and turns a ``DomainError`` that escapes the view into the
same status the API answers (``NotFound`` 404 ...), rendered as a page. Views stay thin: parse,
one service or selector call, render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from caredesk.domain.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    StaleVersion,
    ValidationFailed,
)
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy.roles import Role, is_care, is_vendor
from caredesk.sla.services import policy_current, policy_of
from caredesk.tenancy.models import User

STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (PermissionDenied, 403),
    (StaleVersion, 412),
    (InvalidTransition, 409),
    (ValidationFailed, 422),
    (RuleViolation, 422),
    (DomainError, 400),
]

View = Callable[..., HttpResponseBase]


def status_of(exc: DomainError) -> int:
    return next(code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls))


# --------------------------------------------------------------------------- who may open a page


def anyone(role: Role) -> bool:
    return True


def reseller_side(role: Role) -> bool:
    return not is_vendor(role)


def console_side(role: Role) -> bool:
    """Customer Care (agents, managers, admin) and CSMs."""
    return is_vendor(role)


def care_only(role: Role) -> bool:
    return is_care(role)


def actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def page(who: Callable[[Role], bool] = anyone, *, methods: Iterable[str] = ("GET",)) -> Callable[[View], View]:
    """Wrap a page view: log-in, role gate, allowed methods, the user's time zone, domain errors."""
    allowed = tuple(methods)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                login = redirect_to_login(request.get_full_path())
                if request.headers.get("HX-Request"):
                    # An htmx request after the session expired: the whole page goes to the log-in,
                    # instead of the log-in form being swapped into a part of it.
                    expired = HttpResponse(status=204)
                    expired["HX-Redirect"] = login["Location"]
                    return expired
                return login
            user = actor(request)
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            if not who(user.role_enum):
                return error_page(request, PermissionDenied("This page is not for your role."))
            timezone.activate(_zone(user.timezone))
            try:
                response = view(request, *args, **kwargs)
            except NotFound:
                raise Http404("not found") from None
            except DomainError as exc:
                response = error_page(request, exc)
            finally:
                timezone.deactivate()
            # Pages show tenant data: no browser or proxy keeps a copy (back button, shared machines).
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorate


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = status_of(exc)
    if status == 404:
        raise Http404("not found")
    context = {"error": exc, "fields": getattr(exc, "errors", {}), "back": safe_next(request, "")}
    return render_page(request, "portal/error.html", context, status=status)


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (for pagination links that keep the filters)."""
    pairs = [(k, v) for k, values in request.GET.lists() for v in values if k not in names]
    return urlencode(pairs)


# --------------------------------------------------------------------------- policy labels


@dataclass
class Labels:
    """Names of services, packages and severities from the current support policy, read once
    per request and only when a template asks."""

    @cached_property
    def policy(self) -> Policy:
        return policy_of(policy_current())

    @cached_property
    def services(self) -> dict[str, str]:
        return {name: s.label for name, s in self.policy.services.items()}

    @cached_property
    def packages(self) -> dict[str, str]:
        return {name: p.label for name, p in self.policy.packages.items()}

    @cached_property
    def severities(self) -> dict[int, str]:
        return dict(self.policy.severities)

    @cached_property
    def intake_severities(self) -> list[tuple[int, str]]:
        """The severities a case may be submitted with (the policy's own "is a raise" test)."""
        top = self.policy.intake.portal_max_severity
        return [(s, n) for s, n in sorted(self.policy.severities.items()) if not Policy.is_raise(top, s)]


def _has(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


class Nav:
    """Which optional sections the navigation links to: a page appears once its URL exists."""

    @cached_property
    def maintenance(self) -> bool:
        return _has("portal:maintenance")

    @cached_property
    def advisories(self) -> bool:
        return _has("portal:advisories")

    @cached_property
    def notifications(self) -> bool:
        return _has("portal:notifications")

    @cached_property
    def post_mortems(self) -> bool:
        return _has("portal:post_mortems")

    @cached_property
    def reports(self) -> str:
        for name in ("reports:index", "reports:compliance", "reports:home"):
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
        return ""


def render_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("labels", Labels())
    context.setdefault("nav", Nav())
    return render(request, template, context, status=status)
