"""Notification preferences (everyone: e-mail for each kind of event, or the default) and the
reseller's webhooks (its Designated Contacts, and vendor admins). Both are the notifications app's
services; the signing secret of a webhook is shown once, after it is created or rotated."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from caredesk.domain.errors import ValidationFailed
from caredesk.notifications import selectors, services, webhook_services
from caredesk.notifications.events import KNOWN_EVENT_KINDS
from caredesk.portal.views.base import actor, page, render_page

CHOICES = {"default": None, "email": True, "none": False}


@page(methods=("GET", "POST"))
def preferences(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        current = selectors.notification_preferences_for_actor(actor=user)
        events = [
            (choice.event_kind, CHOICES[request.POST[f"kind.{choice.event_kind}"]])
            for choice in current.events
            if request.POST.get(f"kind.{choice.event_kind}") in CHOICES
        ]
        try:
            services.notification_preferences_update(
                actor=user, email_default=request.POST.get("email_default") == "on", events=events
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("portal:notifications")
    context = {"prefs": selectors.notification_preferences_for_actor(actor=user), "errors": errors}
    return render_page(request, "portal/notifications/preferences.html", context, status=422 if errors else 200)


@page(methods=("GET", "POST"))
def webhooks(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    endpoints = selectors.webhook_list_for_actor(actor=user)  # PermissionDenied for other roles: 403
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            _, secret = webhook_services.webhook_create(
                actor=user,
                url=request.POST.get("url", ""),
                event_types=request.POST.getlist("event_types") or ["*"],
                description=request.POST.get("description", ""),
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            request.session["webhook_secret"] = secret
            messages.success(request, "Webhook registered.")
            return redirect("portal:webhooks")
    context: dict[str, Any] = {
        "endpoints": endpoints,
        "kinds": sorted(KNOWN_EVENT_KINDS.items()),
        "secret": request.session.pop("webhook_secret", None),
        "values": request.POST if request.method == "POST" else {},
        "errors": errors,
    }
    return render_page(request, "portal/notifications/webhooks.html", context, status=422 if errors else 200)


@page(methods=("POST",))
def webhook_change(request: HttpRequest, webhook_id: int, change: str) -> HttpResponse:
    user = actor(request)
    endpoint = selectors.webhook_get_for_actor(actor=user, webhook_id=webhook_id)
    if change == "rotate":
        _, secret = webhook_services.webhook_secret_rotate(actor=user, webhook_id=endpoint.pk)
        request.session["webhook_secret"] = secret
        messages.success(request, "New signing secret: deliveries from now on use it.")
    elif change in ("pause", "resume"):
        webhook_services.webhook_update(actor=user, webhook_id=endpoint.pk, active=change == "resume")
        messages.success(request, "Webhook paused." if change == "pause" else "Webhook active again.")
    elif change == "delete":
        webhook_services.webhook_delete(actor=user, webhook_id=endpoint.pk)
        messages.success(request, "Webhook removed.")
    else:
        raise ValidationFailed("unknown change", errors={"change": "rotate, pause, resume or delete"})
    return redirect("portal:webhooks")
