"""DOMAIN.md "People and tenancy": roles and the at-least-two-active-DCs rule, in the pure core."""

import pytest

from caredesk.domain.errors import NotEnoughDesignatedContacts, ValidationFailed
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role


@pytest.mark.parametrize("count", [0, 1])
def test_reseller_with_fewer_than_two_active_dcs_cannot_open_cases(count: int) -> None:
    with pytest.raises(NotEnoughDesignatedContacts, match="at least 2"):
        roles.check_can_open_cases(count)


@pytest.mark.parametrize("count", [2, 3, 10])
def test_reseller_with_two_or_more_active_dcs_can_open_cases(count: int) -> None:
    roles.check_can_open_cases(count)


def test_deactivating_a_dc_that_would_leave_fewer_than_two_is_refused() -> None:
    with pytest.raises(NotEnoughDesignatedContacts, match="leave 1"):
        roles.check_can_remove_designated_contact(2)
    roles.check_can_remove_designated_contact(3)


def test_unknown_role_is_a_field_error_listing_the_roles() -> None:
    with pytest.raises(ValidationFailed) as info:
        roles.parse_role("superhero")
    assert "designated_contact" in info.value.errors["role"]


@pytest.mark.parametrize("role", sorted(roles.RESELLER_ROLES))
def test_reseller_roles_need_a_reseller(role: Role) -> None:
    with pytest.raises(ValidationFailed):
        roles.check_role_tenant(role, None)
    roles.check_role_tenant(role, 7)


@pytest.mark.parametrize("role", sorted(roles.VENDOR_ROLES))
def test_vendor_roles_belong_to_no_reseller(role: Role) -> None:
    with pytest.raises(ValidationFailed):
        roles.check_role_tenant(role, 7)
    roles.check_role_tenant(role, None)


def test_only_designated_contacts_act_for_a_reseller() -> None:
    assert roles.may_act_for_reseller(Role.DESIGNATED_CONTACT)
    assert not roles.may_act_for_reseller(Role.RESELLER_STAFF)
    assert not roles.may_act_for_reseller(Role.CARE_AGENT)


def test_care_roles_and_managers() -> None:
    assert roles.is_care(Role.CARE_AGENT) and roles.is_care(Role.CARE_MANAGER)
    assert not roles.is_care(Role.CSM) and not roles.is_care(Role.DESIGNATED_CONTACT)
    assert roles.is_manager(Role.CARE_MANAGER) and not roles.is_manager(Role.CARE_AGENT)
