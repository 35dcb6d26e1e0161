"""Who is logged in: server-side login sessions bound to Flask-Login.

The cookie carries only the id of a ``LoginSession`` row. Every request loads
that row and the person's roles afresh, so logout (which ends the row) kills a
copied cookie, and a role removed by staff counts at the person's next request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import Flask, request, session
from flask_login import LoginManager, UserMixin, login_user, logout_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import LoginSession, Person, StaffRole, StaffRoleKind
from webapp.models.base import utcnow


@dataclass
class Principal(UserMixin):
    """The logged-in person for this request."""

    person: Person
    login_session: LoginSession
    staff_roles: frozenset[StaffRoleKind] = field(default_factory=frozenset)

    def get_id(self) -> str:
        return self.login_session.id

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_roles)

    def has_staff_role(self, *roles: StaffRoleKind) -> bool:
        return bool(self.staff_roles.intersection(roles))


def load_principal(login_session_id: str) -> Principal | None:
    login_session = db.session.get(LoginSession, login_session_id)
    if login_session is None or not login_session.is_active:
        return None
    person = login_session.person
    return Principal(person, login_session, staff_roles_of(person))


def staff_roles_of(person: Person) -> frozenset[StaffRoleKind]:
    roles = db.session.scalars(select(StaffRole.role).where(StaffRole.person_id == person.id))
    return frozenset(roles)


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself explains
    login_manager.session_protection = None  # the server-side session record decides
    login_manager.user_loader(load_principal)


@dataclass(frozen=True)
class EidIdentity:
    """What the identity provider told us about the person."""

    personal_code: str
    given_name: str
    family_name: str
    acr: str | None
    amr: tuple[str, ...]


def find_or_create_person(identity: EidIdentity) -> Person:
    person = db.session.scalar(
        select(Person).where(Person.personal_code == identity.personal_code)
    )
    if person is None:
        # A person the utility does not know yet: they may still apply for a contract.
        person = Person(
            personal_code=identity.personal_code,
            given_name=identity.given_name or "",
            family_name=identity.family_name or "",
        )
        db.session.add(person)
        db.session.flush()
    return person


def start_login_session(identity: EidIdentity) -> Principal:
    """Open a server-side session for the person and log them in (caller commits)."""
    person = find_or_create_person(identity)
    language = session.get("lang")
    session.clear()  # a fresh session: nothing from before login carries over
    if language:
        session["lang"] = language
    login_session = LoginSession(
        id=secrets.token_urlsafe(32),
        person_id=person.id,
        acr=identity.acr,
        amr=" ".join(identity.amr) or None,
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:255] or None,
    )
    db.session.add(login_session)
    db.session.flush()
    principal = Principal(person, login_session, staff_roles_of(person))
    login_user(principal)
    return principal


def end_login_session(principal: Principal) -> None:
    """End the server-side session record, then the cookie session (caller commits)."""
    principal.login_session.ended_at = utcnow()
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language

