"""Roles and who may do what: pure predicates over a role and a tenant key.

Invariants:
- Vendor roles (admin, Customer Care agent and manager, CSM) belong to no reseller; reseller roles
  (Designated Contact, reseller staff) belong to exactly one.
- A reseller opens cases only while it has at least two active Designated Contacts, and no change
  may leave it with fewer (guide 4.1; DOMAIN.md "People and tenancy").
"""

from __future__ import annotations

from enum import StrEnum

from caredesk.domain.errors import NotEnoughDesignatedContacts, ValidationFailed

MIN_DESIGNATED_CONTACTS = 2


class Role(StrEnum):
    VENDOR_ADMIN = "vendor_admin"
    CARE_AGENT = "care_agent"
    CARE_MANAGER = "care_manager"
    CSM = "csm"
    DESIGNATED_CONTACT = "designated_contact"
    RESELLER_STAFF = "reseller_staff"


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CARE_AGENT, Role.CARE_MANAGER, Role.CSM})
RESELLER_ROLES = frozenset({Role.DESIGNATED_CONTACT, Role.RESELLER_STAFF})
CARE_ROLES = frozenset({Role.CARE_AGENT, Role.CARE_MANAGER, Role.VENDOR_ADMIN})


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"unknown role {value!r}", errors={"role": f"unknown role {value!r}; use one of: {allowed}"}
        ) from None


def is_vendor(role: Role) -> bool:
    return role in VENDOR_ROLES


def is_care(role: Role) -> bool:
    """Customer Care works cases: agents, managers and the vendor admin."""
    return role in CARE_ROLES


def is_manager(role: Role) -> bool:
    return role in (Role.CARE_MANAGER, Role.VENDOR_ADMIN)


def may_act_for_reseller(role: Role) -> bool:
    """Only Designated Contacts open, update, escalate or close cases and requests."""
    return role is Role.DESIGNATED_CONTACT


def check_role_tenant(role: Role, reseller_id: object | None) -> None:
    """A reseller role needs a reseller; a vendor role must have none."""
    if role in RESELLER_ROLES and reseller_id is None:
        raise ValidationFailed(
            "reseller roles need a reseller", errors={"reseller_id": f"a {role.value} must belong to a reseller"}
        )
    if role in VENDOR_ROLES and reseller_id is not None:
        raise ValidationFailed(
            "vendor roles belong to no reseller",
            errors={"reseller_id": f"a {role.value} is a vendor role and cannot belong to a reseller"},
        )


def check_can_open_cases(active_designated_contacts: int) -> None:
    if active_designated_contacts < MIN_DESIGNATED_CONTACTS:
        raise NotEnoughDesignatedContacts(
            f"This reseller has {active_designated_contacts} active Designated Contact(s); the support "
            f"guide requires at least {MIN_DESIGNATED_CONTACTS} before cases can be opened."
        )


def check_can_remove_designated_contact(active_designated_contacts: int) -> None:
    """Called with the count *before* a DC is deactivated or demoted."""
    if active_designated_contacts - 1 < MIN_DESIGNATED_CONTACTS:
        raise NotEnoughDesignatedContacts(
            f"Deactivating this Designated Contact would leave {active_designated_contacts - 1}; a "
            f"reseller must keep at least {MIN_DESIGNATED_CONTACTS}. Add another Designated Contact first."
        )
