"""Tenancy API: resellers, users, End User Accounts, subscriptions and API tokens. Thin: parse, one
service or selector call, render."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from caredesk.api.base import ErrorOut, actor
from caredesk.tenancy import selectors, services
from caredesk.tenancy.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ResellerIn,
    ResellerOut,
    SubscriptionIn,
    SubscriptionOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)

router = Router(tags=["tenancy"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut, 422: ErrorOut}


@router.get("/me", response=UserOut)
def me(request: HttpRequest) -> object:
    return actor(request)


@router.get("/resellers", response=list[ResellerOut])
@paginate(CursorPagination, ordering=("id",))
def reseller_list(request: HttpRequest) -> object:
    return selectors.reseller_list_for_actor(actor=actor(request))


@router.post("/resellers", response={201: ResellerOut, **ERRORS})
def reseller_create(request: HttpRequest, payload: ResellerIn) -> object:
    reseller = services.reseller_create(actor=actor(request), name=payload.name)
    return Status(201, selectors.reseller_get_for_actor(actor=actor(request), reseller_id=reseller.pk))


@router.get("/resellers/{reseller_id}", response={200: ResellerOut, **ERRORS})
def reseller_get(request: HttpRequest, reseller_id: int) -> object:
    return selectors.reseller_get_for_actor(actor=actor(request), reseller_id=reseller_id)


@router.get("/users", response=list[UserOut])
@paginate(CursorPagination, ordering=("id",))
def user_list(request: HttpRequest, reseller_id: int | None = None) -> object:
    return selectors.user_list_for_actor(actor=actor(request), reseller_id=reseller_id)


@router.post("/users", response={201: UserOut, **ERRORS})
def user_create(request: HttpRequest, payload: UserIn) -> object:
    data = payload.dict()
    data["timezone_name"] = data.pop("timezone")
    return Status(201, services.user_create(actor=actor(request), **data))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS})
def user_get(request: HttpRequest, user_id: int) -> object:
    return selectors.user_get_for_actor(actor=actor(request), user_id=user_id)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS})
def user_update(request: HttpRequest, user_id: int, payload: UserPatch) -> object:
    selectors.user_get_for_actor(actor=actor(request), user_id=user_id)
    data = payload.dict(exclude_unset=True)
    if "timezone" in data:
        data["timezone_name"] = data.pop("timezone")
    return services.user_update(actor=actor(request), user_id=user_id, **data)


@router.post("/users/{user_id}/deactivate", response={200: UserOut, **ERRORS})
def user_deactivate(request: HttpRequest, user_id: int) -> object:
    selectors.user_get_for_actor(actor=actor(request), user_id=user_id)
    return services.user_deactivate(actor=actor(request), user_id=user_id)


@router.get("/accounts", response=list[AccountOut])
@paginate(CursorPagination, ordering=("id",))
def account_list(request: HttpRequest, reseller_id: int | None = None) -> object:
    return selectors.account_list_for_actor(actor=actor(request), reseller_id=reseller_id)


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def account_create(request: HttpRequest, payload: AccountIn) -> object:
    return Status(201, services.account_create(actor=actor(request), **payload.dict()))


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def account_get(request: HttpRequest, account_id: int) -> object:
    return selectors.account_get_for_actor(actor=actor(request), account_id=account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def account_update(request: HttpRequest, account_id: int, payload: AccountPatch) -> object:
    selectors.account_get_for_actor(actor=actor(request), account_id=account_id)
    return services.account_update(actor=actor(request), account_id=account_id, **payload.dict(exclude_unset=True))


@router.get("/subscriptions", response=list[SubscriptionOut])
@paginate(CursorPagination, ordering=("id",))
def subscription_list(request: HttpRequest, account_id: int | None = None) -> object:
    return selectors.subscription_list_for_actor(actor=actor(request), account_id=account_id)


@router.post("/subscriptions", response={201: SubscriptionOut, **ERRORS})
def subscription_create(request: HttpRequest, payload: SubscriptionIn) -> object:
    return Status(201, services.subscription_create(actor=actor(request), **payload.dict()))


@router.get("/subscriptions/{subscription_id}", response={200: SubscriptionOut, **ERRORS})
def subscription_get(request: HttpRequest, subscription_id: int) -> object:
    return selectors.subscription_get_for_actor(actor=actor(request), subscription_id=subscription_id)


@router.get("/tokens", response=list[TokenOut])
@paginate(CursorPagination, ordering=("-id",))
def token_list(request: HttpRequest) -> object:
    return selectors.token_list_for_actor(actor=actor(request))


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS})
def token_create(request: HttpRequest, payload: TokenIn) -> object:
    token, secret = services.token_create(actor=actor(request), **payload.dict())
    token.token = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS})
def token_revoke(request: HttpRequest, token_id: int) -> object:
    return services.token_revoke(actor=actor(request), token_id=token_id)
