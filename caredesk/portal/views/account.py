"""Log-in (Django sessions, django-axes throttling), API tokens, and the health probe."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from caredesk.domain.errors import DomainError
from caredesk.portal.views.base import actor, page, render_page
from caredesk.tenancy import selectors, services


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


@page(methods=("GET", "POST"))
def tokens(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    created_secret = None
    error = None
    if request.method == "POST":
        try:
            _, created_secret = services.token_create(actor=user, name=request.POST.get("name", ""))
        except DomainError as exc:
            error = exc
    return render_page(
        request,
        "portal/tokens.html",
        {
            "tokens": selectors.token_list_for_actor(actor=user).filter(user=user),
            "secret": created_secret,
            "error": error,
        },
        status=422 if error else 200,
    )


@page(methods=("POST",))
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(actor=actor(request), token_id=token_id)
    return redirect("portal:tokens")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
