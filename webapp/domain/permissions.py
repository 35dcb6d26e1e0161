"""Who may do what: the one place that decides access.

Pure: plain inputs (an ``Actor`` that the services build from the database), no
Flask, no database. Every view, API call, CLI command and menu asks ``can``.

Roles at a site (ITB 2):
- owner: the utility's contract partner; sees all documents, uses all
  functions, authorises others. Owner status comes from the contract only
  (DOMAIN.md, Decision): nobody but the utility makes or removes an owner.
- manager: sees all documents and uses all functions; cannot remove owners.
- user: submits readings, sees and pays invoices; no access to contract data;
  does not see the other persons linked to the site.
A company customer acts through its board members (owners) and representatives.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from webapp.models.enums import SiteRoleKind, StaffRoleKind


class Action(enum.StrEnum):
    # At a site (the site is the object)
    VIEW_SITE = "view_site"
    SUBMIT_READING = "submit_reading"
    VIEW_READINGS = "view_readings_history"
    VIEW_DOCUMENTS = "view_invoices_and_documents"
    VIEW_CONTRACT = "view_contract_data"
    SEE_SITE_PERSONS = "see_other_persons_at_site"
    MANAGE_AUTHORISATIONS = "manage_authorisations"
    CREATE_API_KEY = "create_api_key"
    APPLY_FOR_REBATE = "apply_for_rebate"
    CHANGE_CONTRACT = "change_contract"
    TERMINATE_CONTRACT = "terminate_contract"
    # KEE §43(1): a claim about an invoice is the contract partner's matter.
    CLAIM_INVOICE = "claim_about_invoice"
    # Any person logged in, for themselves
    APPLY_FOR_CONTRACT = "apply_for_contract"
    VIEW_OWN_DATA_ACCESS = "view_own_data_access"
    # ELVESO 2.1.3: a co-owner named in a joint rebate application confirms it.
    CONFIRM_JOINT_APPLICATION = "confirm_joint_rebate_application"
    # Utility staff
    STAFF_AREA = "staff_area"
    STAFF_SEARCH = "staff_search"
    STAFF_VIEW_CUSTOMER = "staff_view_customer_card"
    STAFF_ENTER_READING = "staff_enter_reading"
    STAFF_CORRECT_READING = "staff_correct_reading"
    STAFF_REVIEW_REBATES = "staff_review_rebate_applications"
    STAFF_RUN_REBATES = "staff_run_rebate_season"
    STAFF_HANDLE_CONTRACTS = "staff_handle_contract_applications"
    # KEE §41-§43: billing runs, payments from bank statements, claims.
    STAFF_BILLING = "staff_billing_payments_and_claims"
    # KEE §13, §24-§29, §36-§38, §43(2): official acts and notices, on site and at the desk.
    STAFF_ACTS = "staff_draw_up_acts_and_notices"
    MANAGE_STAFF_ROLES = "manage_staff_roles"
    MANAGE_UTILITY_SETTINGS = "manage_utility_settings"
    VIEW_AUDIT_TRAIL = "view_audit_trail"
    # Issue 10: the what-if report of the rebate rules, aggregates only, for the
    # town council that adopts and amends the rules.
    COUNCIL_WHAT_IF = "council_what_if_report"


SITE_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.VIEW_SITE,
        Action.SUBMIT_READING,
        Action.VIEW_READINGS,
        Action.VIEW_DOCUMENTS,
        Action.VIEW_CONTRACT,
        Action.SEE_SITE_PERSONS,
        Action.MANAGE_AUTHORISATIONS,
        Action.CREATE_API_KEY,
        Action.APPLY_FOR_REBATE,
        Action.CHANGE_CONTRACT,
        Action.TERMINATE_CONTRACT,
        Action.CLAIM_INVOICE,
    }
)
PERSONAL_ACTIONS: frozenset[Action] = frozenset(
    {Action.APPLY_FOR_CONTRACT, Action.VIEW_OWN_DATA_ACCESS, Action.CONFIRM_JOINT_APPLICATION}
)

# ITB 2: what each role at a site may do there.
SITE_ROLE_ACTIONS: Mapping[SiteRoleKind, frozenset[Action]] = {
    SiteRoleKind.OWNER: SITE_ACTIONS,
    SiteRoleKind.MANAGER: SITE_ACTIONS,
    SiteRoleKind.USER: frozenset(
        {Action.VIEW_SITE, Action.SUBMIT_READING, Action.VIEW_READINGS, Action.VIEW_DOCUMENTS}
    ),
}

_STAFF_COMMON = frozenset(
    {Action.STAFF_AREA, Action.STAFF_SEARCH, Action.STAFF_VIEW_CUSTOMER,
     Action.STAFF_ENTER_READING, Action.STAFF_ACTS}
)
# Reviewing rebate applications, running a season and handling contract applications
# are desk work (ELVESO 3.4, 3.6; KEE §5), and so are billing, payments and claims (KEE
# §41-§43).
_DESK = frozenset(
    {Action.STAFF_CORRECT_READING, Action.STAFF_REVIEW_REBATES, Action.STAFF_RUN_REBATES,
     Action.STAFF_HANDLE_CONTRACTS, Action.STAFF_BILLING}
)
STAFF_ROLE_ACTIONS: Mapping[StaffRoleKind, frozenset[Action]] = {
    StaffRoleKind.CLERK: _STAFF_COMMON | _DESK | {Action.COUNCIL_WHAT_IF},
    # Inspectors read meters on site; correcting a reading is a desk decision.
    StaffRoleKind.INSPECTOR: _STAFF_COMMON,
    StaffRoleKind.ADMIN: _STAFF_COMMON
    | _DESK
    | {
        Action.MANAGE_STAFF_ROLES,
        Action.MANAGE_UTILITY_SETTINGS,
        Action.VIEW_AUDIT_TRAIL,
        Action.COUNCIL_WHAT_IF,
    },
    # A council member sees aggregates of the rebate rules' effect and nothing else:
    # no staff area, no customer's data.
    StaffRoleKind.COUNCIL: frozenset({Action.COUNCIL_WHAT_IF}),
}

# Roles a person may hand out or take away through the portal (ITB 3).
GRANTABLE_ROLES: frozenset[SiteRoleKind] = frozenset({SiteRoleKind.MANAGER, SiteRoleKind.USER})


@dataclass(frozen=True)
class Actor:
    """A logged-in person's roles in force today (expired and revoked ones left out)."""

    person_id: int
    staff_roles: frozenset[StaffRoleKind] = frozenset()
    site_roles: Mapping[int, frozenset[SiteRoleKind]] = field(default_factory=dict)

    def roles_at(self, site_id: int) -> frozenset[SiteRoleKind]:
        return self.site_roles.get(site_id, frozenset())


def can(
    actor: Actor | None,
    action: Action,
    site_id: int | None = None,
    role: SiteRoleKind | None = None,
) -> bool:
    """May ``actor`` do ``action`` (at ``site_id``; for manage_authorisations, on a
    representative holding or receiving ``role``)?"""
    if actor is None:
        return False
    if action in PERSONAL_ACTIONS:
        return True
    if action in SITE_ACTIONS:
        if site_id is None:
            return False
        allowed = any(action in SITE_ROLE_ACTIONS[held] for held in actor.roles_at(site_id))
        if allowed and action is Action.MANAGE_AUTHORISATIONS and role is not None:
            # Decision: nobody but the utility makes or removes an owner; ITB 2: a
            # manager cannot remove owners.
            return role in GRANTABLE_ROLES
        return allowed
    return any(action in STAFF_ROLE_ACTIONS[held] for held in actor.staff_roles)


def acting_role(actor: Actor, action: Action, site_id: int | None = None) -> str:
    """The role under which ``actor`` does ``action``: the strongest that allows it."""
    if action in SITE_ACTIONS and site_id is not None:
        for held in (SiteRoleKind.OWNER, SiteRoleKind.MANAGER, SiteRoleKind.USER):
            if held in actor.roles_at(site_id) and action in SITE_ROLE_ACTIONS[held]:
                return held.value
    for staff in (StaffRoleKind.ADMIN, StaffRoleKind.CLERK, StaffRoleKind.INSPECTOR,
                  StaffRoleKind.COUNCIL):
        if staff in actor.staff_roles and action in STAFF_ROLE_ACTIONS[staff]:
            return staff.value
    return "self"


def permissions_table() -> str:
    """``docs/permissions.md``: role × action, generated from the rules above."""
    roles: list[tuple[str, Actor]] = [
        (f"{kind.value} (at the site)", Actor(person_id=0, site_roles={1: frozenset({kind})}))
        for kind in SiteRoleKind
    ]
    roles += [
        (f"{kind.value} (staff)", Actor(person_id=0, staff_roles=frozenset({kind})))
        for kind in StaffRoleKind
    ]
    roles.append(("any person logged in", Actor(person_id=0)))
    header = ["action", *(name for name, _ in roles)]
    lines = [
        "# Permissions",
        "",
        "Generated from `webapp/domain/permissions.py` by `flask permissions-doc`;",
        "a test fails when this file is stale. Site actions are asked of one site:",
        "a role grants them only at the site where it is held, while it is valid.",
        "Owners can be neither added nor removed through the portal (only by the",
        "utility), and a manager cannot remove an owner.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for action in Action:
        site = 1 if action in SITE_ACTIONS else None
        cells = ["yes" if can(actor, action, site) else "–" for _, actor in roles]
        lines.append(f"| {action.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
