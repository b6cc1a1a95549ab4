"""Reads for tenants and people. The only doors to tenant data: every function takes the actor and
answers "not found" for anything outside the actor's tenant, never "forbidden"."""

from __future__ import annotations

from django.db.models import Count, Model, Q, QuerySet

from caredesk.domain.errors import NotFound
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.tenancy.models import ApiToken, EndUserAccount, Reseller, Subscription, User


def _scope[M: Model](actor: User, qs: QuerySet[M], field: str = "reseller_id") -> QuerySet[M]:
    if is_vendor(actor.role_enum):
        return qs
    return qs.filter(**{field: actor.reseller_id})


def reseller_list_for_actor(*, actor: User) -> QuerySet[Reseller]:
    qs = Reseller.objects.annotate(
        active_dc_count=Count("users", filter=Q(users__role=Role.DESIGNATED_CONTACT.value, users__is_active=True))
    )
    return _scope(actor, qs, "id").order_by("name", "id")


def reseller_get_for_actor(*, actor: User, reseller_id: int) -> Reseller:
    reseller = reseller_list_for_actor(actor=actor).filter(pk=reseller_id).first()
    if reseller is None:
        raise NotFound("reseller not found")
    return reseller


def user_list_for_actor(*, actor: User, reseller_id: int | None = None) -> QuerySet[User]:
    qs = _scope(actor, User.objects.all())
    if reseller_id is not None:
        qs = qs.filter(reseller_id=reseller_id)
    return qs.order_by("id")


def user_get_for_actor(*, actor: User, user_id: int) -> User:
    user = user_list_for_actor(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound("user not found")
    return user


def active_designated_contacts(*, reseller_id: int) -> QuerySet[User]:
    return User.objects.filter(reseller_id=reseller_id, role=Role.DESIGNATED_CONTACT.value, is_active=True)


def account_list_for_actor(*, actor: User, reseller_id: int | None = None) -> QuerySet[EndUserAccount]:
    qs = _scope(actor, EndUserAccount.objects.select_related("csm"))
    if actor.role_enum is Role.CSM:
        qs = qs.filter(csm=actor)
    if reseller_id is not None:
        qs = qs.filter(reseller_id=reseller_id)
    return qs.order_by("name", "id")


def account_get_for_actor(*, actor: User, account_id: int) -> EndUserAccount:
    account = account_list_for_actor(actor=actor).filter(pk=account_id).first()
    if account is None:
        raise NotFound("account not found")
    return account


def subscription_list_for_actor(*, actor: User, account_id: int | None = None) -> QuerySet[Subscription]:
    qs = _scope(actor, Subscription.objects.all())
    if actor.role_enum is Role.CSM:
        qs = qs.filter(account__csm=actor)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("account_id", "service", "id")


def subscription_get_for_actor(*, actor: User, subscription_id: int) -> Subscription:
    sub = subscription_list_for_actor(actor=actor).filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound("subscription not found")
    return sub


def token_list_for_actor(*, actor: User) -> QuerySet[ApiToken]:
    """Everyone sees their own tokens; a vendor admin sees every token."""
    qs = ApiToken.objects.select_related("user")
    if actor.role_enum is not Role.VENDOR_ADMIN:
        qs = qs.filter(user=actor)
    return qs.order_by("-created_at", "-id")


def token_get_for_actor(*, actor: User, token_id: int) -> ApiToken:
    token = token_list_for_actor(actor=actor).filter(pk=token_id).first()
    if token is None:
        raise NotFound("token not found")
    return token
