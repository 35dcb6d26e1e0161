"""Authorisations (ITB 3): owners and managers add and remove representatives.

A representative is a person with a manager or user role at a site. Owners come
from the contract (DOMAIN.md, Decision) and are listed, never added or removed
here; ``can`` refuses an owner as the target of ``MANAGE_AUTHORISATIONS``.

The functions load, check with ``can``/``require``, write and audit; they flush
and leave the commit to the route, so a request writes everything or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.extensions import db
from webapp.models import (
    BoardMember,
    Customer,
    Person,
    ServiceContract,
    Site,
    SiteRole,
    SiteRoleKind,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services.access import actor_for_person, contract_in_force, require
from webapp.services.audit import record

# The same words as ``role_label`` in _macros.html, for messages made in Python.
ROLE_NAMES = {
    SiteRoleKind.OWNER: _l("owner"),
    SiteRoleKind.MANAGER: _l("manager"),
    SiteRoleKind.USER: _l("user"),
}
ROLE_ORDER = {SiteRoleKind.OWNER: 0, SiteRoleKind.MANAGER: 1, SiteRoleKind.USER: 2}


def manageable_sites(actor: Actor) -> list[Site]:
    """The sites where ``actor`` may add and remove representatives, by address."""
    site_ids = [
        site_id
        for site_id in actor.site_roles
        if can(actor, Action.MANAGE_AUTHORISATIONS, site_id)
    ]
    return _sites(site_ids)


def _sites(site_ids: Sequence[int]) -> list[Site]:
    if not site_ids:
        return []
    query = select(Site).where(Site.id.in_(site_ids)).order_by(Site.address, Site.code)
    return list(db.session.scalars(query))


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class Representative:
    """One line of a site's list: a stored role, or an owner by the contract."""

    role_id: int | None  # None: an owner by the contract, with no stored role
    person_id: int
    name: str
    personal_code: str
    role: SiteRoleKind
    valid_from: dt.date
    valid_until: dt.date | None
    given_by: str | None  # None: by the utility (contracts, imported roles)
    removable: bool
    is_you: bool
    starts_later: bool


@dataclass(frozen=True)
class SiteRepresentatives:
    site: Site
    representatives: tuple[Representative, ...]


def representatives_at(
    actor: Actor, sites: Sequence[Site], today: dt.date
) -> list[SiteRepresentatives]:
    """For each site (which ``actor`` manages), the roles in force or starting later."""
    for site in sites:
        if not can(actor, Action.MANAGE_AUTHORISATIONS, site.id):
            abort(404)
    site_ids = [site.id for site in sites]
    stored = db.session.scalars(
        select(SiteRole)
        .where(
            SiteRole.site_id.in_(site_ids),
            SiteRole.revoked_at.is_(None),
            or_(SiteRole.valid_until.is_(None), SiteRole.valid_until >= today),
        )
        .options(selectinload(SiteRole.person), selectinload(SiteRole.given_by))
    ).all()
    by_site: dict[int, list[Representative]] = defaultdict(list)
    owners_listed: set[tuple[int, int]] = set()
    for role in stored:
        by_site[role.site_id].append(_representative(actor, role, today))
        if role.role is SiteRoleKind.OWNER:
            owners_listed.add((role.site_id, role.person_id))
    for site_id, person, start, end in contract_owners(site_ids, today):
        if (site_id, person.id) in owners_listed:
            continue
        owners_listed.add((site_id, person.id))
        by_site[site_id].append(
            Representative(
                role_id=None,
                person_id=person.id,
                name=person.full_name,
                personal_code=person.personal_code,
                role=SiteRoleKind.OWNER,
                valid_from=start,
                valid_until=end,
                given_by=None,
                removable=False,
                is_you=person.id == actor.person_id,
                starts_later=start > today,
            )
        )
    return [
        SiteRepresentatives(
            site=site,
            representatives=tuple(
                sorted(
                    by_site[site.id],
                    key=lambda r: (ROLE_ORDER[r.role], r.name.casefold(), r.valid_from),
                )
            ),
        )
        for site in sites
    ]


def _representative(actor: Actor, role: SiteRole, today: dt.date) -> Representative:
    return Representative(
        role_id=role.id,
        person_id=role.person_id,
        name=role.person.full_name,
        personal_code=role.person.personal_code,
        role=role.role,
        valid_from=role.valid_from,
        valid_until=role.valid_until,
        given_by=role.given_by.full_name if role.given_by else None,
        removable=may_remove(actor, role),
        is_you=role.person_id == actor.person_id,
        starts_later=role.valid_from > today,
    )


def contract_owners(
    site_ids: Iterable[int], on: dt.date
) -> list[tuple[int, Person, dt.date, dt.date | None]]:
    """(site id, owner, contract start, contract end) by the contracts in force on ``on``:
    the customer, or each board member of a company customer (as ``access`` decides)."""
    contracts = (
        select(
            contract_site.c.site_id,
            Customer.person_id,
            Customer.company_id,
            ServiceContract.start_date,
            ServiceContract.end_date,
        )
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .join(Customer, Customer.id == ServiceContract.customer_id)
        .where(
            contract_site.c.site_id.in_(list(site_ids)),
            contract_in_force(on),
        )
    )
    rows = db.session.execute(contracts).all()
    company_ids = {row.company_id for row in rows if row.company_id is not None}
    board: dict[int, list[int]] = defaultdict(list)
    if company_ids:
        for company_id, person_id in db.session.execute(
            select(BoardMember.company_id, BoardMember.person_id).where(
                BoardMember.company_id.in_(company_ids)
            )
        ):
            board[company_id].append(person_id)
    person_ids = {row.person_id for row in rows if row.person_id is not None}
    person_ids.update(pid for members in board.values() for pid in members)
    persons = {
        person.id: person
        for person in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))
    } if person_ids else {}
    owners = []
    for row in rows:
        ids = [row.person_id] if row.person_id is not None else board.get(row.company_id, [])
        for person_id in ids:
            owners.append((row.site_id, persons[person_id], row.start_date, row.end_date))
    return owners


# --------------------------------------------------------------------------- removing


def may_remove(actor: Actor, role: SiteRole) -> bool:
    """Whether ``actor`` may remove this stored role.

    Decision: nobody removes their own role here. It keeps a manager from locking
    themselves out by a slip, and ITB 3 speaks of removing *representatives*, i.e.
    others; a person who wants to give up a role asks whoever gave it.
    Owners are never removable (``can`` refuses an owner as the target).
    """
    return (
        role.revoked_at is None
        and role.person_id != actor.person_id
        and can(actor, Action.MANAGE_AUTHORISATIONS, role.site_id, role.role)
    )


def role_to_remove(role_id: int, today: dt.date) -> tuple[Actor, SiteRole]:
    """The stored role the current person may remove, or 404.

    404 alike for a role that does not exist, is already removed or over, is at a
    site the person does not manage, is an owner's, or is the person's own: nobody
    learns of a role they may not touch.
    """
    role = db.session.get(SiteRole, role_id)
    if role is None or role.revoked_at is not None:
        abort(404)
    if role.valid_until is not None and role.valid_until < today:
        abort(404)  # over by itself: nothing left to remove
    actor = require(Action.MANAGE_AUTHORISATIONS, site_id=role.site_id, role=role.role)
    if not may_remove(actor, role):
        abort(404)
    return actor, role


def remove_representative(actor: Actor, role: SiteRole) -> None:
    """End the role now (the row stays as history) and audit it; flush only.

    It counts from the person's next request: ``access`` loads roles per request.
    """
    if not may_remove(actor, role):
        abort(404)
    role.revoked_at = utcnow()
    role.revoked_by_id = actor.person_id
    record(
        "remove_representative",
        "site_role",
        role.id,
        acting_as=acting_role(actor, Action.MANAGE_AUTHORISATIONS, role.site_id),
        subject_person_id=role.person_id,
        actor_id=actor.person_id,
        before=_audit_state(role),
    )
    db.session.flush()


def _audit_state(role: SiteRole) -> dict[str, object]:
    return {
        "site": role.site.code,
        "role": role.role,
        "valid_from": role.valid_from,
        "valid_until": role.valid_until,
    }


# --------------------------------------------------------------------------- adding


@dataclass(frozen=True)
class NewRepresentative:
    """What the "Add representative" form asks (ITB 3), already well-formed."""

    personal_code: str  # valid (``clean_personal_code``)
    given_name: str
    family_name: str
    role: SiteRoleKind
    valid_from: dt.date
    valid_until: dt.date | None
    site_ids: tuple[int, ...]


@dataclass(frozen=True)
class Problem:
    field: str  # the form field the message belongs beside
    message: str


class InvalidRepresentative(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Added:
    person: Person
    role: SiteRoleKind
    sites: tuple[Site, ...]
    roles: tuple[SiteRole, ...]


def add_representative(actor: Actor, new: NewRepresentative, today: dt.date) -> Added:
    """Give ``new.role`` to the person at each chosen site, one role and one audit event
    per site; raise ``InvalidRepresentative`` (having written nothing) on any problem."""
    sites = _sites_to_manage(actor, new)
    problems = _date_problems(new, today)
    if not sites:
        problems.append(Problem("sites", _("Choose at least one site.")))
    person = db.session.scalar(select(Person).where(Person.personal_code == new.personal_code))
    if person is not None and person.id == actor.person_id:
        problems.append(Problem("personal_code", _("You cannot give a role to yourself.")))
    elif person is not None and sites and not problems:
        problems += _role_problems(person, new, sites, today)
    if problems:
        raise InvalidRepresentative(problems)

    if person is None:
        # Decision: a person the utility does not know yet is made from the names the
        # authoriser typed; their first eID login finds them by the personal code. A
        # known person keeps the name on record (the form cannot rename anybody).
        person = Person(
            personal_code=new.personal_code,
            given_name=new.given_name.strip(),
            family_name=new.family_name.strip(),
        )
        db.session.add(person)
        db.session.flush()
    roles = []
    for site in sites:
        role = SiteRole(
            site_id=site.id,
            person_id=person.id,
            role=new.role,
            valid_from=new.valid_from,
            valid_until=new.valid_until,
            given_by_id=actor.person_id,
        )
        role.site = site
        db.session.add(role)
        db.session.flush()
        record(
            "add_representative",
            "site_role",
            role.id,
            acting_as=acting_role(actor, Action.MANAGE_AUTHORISATIONS, site.id),
            subject_person_id=person.id,
            actor_id=actor.person_id,
            after=_audit_state(role),
        )
        roles.append(role)
    db.session.flush()
    return Added(person=person, role=new.role, sites=tuple(sites), roles=tuple(roles))


def _sites_to_manage(actor: Actor, new: NewRepresentative) -> list[Site]:
    """The chosen sites; 404 for one the actor may not give this role at.

    The form offers only the actor's own sites, so this refuses only a forged request.
    """
    site_ids = sorted(set(new.site_ids))
    for site_id in site_ids:
        if not can(actor, Action.MANAGE_AUTHORISATIONS, site_id, new.role):
            abort(404)
    return _sites(site_ids)


def _date_problems(new: NewRepresentative, today: dt.date) -> list[Problem]:
    problems = []
    if new.valid_from < today:
        problems.append(Problem("valid_from", _("The start date cannot be in the past.")))
    if new.valid_until is not None and new.valid_until < new.valid_from:
        problems.append(
            Problem("valid_until", _("The end date cannot be before the start date."))
        )
    return problems


def _role_problems(
    person: Person, new: NewRepresentative, sites: Sequence[Site], today: dt.date
) -> list[Problem]:
    """A known person who already has this role then, or owns the site, gets no new row."""
    problems = []
    owned = {
        site_id
        for site_id, kinds in actor_for_person(person, on=today).site_roles.items()
        if SiteRoleKind.OWNER in kinds
    }
    existing = db.session.scalars(
        select(SiteRole).where(
            SiteRole.person_id == person.id,
            SiteRole.site_id.in_([site.id for site in sites]),
            SiteRole.role == new.role,
        )
    ).all()
    role_name = ROLE_NAMES[new.role]
    for site in sites:
        if site.id in owned:
            # ITB 2: a manager cannot demote an owner, and owners come from the contract.
            problems.append(Problem("sites", _(
                "%(name)s is an owner of %(address)s.",
                name=person.full_name, address=site.address)))
            continue
        for role in existing:
            if role.site_id != site.id:
                continue
            if role.revoked_at is None and _overlaps(role, new):
                problems.append(Problem("sites", _(
                    "%(name)s already has the role of %(role)s at %(address)s "
                    "for some of these dates.",
                    name=person.full_name, role=role_name, address=site.address)))
                break
            if role.revoked_at is not None and role.valid_from == new.valid_from:
                # The stored role's natural key is (site, person, role, start date).
                problems.append(Problem("valid_from", _(
                    "The role of %(role)s at %(address)s with this start date was removed "
                    "earlier; choose a later start date.",
                    role=role_name, address=site.address)))
                break
    return problems


def _overlaps(role: SiteRole, new: NewRepresentative) -> bool:
    starts_before_new_ends = new.valid_until is None or role.valid_from <= new.valid_until
    ends_after_new_starts = role.valid_until is None or role.valid_until >= new.valid_from
    return starts_before_new_ends and ends_after_new_starts
