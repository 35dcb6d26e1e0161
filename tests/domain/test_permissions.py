"""The permission rules of ITB 2 and 3, one by one."""

from pathlib import Path

import pytest

from webapp.domain.permissions import (
    PERSONAL_ACTIONS,
    SITE_ACTIONS,
    Action,
    Actor,
    acting_role,
    can,
    permissions_table,
)
from webapp.models.enums import SiteRoleKind, StaffRoleKind

OWNER, MANAGER, USER = SiteRoleKind.OWNER, SiteRoleKind.MANAGER, SiteRoleKind.USER
USER_MAY = {Action.VIEW_SITE, Action.SUBMIT_READING, Action.VIEW_READINGS, Action.VIEW_DOCUMENTS}


def at(site_id: int, *roles: SiteRoleKind) -> Actor:
    return Actor(person_id=1, site_roles={site_id: frozenset(roles)})


def staff(*roles: StaffRoleKind) -> Actor:
    return Actor(person_id=2, staff_roles=frozenset(roles))


def test_nobody_anonymous_may_do_anything() -> None:
    for action in Action:
        assert not can(None, action, 1)


@pytest.mark.parametrize("role", [OWNER, MANAGER])
def test_owner_and_manager_use_every_function_at_their_site(role: SiteRoleKind) -> None:
    for action in SITE_ACTIONS:
        assert can(at(10, role), action, 10), action


def test_a_user_submits_readings_and_sees_invoices_but_no_contract_or_persons() -> None:
    for action in SITE_ACTIONS:
        assert can(at(10, USER), action, 10) is (action in USER_MAY), action
    assert not can(at(10, USER), Action.VIEW_CONTRACT, 10)
    assert not can(at(10, USER), Action.SEE_SITE_PERSONS, 10)
    assert not can(at(10, USER), Action.MANAGE_AUTHORISATIONS, 10)


@pytest.mark.parametrize("role", list(SiteRoleKind))
def test_a_role_grants_nothing_at_another_site(role: SiteRoleKind) -> None:
    for action in SITE_ACTIONS:
        assert not can(at(10, role), action, 11)
        assert not can(at(10, role), action, None)


@pytest.mark.parametrize("role", [OWNER, MANAGER])
def test_nobody_adds_or_removes_an_owner_through_the_portal(role: SiteRoleKind) -> None:
    assert can(at(10, role), Action.MANAGE_AUTHORISATIONS, 10, MANAGER)
    assert can(at(10, role), Action.MANAGE_AUTHORISATIONS, 10, USER)
    assert not can(at(10, role), Action.MANAGE_AUTHORISATIONS, 10, OWNER)


def test_site_roles_grant_no_staff_function() -> None:
    actor = at(10, OWNER, MANAGER, USER)
    for action in set(Action) - SITE_ACTIONS - PERSONAL_ACTIONS:
        assert not can(actor, action, 10), action


def test_the_personal_actions_are_these_only() -> None:
    assert {Action.APPLY_FOR_CONTRACT, Action.VIEW_OWN_DATA_ACCESS,
            Action.CONFIRM_JOINT_APPLICATION} == PERSONAL_ACTIONS


def test_every_person_may_apply_for_a_contract_and_see_who_read_their_data() -> None:
    nobody = Actor(person_id=3)
    assert can(nobody, Action.APPLY_FOR_CONTRACT)
    assert can(nobody, Action.VIEW_OWN_DATA_ACCESS)
    # ELVESO 2.1.3: whoever a joint rebate application names confirms it themselves.
    assert can(nobody, Action.CONFIRM_JOINT_APPLICATION)
    assert not can(nobody, Action.VIEW_SITE, 10)


def test_staff_roles() -> None:
    clerk = staff(StaffRoleKind.CLERK)
    inspector = staff(StaffRoleKind.INSPECTOR)
    admin = staff(StaffRoleKind.ADMIN)
    for actor in (clerk, inspector, admin):
        assert can(actor, Action.STAFF_SEARCH)
        assert can(actor, Action.STAFF_VIEW_CUSTOMER)
        assert can(actor, Action.STAFF_ENTER_READING)
        assert not can(actor, Action.VIEW_SITE, 10)  # staff use the back office
    assert can(clerk, Action.STAFF_CORRECT_READING)
    assert not can(inspector, Action.STAFF_CORRECT_READING)
    for action in (Action.MANAGE_STAFF_ROLES, Action.MANAGE_UTILITY_SETTINGS,
                   Action.VIEW_AUDIT_TRAIL):
        assert can(admin, action)
        assert not can(clerk, action)
        assert not can(inspector, action)


def test_the_acting_role_is_the_strongest_that_allows_the_action() -> None:
    assert acting_role(at(10, USER, MANAGER), Action.SUBMIT_READING, 10) == "manager"
    assert acting_role(at(10, USER), Action.SUBMIT_READING, 10) == "user"
    assert acting_role(staff(StaffRoleKind.CLERK, StaffRoleKind.ADMIN),
                       Action.STAFF_SEARCH) == "admin"
    assert acting_role(Actor(person_id=1), Action.VIEW_OWN_DATA_ACCESS) == "self"


def test_docs_permissions_md_is_generated_from_the_code() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    assert path.read_text(encoding="utf-8") == permissions_table(), (
        "docs/permissions.md is stale: run `flask permissions-doc`"
    )
