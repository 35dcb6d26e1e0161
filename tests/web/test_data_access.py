"""Each person sees which staff member looked at their data, when and why."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError

from tests.conftest import CLERK, JAAN, MARI
from webapp.extensions import db
from webapp.models import AuditEvent, Person
from webapp.services.audit import record

Login = Callable[[str], FlaskClient]


def person_id(code: str) -> int:
    return db.session.scalar(select(Person.id).where(Person.personal_code == code))


def test_the_page_is_empty_at_first(login: Login) -> None:
    page = login(MARI).get("/my/data-access").get_data(as_text=True)
    assert "Liis Lepp" not in page
    assert 'class="empty"' in page


def test_a_staff_read_shows_with_name_and_purpose_to_that_person_only(login: Login) -> None:
    record("view_customer_card", "customer", 1, acting_as="clerk",
           subject_person_id=person_id(MARI), purpose="phone call",
           actor_id=person_id(CLERK))
    record("enter_reading", "reading", 7, acting_as="self", subject_person_id=person_id(MARI),
           actor_id=person_id(MARI))
    db.session.commit()
    page = login(MARI).get("/my/data-access").get_data(as_text=True)
    assert "Liis Lepp" in page
    assert "phone call" in page
    assert page.count("<tr>") == 2  # header and the one staff event; her own is not listed
    assert "Liis Lepp" not in login(JAAN).get("/my/data-access").get_data(as_text=True)


def test_the_page_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/my/data-access").status_code == 302


def test_the_audit_trail_cannot_be_changed_or_deleted(app: object, demo: None) -> None:
    event = record("view_customer_card", "customer", 1, acting_as="clerk",
                   actor_id=person_id(CLERK))
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(db.update(AuditEvent).values(purpose="tampered"))
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(db.delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).purpose is None
