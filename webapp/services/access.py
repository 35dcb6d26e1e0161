"""Builds the permission module's ``Actor`` for the person logged in, and asks it.

Roles come from two places: site roles given through the portal or by the
utility, and ownership derived from the contracts in force (the customer, or
a board member of a company customer, is the owner of the contract's sites).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from flask import abort, g
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, or_, select

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import (
    BoardMember,
    ContractStatus,
    Customer,
    Person,
    ServiceContract,
    SiteRole,
    SiteRoleKind,
    contract_site,
)
from webapp.services.auth import Principal

TALLINN = ZoneInfo("Europe/Tallinn")


def today_in_tallinn() -> dt.date:
    return dt.datetime.now(TALLINN).date()


def active_site_roles(person_id: int, on: dt.date) -> list[SiteRole]:
    """Site roles in force on ``on``: not revoked, inside their validity dates."""
    return list(
        db.session.scalars(
            select(SiteRole).where(
                SiteRole.person_id == person_id,
                SiteRole.revoked_at.is_(None),
                SiteRole.valid_from <= on,
                or_(SiteRole.valid_until.is_(None), SiteRole.valid_until >= on),
            )
        )
    )


def contract_in_force(on: dt.date) -> ColumnElement[bool]:
    """SQL: the service contract is in force on ``on`` (``ServiceContract.is_in_force``)."""
    return and_(
        ServiceContract.status != ContractStatus.ENDED,
        ServiceContract.start_date <= on,
        or_(ServiceContract.end_date.is_(None), ServiceContract.end_date >= on),
    )


def contract_owned_sites(person_id: int, on: dt.date) -> set[int]:
    """Sites of contracts in force whose customer is the person or a company they lead."""
    led_companies = select(BoardMember.company_id).where(BoardMember.person_id == person_id)
    rows = db.session.scalars(
        select(contract_site.c.site_id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .join(Customer, Customer.id == ServiceContract.customer_id)
        .where(
            or_(Customer.person_id == person_id, Customer.company_id.in_(led_companies)),
            contract_in_force(on),
        )
    )
    return set(rows)


def actor_for(principal: Principal | None, on: dt.date | None = None) -> Actor | None:
    if principal is None or not principal.is_authenticated:
        return None
    return actor_for_person(principal.person, principal.staff_roles, on)


def actor_for_person(
    person: Person, staff_roles: frozenset[object] = frozenset(), on: dt.date | None = None
) -> Actor:
    on = on or today_in_tallinn()
    roles: dict[int, set[SiteRoleKind]] = defaultdict(set)
    for role in active_site_roles(person.id, on):
        roles[role.site_id].add(role.role)
    for site_id in contract_owned_sites(person.id, on):
        roles[site_id].add(SiteRoleKind.OWNER)
    return Actor(
        person_id=person.id,
        staff_roles=frozenset(staff_roles),  # type: ignore[arg-type]
        site_roles={site_id: frozenset(kinds) for site_id, kinds in roles.items()},
    )


def current_actor() -> Actor | None:
    """The current person's roles, loaded once per request."""
    if not current_user.is_authenticated:
        return None
    if "actor" not in g:
        g.actor = actor_for(current_user._get_current_object())  # type: ignore[attr-defined]
    return g.actor  # type: ignore[no-any-return]


def logged_in_actor() -> Actor:
    """The current person's roles; 404 without a login (the routes ask login first)."""
    actor = current_actor()
    if actor is None:
        abort(404)
    return actor


def require(
    action: Action, site_id: int | None = None, role: SiteRoleKind | None = None
) -> Actor:
    """Abort with 404 unless the current person may do ``action``.

    404, not 403: a person must not learn that an object they may not see exists.
    """
    actor = current_actor()
    if actor is None or not can(actor, action, site_id, role):
        abort(404)
    return actor


def sites_where(actor: Actor, action: Action) -> list[int]:
    return sorted(site_id for site_id in actor.site_roles if can(actor, action, site_id))
