"""Who hears of what: the recipient lists callers pass to ``notification_enqueue``. Reads only; each
returns active people, in id order, each person once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy.models import EndUserAccount, User


def _vendor(*roles: Role) -> QuerySet[User]:
    return User.objects.filter(role__in=[r.value for r in roles], is_active=True, reseller__isnull=True).order_by("id")


def recipients_care_managers() -> QuerySet[User]:
    """Customer Care managers (escalations, severity decisions)."""
    return _vendor(Role.CARE_MANAGER)


def recipients_customer_care() -> QuerySet[User]:
    """Customer Care: agents and managers."""
    return _vendor(Role.CARE_AGENT, Role.CARE_MANAGER)


def recipients_vendor_admins() -> QuerySet[User]:
    return _vendor(Role.VENDOR_ADMIN)


def recipients_reseller_dcs(*, reseller_id: int, also: Iterable[User] = ()) -> list[User]:
    """The reseller's active Designated Contacts, plus ``also`` (e.g. the DC who asked, whatever their
    role is today) when still active and of that reseller."""
    people = {
        u.pk: u
        for u in User.objects.filter(reseller_id=reseller_id, role=Role.DESIGNATED_CONTACT.value, is_active=True)
    }
    for user in also:
        if user.is_active and user.reseller_id == reseller_id:
            people.setdefault(user.pk, user)
    return [people[pk] for pk in sorted(people)]


def recipients_reseller_people(*, reseller_id: int) -> QuerySet[User]:
    """Everyone active at the reseller: Designated Contacts and staff."""
    return User.objects.filter(reseller_id=reseller_id, is_active=True).order_by("id")


def recipients_account_csm(*, account_id: int) -> list[User]:
    """The account's Customer Success Manager, if one is assigned and active."""
    account = EndUserAccount.objects.select_related("csm").filter(pk=account_id).first()
    if account is None or account.csm is None or not account.csm.is_active:
        return []
    return [account.csm]
