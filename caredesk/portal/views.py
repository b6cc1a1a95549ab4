"""Portal pages: thin views over the same services and selectors as the API."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from caredesk.domain.errors import DomainError
from caredesk.tenancy import selectors, services
from caredesk.tenancy.models import User


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "accounts": selectors.account_list_for_actor(actor=user)[:50],
        "resellers": selectors.reseller_list_for_actor(actor=user)[:50],
    }
    return render(request, "portal/home.html", context)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    created_secret = None
    error = None
    if request.method == "POST":
        try:
            _, created_secret = services.token_create(actor=user, name=request.POST.get("name", ""))
        except DomainError as exc:
            error = exc
    return render(
        request,
        "portal/tokens.html",
        {
            "tokens": selectors.token_list_for_actor(actor=user).filter(user=user),
            "secret": created_secret,
            "error": error,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(actor=_user(request), token_id=token_id)
    return redirect("tokens")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
