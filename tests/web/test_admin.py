"""Staff administration: staff roles, utility settings and prices, the audit trail.

Only administrators reach these pages; every change is audited; invalid input
writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import ADMIN, CLERK, INSPECTOR, JAAN, KATI, MARI, csrf_token_from
from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Person,
    Price,
    PriceKind,
    StaffRole,
    StaffRoleKind,
    Utility,
    VatRate,
)
from webapp.services import admin as admin_service
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]

ROLES_URL = "/staff/admin/staff-roles"
SETTINGS_URL = "/staff/admin/settings"
PRICES_URL = "/staff/admin/prices"
AUDIT_URL = "/staff/admin/audit"
VAT_URL = "/staff/admin/vat-rates"
BILLING_URL = "/staff/admin/billing"
# The demo's billing settings, as the form shows them.
BILLING_FORM = {
    "late_interest_percent": "0.1", "invoice_due_days": "14", "resident_norm_m3": "3",
    "iban": "EE382200221020145685", "bic": "HABAEE2X", "vat_number": "EE101987653",
    "address": "Tallinna tn 10, Kuressaare, 93819 Saare maakond",
}
UNKNOWN_CODE = "39102030403"  # a valid personal code nobody in the demo has


# --------------------------------------------------------------------------- helpers


def person_id(code: str) -> int:
    return db.session.scalar(select(Person.id).where(Person.personal_code == code))


def staff_role(code: str, role: StaffRoleKind) -> StaffRole | None:
    return db.session.scalar(
        select(StaffRole).join(Person).where(Person.personal_code == code, StaffRole.role == role)
    )


def audit_count(action: str | None = None) -> int:
    query = select(func.count(AuditEvent.id))
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return int(db.session.scalar(query))


def last_audit(action: str) -> AuditEvent:
    db.session.expire_all()
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )
    assert event is not None, f"no {action} event"
    return event


def utility() -> Utility:
    db.session.expire_all()
    return db.session.scalar(select(Utility).order_by(Utility.id))


def prices(kind: PriceKind, variant: str = "") -> list[tuple[Decimal, dt.date, dt.date | None]]:
    """The prices of one kind and variant ("": every group or size), oldest first."""
    db.session.expire_all()
    return [
        (price.unit_price, price.valid_from, price.valid_until)
        for price in db.session.scalars(
            select(Price).where(Price.kind == kind, Price.variant == variant)
            .order_by(Price.valid_from)
        )
    ]


def vat_rates() -> list[tuple[Decimal, dt.date]]:
    db.session.expire_all()
    return [(rate.rate_percent, rate.valid_from)
            for rate in db.session.scalars(select(VatRate).order_by(VatRate.valid_from))]


def in_english(client: FlaskClient) -> FlaskClient:
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def post(client: FlaskClient, page: str, url: str, data: dict[str, Any]) -> Any:
    """Send a form as a browser would: the CSRF token from the page it is on."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def flashes(client: FlaskClient, response: Any) -> str:
    """The page a redirect after POST leads to (where the flash is shown)."""
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def day(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


@pytest.fixture
def anne(login: Login) -> FlaskClient:
    """The administrator (Anne Allikas), reading the pages in English."""
    return in_english(login(ADMIN))


@pytest.fixture
def today(app: Flask) -> dt.date:
    return today_in_tallinn()


# --------------------------------------------------------------------------- who gets in

PAGES = [ROLES_URL, SETTINGS_URL, AUDIT_URL]


@pytest.mark.parametrize("code", [CLERK, INSPECTOR, MARI, KATI])
@pytest.mark.parametrize("url", PAGES)
def test_only_administrators_see_the_pages(login: Login, code: str, url: str) -> None:
    assert login(code).get(url).status_code == 404


@pytest.mark.parametrize("code", [CLERK, INSPECTOR, MARI])
def test_others_cannot_see_the_removal_page(login: Login, code: str) -> None:
    role = staff_role(INSPECTOR, StaffRoleKind.INSPECTOR)
    assert login(code).get(f"{ROLES_URL}/{role.id}/remove").status_code == 404


@pytest.mark.parametrize("url", [*PAGES, f"{ROLES_URL}/1/remove"])
def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, demo: None,
                                               url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", PAGES)
def test_the_administrator_sees_the_pages(anne: FlaskClient, url: str) -> None:
    assert anne.get(url).status_code == 200


@pytest.mark.parametrize("code", [CLERK, INSPECTOR, MARI])
def test_others_cannot_change_anything(login: Login, code: str, today: dt.date) -> None:
    client = login(code)
    token = csrf_token_from(client.get("/rules").get_data(as_text=True))
    inspector_role = staff_role(INSPECTOR, StaffRoleKind.INSPECTOR)
    attempts = [
        (ROLES_URL, {"personal_code": code, "role": "admin"}),
        (f"{ROLES_URL}/{inspector_role.id}/remove", {}),
        (SETTINGS_URL, {"meter_threshold": "9", "site_threshold": "9"}),
        (PRICES_URL, {"kind": "water", "unit_price": "0.1",
                      "valid_from": (today + dt.timedelta(days=5)).isoformat()}),
        (VAT_URL, {"vat_rate": "30", "vat_valid_from": (today + dt.timedelta(days=5)).isoformat()}),
        (BILLING_URL, {**BILLING_FORM, "invoice_due_days": "30"}),
    ]
    for url, data in attempts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404
    assert staff_role(code, StaffRoleKind.ADMIN) is None
    assert staff_role(INSPECTOR, StaffRoleKind.INSPECTOR) is not None
    assert utility().mass_view_meter_threshold == 4
    assert len(prices(PriceKind.WATER)) == 2
    assert len(vat_rates()) == 2
    assert utility().invoice_due_days == 14
    assert audit_count() == 0


# --------------------------------------------------------------------------- staff roles


def test_the_list_shows_every_staff_member_and_role(anne: FlaskClient) -> None:
    page = anne.get(ROLES_URL).get_data(as_text=True)
    for name in ("Liis Lepp", "Toomas Tuul", "Anne Allikas", "Kadri Kuusk"):
        assert name in page
    for label in ("clerk", "inspector", "administrator", "council member"):
        assert label in page
    assert "Mari Maasikas" not in page
    # Her own administrator role has no removal link; the others have one each.
    assert page.count("/remove") == 3


def test_a_role_is_given_to_a_known_person_and_audited(anne: FlaskClient, login: Login) -> None:
    response = post(anne, ROLES_URL, ROLES_URL, {"personal_code": MARI, "role": "clerk"})
    assert "Mari Maasikas now has the role clerk." in flashes(anne, response)
    role = staff_role(MARI, StaffRoleKind.CLERK)
    assert role is not None
    event = last_audit("grant_staff_role")
    assert event.actor_id == person_id(ADMIN)
    assert event.acting_as == "admin"
    assert event.subject_person_id == person_id(MARI)
    assert (event.object_type, event.object_id) == ("staff_role", str(role.id))
    assert event.before == {"roles": []}
    assert event.after == {"roles": ["clerk"]}
    assert login(MARI).get("/staff/").status_code == 200


def test_a_second_role_keeps_the_first(anne: FlaskClient) -> None:
    post(anne, ROLES_URL, ROLES_URL, {"personal_code": CLERK, "role": "inspector"})
    event = last_audit("grant_staff_role")
    assert event.before == {"roles": ["clerk"]}
    assert event.after == {"roles": ["clerk", "inspector"]}


def test_an_unknown_person_needs_both_names(anne: FlaskClient) -> None:
    response = post(anne, ROLES_URL, ROLES_URL,
                    {"personal_code": UNKNOWN_CODE, "role": "inspector", "given_name": "Uku"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not known to the portal yet" in page
    assert 'id="family_name-error"' in page
    assert 'id="given_name-error"' not in page
    assert person_id(UNKNOWN_CODE) is None
    assert audit_count() == 0


def test_an_unknown_person_is_added_with_the_role(anne: FlaskClient) -> None:
    response = post(anne, ROLES_URL, ROLES_URL, {
        "personal_code": f" {UNKNOWN_CODE} ", "role": "inspector",
        "given_name": " Uku ", "family_name": "Uus",
    })
    assert response.status_code == 303
    person = db.session.get(Person, person_id(UNKNOWN_CODE))
    assert (person.given_name, person.family_name) == ("Uku", "Uus")
    assert staff_role(UNKNOWN_CODE, StaffRoleKind.INSPECTOR) is not None
    event = last_audit("grant_staff_role")
    assert event.subject_person_id == person.id
    assert event.after == {"roles": ["inspector"],
                           "new_person": {"given_name": "Uku", "family_name": "Uus"}}


def test_the_names_of_a_known_person_are_not_changed(anne: FlaskClient) -> None:
    post(anne, ROLES_URL, ROLES_URL,
         {"personal_code": MARI, "role": "clerk", "given_name": "X", "family_name": "Y"})
    person = db.session.get(Person, person_id(MARI))
    db.session.refresh(person)
    assert person.full_name == "Mari Maasikas"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"personal_code": "48001010218", "role": "clerk"}, "Enter a valid Estonian personal"),
        ({"personal_code": "4800101021", "role": "clerk"}, "Enter a valid Estonian personal"),
        ({"personal_code": "", "role": "clerk"}, "Enter the personal identification code."),
        ({"personal_code": MARI, "role": "owner"}, "Not a valid choice"),
        ({"personal_code": CLERK, "role": "clerk"}, "Liis Lepp already has the role clerk."),
        ({"personal_code": MARI, "role": "clerk", "given_name": "x" * 101}, "100"),
    ],
)
def test_an_invalid_grant_writes_nothing(anne: FlaskClient, data: dict[str, str],
                                         message: str) -> None:
    roles_before = db.session.scalar(select(func.count(StaffRole.id)))
    response = post(anne, ROLES_URL, ROLES_URL, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StaffRole.id))) == roles_before
    assert audit_count() == 0


def test_removing_a_role_asks_first_and_counts_at_the_next_request(
    anne: FlaskClient, login: Login
) -> None:
    clerk = login(CLERK)
    assert clerk.get("/staff/").status_code == 200
    role_id = staff_role(CLERK, StaffRoleKind.CLERK).id
    url = f"{ROLES_URL}/{role_id}/remove"
    confirm = anne.get(url).get_data(as_text=True)
    assert "Remove the role clerk from Liis Lepp?" in confirm
    assert 'method="post"' in confirm
    assert staff_role(CLERK, StaffRoleKind.CLERK) is not None  # asking removes nothing
    response = post(anne, url, url, {})
    assert "The role clerk of Liis Lepp was removed." in flashes(anne, response)
    assert staff_role(CLERK, StaffRoleKind.CLERK) is None
    event = last_audit("revoke_staff_role")
    assert event.subject_person_id == person_id(CLERK)
    assert (event.object_type, event.object_id) == ("staff_role", str(role_id))
    assert event.before == {"roles": ["clerk"]}
    assert event.after == {"roles": []}
    assert event.acting_as == "admin"
    # Her session is still open; the role is gone at her next request.
    assert clerk.get("/staff/").status_code == 404


def test_a_removed_role_can_be_given_again(anne: FlaskClient) -> None:
    role = staff_role(INSPECTOR, StaffRoleKind.INSPECTOR)
    url = f"{ROLES_URL}/{role.id}/remove"
    post(anne, url, url, {})
    response = post(anne, ROLES_URL, ROLES_URL, {"personal_code": INSPECTOR, "role": "inspector"})
    assert response.status_code == 303
    assert staff_role(INSPECTOR, StaffRoleKind.INSPECTOR) is not None


def test_removal_needs_the_csrf_token(anne: FlaskClient) -> None:
    role = staff_role(CLERK, StaffRoleKind.CLERK)
    response = anne.post(f"{ROLES_URL}/{role.id}/remove")
    assert response.status_code == 400
    assert staff_role(CLERK, StaffRoleKind.CLERK) is not None


def test_an_unknown_role_is_not_found(anne: FlaskClient) -> None:
    assert anne.get(f"{ROLES_URL}/999999/remove").status_code == 404


def test_an_administrator_cannot_remove_their_own_administrator_role(anne: FlaskClient) -> None:
    role = staff_role(ADMIN, StaffRoleKind.ADMIN)
    url = f"{ROLES_URL}/{role.id}/remove"
    confirm = anne.get(url).get_data(as_text=True)
    assert "You cannot remove your own administrator role" in confirm
    assert "Remove the role</button>" not in confirm
    response = post(anne, url, url, {})
    assert "You cannot remove your own administrator role" in flashes(anne, response)
    assert staff_role(ADMIN, StaffRoleKind.ADMIN) is not None
    assert audit_count() == 0


def test_an_administrator_may_remove_their_own_other_roles(anne: FlaskClient) -> None:
    post(anne, ROLES_URL, ROLES_URL, {"personal_code": ADMIN, "role": "clerk"})
    role = staff_role(ADMIN, StaffRoleKind.CLERK)
    url = f"{ROLES_URL}/{role.id}/remove"
    assert post(anne, url, url, {}).status_code == 303
    assert staff_role(ADMIN, StaffRoleKind.CLERK) is None


def test_another_administrators_role_can_be_removed(anne: FlaskClient, login: Login) -> None:
    post(anne, ROLES_URL, ROLES_URL, {"personal_code": JAAN, "role": "admin"})
    jaan = login(JAAN)
    assert jaan.get(ROLES_URL).status_code == 200
    role = staff_role(JAAN, StaffRoleKind.ADMIN)
    url = f"{ROLES_URL}/{role.id}/remove"
    assert post(anne, url, url, {}).status_code == 303
    assert jaan.get(ROLES_URL).status_code == 404


def test_the_last_administrator_stays(app: Flask, demo: None) -> None:
    # Only reachable when the remover is not (or no longer) an administrator in the
    # database, e.g. two administrators removing each other at the same moment.
    role = staff_role(ADMIN, StaffRoleKind.ADMIN)
    stale = Actor(person_id=person_id(MARI), staff_roles=frozenset({StaffRoleKind.ADMIN}))
    with app.test_request_context(), pytest.raises(admin_service.AdminRefusal,
                                                    match="last administrator"):
        admin_service.revoke_staff_role(stale, role)
    db.session.rollback()
    assert staff_role(ADMIN, StaffRoleKind.ADMIN) is not None
    assert audit_count() == 0


def test_two_administrators_removing_each_other_leave_one(app: Flask, demo: None) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite lets one writer in at a time)")
    db.session.add(StaffRole(person_id=person_id(JAAN), role=StaffRoleKind.ADMIN))
    db.session.commit()
    admins = frozenset({StaffRoleKind.ADMIN})
    anne = Actor(person_id=person_id(ADMIN), staff_roles=admins)
    jaan = Actor(person_id=person_id(JAAN), staff_roles=admins)
    annes_role_id = staff_role(ADMIN, StaffRoleKind.ADMIN).id
    outcome: list[object] = []

    def jaan_removes_anne() -> None:
        with app.test_request_context():
            try:
                admin_service.revoke_staff_role(jaan, db.session.get(StaffRole, annes_role_id))
                db.session.commit()
                outcome.append("removed")
            except admin_service.AdminRefusal as refusal:
                db.session.rollback()
                outcome.append(refusal.message)

    with app.test_request_context():
        admin_service.revoke_staff_role(anne, staff_role(JAAN, StaffRoleKind.ADMIN))
        other = threading.Thread(target=jaan_removes_anne)
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()  # waiting for Anne's transaction
        db.session.commit()
    other.join(timeout=10)
    assert len(outcome) == 1
    assert "last administrator" in str(outcome[0])
    assert staff_role(ADMIN, StaffRoleKind.ADMIN) is not None
    assert staff_role(JAAN, StaffRoleKind.ADMIN) is None


def test_removal_refusals_are_decided_by_one_function(app: Flask, demo: None) -> None:
    role = staff_role(ADMIN, StaffRoleKind.ADMIN)
    anne = Actor(person_id=person_id(ADMIN), staff_roles=frozenset({StaffRoleKind.ADMIN}))
    other = Actor(person_id=person_id(MARI), staff_roles=frozenset({StaffRoleKind.ADMIN}))
    with app.test_request_context():
        assert "own" in admin_service.removal_refusal(anne, role, other_admins=5)
        assert "last" in admin_service.removal_refusal(other, role, other_admins=0)
        assert admin_service.removal_refusal(other, role, other_admins=1) is None
        clerk_role = staff_role(CLERK, StaffRoleKind.CLERK)
        assert admin_service.removal_refusal(anne, clerk_role, other_admins=0) is None


# --------------------------------------------------------------------------- thresholds


def test_the_settings_page_shows_thresholds_and_prices(anne: FlaskClient) -> None:
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    assert re.search(r'name="meter_threshold"[^>]*value="4"', page)
    assert re.search(r'name="site_threshold"[^>]*value="3"', page)
    assert "1.3100" in page  # the water price in force, four decimals
    assert "01.07.2025" in page
    assert "until further notice" in page


def test_thresholds_are_saved_and_audited(anne: FlaskClient) -> None:
    response = post(anne, SETTINGS_URL, SETTINGS_URL,
                    {"meter_threshold": "10", "site_threshold": "1000"})
    assert "The settings were saved." in flashes(anne, response)
    assert (utility().mass_view_meter_threshold, utility().mass_view_site_threshold) == (10, 1000)
    event = last_audit("change_settings")
    assert event.before == {"mass_view_meter_threshold": 4, "mass_view_site_threshold": 3}
    assert event.after == {"mass_view_meter_threshold": 10, "mass_view_site_threshold": 1000}
    assert (event.object_type, event.acting_as) == ("utility", "admin")
    assert event.subject_person_id is None


def test_saving_the_same_thresholds_records_nothing(anne: FlaskClient) -> None:
    response = post(anne, SETTINGS_URL, SETTINGS_URL, {"meter_threshold": "4",
                                                       "site_threshold": "3"})
    assert "Nothing was changed." in flashes(anne, response)
    assert audit_count() == 0


@pytest.mark.parametrize(
    ("meters", "sites", "message"),
    [
        ("0", "3", "Enter a whole number from 1 to 1000."),
        ("1001", "3", "Enter a whole number from 1 to 1000."),
        ("abc", "3", "Enter a whole number from 1 to 1000."),
        ("4", "2.5", "Enter a whole number from 1 to 1000."),
        ("4", "-1", "Enter a whole number from 1 to 1000."),
        ("", "3", "Enter a number."),
    ],
)
def test_invalid_thresholds_write_nothing(anne: FlaskClient, meters: str, sites: str,
                                          message: str) -> None:
    response = post(anne, SETTINGS_URL, SETTINGS_URL,
                    {"meter_threshold": meters, "site_threshold": sites})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count(message) == 2  # in the summary and beside the field, once each
    assert (utility().mass_view_meter_threshold, utility().mass_view_site_threshold) == (4, 3)
    assert audit_count() == 0


def test_without_a_utility_the_page_says_data_must_be_loaded(anne: FlaskClient) -> None:
    db.session.delete(utility())
    db.session.commit()
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    assert "must be loaded first" in page
    response = post(anne, ROLES_URL, SETTINGS_URL, {"meter_threshold": "5",
                                                    "site_threshold": "5"})
    assert response.status_code == 404
    assert audit_count() == 0


# --------------------------------------------------------------------------- prices


def add_price(client: FlaskClient, **data: Any) -> Any:
    form = {key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in data.items()}
    form.setdefault("valid_until", "")
    return post(client, SETTINGS_URL, PRICES_URL, form)


def test_a_new_price_ends_the_open_ended_one_the_day_before(anne: FlaskClient,
                                                            today: dt.date) -> None:
    start = today + dt.timedelta(days=10)
    response = add_price(anne, kind="water", unit_price="1,4567", valid_from=start)
    page = flashes(anne, response)
    assert "The price was added" in page
    assert f"it now ends on {day(start - dt.timedelta(days=1))}" in page
    assert prices(PriceKind.WATER)[-2:] == [
        (Decimal("1.3100"), dt.date(2025, 7, 1), start - dt.timedelta(days=1)),
        (Decimal("1.4567"), start, None),
    ]
    assert prices(PriceKind.SEWER)[-1][2] is None  # the other kind is left alone
    event = last_audit("add_price")
    added = db.session.scalar(select(Price).where(Price.valid_from == start))
    assert (event.object_type, event.object_id, event.acting_as) == (
        "price", str(added.id), "admin")
    closed_id = db.session.scalar(select(Price.id).where(Price.kind == PriceKind.WATER,
                                                         Price.valid_from == dt.date(2025, 7, 1)))
    assert event.before == {"closed_price": {"id": closed_id, "valid_until": None}}
    assert event.after == {
        "kind": "water", "unit_price": "1.4567", "valid_from": start.isoformat(),
        "valid_until": None,
        "closed_price": {"id": closed_id,
                         "valid_until": (start - dt.timedelta(days=1)).isoformat()},
    }


def test_a_price_may_start_today(anne: FlaskClient, today: dt.date) -> None:
    response = add_price(anne, kind="sewer", unit_price="0", valid_from=today)
    assert response.status_code == 303
    assert prices(PriceKind.SEWER)[-1] == (Decimal("0.0000"), today, None)
    assert prices(PriceKind.SEWER)[-2][2] == today - dt.timedelta(days=1)


def test_a_price_with_an_end_date_and_typed_dates(anne: FlaskClient, today: dt.date) -> None:
    start, end = today + dt.timedelta(days=3), today + dt.timedelta(days=40)
    response = add_price(anne, kind="water", unit_price=" 2.5 ", valid_from=day(start),
                         valid_until=day(end))
    assert response.status_code == 303
    assert prices(PriceKind.WATER)[-1] == (Decimal("2.5000"), start, end)
    assert last_audit("add_price").after["valid_until"] == end.isoformat()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((10, 20), (20, None)),  # starts on the last day of a later price
        ((10, 20), (5, 10)),  # ends on its first day
        ((10, 20), (12, 15)),  # inside it
        ((10, None), (5, None)),  # open-ended, running into a later open-ended one
        ((10, 20), (5, 30)),  # around it
    ],
)
def test_prices_of_one_kind_never_overlap(anne: FlaskClient, today: dt.date,
                                          first: tuple[int, int | None],
                                          second: tuple[int, int | None]) -> None:
    def days(offset: int | None) -> dt.date | str:
        return "" if offset is None else today + dt.timedelta(days=offset)

    assert add_price(anne, kind="water", unit_price="1", valid_from=days(first[0]),
                     valid_until=days(first[1])).status_code == 303
    stored, events = prices(PriceKind.WATER), audit_count()
    response = add_price(anne, kind="water", unit_price="2", valid_from=days(second[0]),
                         valid_until=days(second[1]))
    assert response.status_code == 422
    assert "would apply on the same days as the water price of" in response.get_data(
        as_text=True)
    assert prices(PriceKind.WATER) == stored
    assert audit_count() == events


def test_a_price_of_the_other_kind_does_not_overlap(anne: FlaskClient, today: dt.date) -> None:
    start = today + dt.timedelta(days=10)
    add_price(anne, kind="water", unit_price="1", valid_from=start)
    assert add_price(anne, kind="sewer", unit_price="1", valid_from=start).status_code == 303


def test_a_later_open_ended_price_ends_the_one_before_it(anne: FlaskClient,
                                                         today: dt.date) -> None:
    first, second = today + dt.timedelta(days=10), today + dt.timedelta(days=30)
    add_price(anne, kind="water", unit_price="1", valid_from=first)
    add_price(anne, kind="water", unit_price="2", valid_from=second)
    assert prices(PriceKind.WATER)[-2:] == [
        (Decimal("1.0000"), first, second - dt.timedelta(days=1)),
        (Decimal("2.0000"), second, None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit_price": "1,23456"}, "Use at most 4 decimal places."),
        ({"unit_price": "-1"}, "A price cannot be negative."),
        ({"unit_price": "-0,5"}, "A price cannot be negative."),
        ({"unit_price": "abc"}, "Enter the price as a number"),
        ({"unit_price": "1e3"}, "Enter the price as a number"),
        ({"unit_price": "1.234,5"}, "Enter the price as a number"),
        ({"unit_price": "123456789"}, "This price is too large."),
        ({"unit_price": ""}, "Enter the unit price."),
        ({"kind": "gas"}, "Not a valid choice"),
        ({"valid_from": -1}, "Prices are never changed for days gone by"),
        ({"valid_from": -400}, "Prices are never changed for days gone by"),
        ({"valid_from": ""}, "Enter the first day of the price."),
        ({"valid_from": "31.02.2030"}, "Enter the date as dd.mm.yyyy."),
        ({"valid_from": 10, "valid_until": 9}, "The end date cannot be before the start date."),
        ({"valid_until": "someday"}, "Enter the date as dd.mm.yyyy."),
    ],
)
def test_an_invalid_price_writes_nothing(anne: FlaskClient, today: dt.date,
                                         data: dict[str, Any], message: str) -> None:
    form: dict[str, Any] = {"kind": "water", "unit_price": "1,5", "valid_from": 5,
                            "valid_until": ""}
    form.update(data)
    for key in ("valid_from", "valid_until"):
        if isinstance(form[key], int):
            form[key] = today + dt.timedelta(days=form[key])
    stored = prices(PriceKind.WATER)
    response = add_price(anne, **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert prices(PriceKind.WATER) == stored
    assert audit_count() == 0


def test_the_price_form_keeps_what_was_typed(anne: FlaskClient, today: dt.date) -> None:
    response = add_price(anne, kind="sewer", unit_price="1,23456",
                         valid_from=today + dt.timedelta(days=2))
    page = response.get_data(as_text=True)
    assert 'value="1,23456"' in page
    assert re.search(r'<option selected value="sewer">|<option value="sewer" selected>', page)


# --------------------------------------------------------------------------- audit trail


def audit_event(code: str | None, action: str, object_type: str, *, at: dt.datetime,
                subject: str | None = None, purpose: str,
                after: dict[str, Any] | None = None) -> None:
    db.session.add(AuditEvent(
        occurred_at=at,
        actor_id=person_id(code) if code else None,
        acting_as="clerk" if code == CLERK else "admin",
        action=action,
        object_type=object_type,
        object_id="7",
        subject_person_id=person_id(subject) if subject else None,
        purpose=purpose,
        ip_address="192.0.2.1",
        after=after,
    ))


@pytest.fixture
def trail(demo: None) -> None:
    utc = dt.UTC
    audit_event(CLERK, "view_customer_card", "customer", subject=MARI, purpose="call-one",
                at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=utc))
    # 22:30 UTC on 1 March is 00:30 on 2 March in Tallinn.
    audit_event(CLERK, "correct_reading", "reading", subject=JAAN, purpose="late-evening",
                at=dt.datetime(2026, 3, 1, 22, 30, tzinfo=utc), after={"value": "12.500"})
    audit_event(ADMIN, "change_settings", "utility", purpose="settings-one",
                at=dt.datetime(2026, 3, 5, 8, 0, tzinfo=utc))
    audit_event(ADMIN, "grant_staff_role", "staff_role", subject=MARI, purpose="grant-one",
                at=dt.datetime(2026, 3, 6, 8, 0, tzinfo=utc))
    db.session.commit()


ALL = {"call-one", "late-evening", "settings-one", "grant-one"}


def shown(client: FlaskClient, query: str = "") -> set[str]:
    response = client.get(f"{AUDIT_URL}?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {purpose for purpose in ALL if purpose in page}


def test_the_trail_lists_everything_newest_first(anne: FlaskClient, trail: None) -> None:
    page = anne.get(AUDIT_URL).get_data(as_text=True)
    order = [page.index(purpose) for purpose in
             ("grant-one", "settings-one", "late-evening", "call-one")]
    assert order == sorted(order)
    assert "02.03.2026 00:30" in page  # the moment in Tallinn
    assert "Liis Lepp" in page
    assert "Mari Maasikas" in page
    assert "corrected a meter reading" in page  # the action's label
    assert "192.0.2.1" in page
    assert "{&#34;value&#34;: &#34;12.500&#34;}" in page  # compact JSON, escaped


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"actor={CLERK}", {"call-one", "late-evening"}),
        (f"actor={ADMIN}", {"settings-one", "grant-one"}),
        (f"subject={MARI}", {"call-one", "grant-one"}),
        (f"subject={UNKNOWN_CODE}", set()),
        ("action=change_settings", {"settings-one"}),
        ("object_type=reading", {"late-evening"}),
        ("date_from=2026-03-02", {"late-evening", "settings-one", "grant-one"}),
        ("date_to=2026-03-01", {"call-one"}),
        ("date_from=02.03.2026&date_to=05.03.2026", {"late-evening", "settings-one"}),
        (f"actor={ADMIN}&subject={MARI}", {"grant-one"}),
        ("actor=&subject=&action=&object_type=&date_from=&date_to=", ALL),
    ],
)
def test_each_filter_narrows_the_trail(anne: FlaskClient, trail: None, query: str,
                                       expected: set[str]) -> None:
    assert shown(anne, query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "Enter the date as dd.mm.yyyy."),
        ("date_to=yesterday", "Enter the date as dd.mm.yyyy."),
        ("date_from=2026-03-05&date_to=2026-03-01", "The end date cannot be before"),
        ("actor=12345", "Enter a valid Estonian personal identification code"),
        ("subject=48001010218", "Enter a valid Estonian personal identification code"),
        ("action=drop_tables", "Not a valid choice"),
        ("object_type=x'%20OR%201=1", "Use small letters and underscores only"),
    ],
)
def test_invalid_filters_say_what_is_wrong(anne: FlaskClient, trail: None, query: str,
                                           message: str) -> None:
    response = anne.get(f"{AUDIT_URL}?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert not {purpose for purpose in ALL if purpose in page}


def test_reading_the_trail_is_not_recorded(anne: FlaskClient, trail: None) -> None:
    before = audit_count()
    anne.get(AUDIT_URL)
    anne.get(f"{AUDIT_URL}?subject={MARI}")
    assert audit_count() == before


def test_the_trail_pages_keep_the_filters(anne: FlaskClient, demo: None) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number in range(30):
        audit_event(CLERK, "view_customer_card", "customer", subject=MARI,
                    purpose=f"p-{number:02d}", at=start + dt.timedelta(hours=number))
    audit_event(ADMIN, "change_settings", "utility", purpose="other",
                at=start + dt.timedelta(days=5))
    db.session.commit()
    first = anne.get(f"{AUDIT_URL}?actor={CLERK}").get_data(as_text=True)
    assert "30 events" in first
    assert "p-29" in first
    assert "p-04" not in first
    link = re.search(r'href="([^"]+)" rel="next"|rel="next" href="([^"]+)"', first)
    assert link
    second = anne.get((link.group(1) or link.group(2)).replace("&amp;", "&")).get_data(
        as_text=True)
    assert "p-04" in second
    assert "p-29" not in second
    assert "other" not in second.split("<tbody>")[1]


def test_the_changes_made_here_show_in_the_trail(anne: FlaskClient) -> None:
    post(anne, ROLES_URL, ROLES_URL, {"personal_code": MARI, "role": "clerk"})
    page = anne.get(f"{AUDIT_URL}?action=grant_staff_role&subject={MARI}").get_data(
        as_text=True)
    assert "gave a staff role" in page
    assert "Anne Allikas" in page
    assert "{&#34;roles&#34;: [&#34;clerk&#34;]}" in page


# --------------------------------------------------------------------------- unusual readings

WARNINGS_URL = "/staff/admin/reading-warnings"


def test_the_warning_settings_are_shown_saved_and_audited(anne: FlaskClient) -> None:
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    assert re.search(r'name="warning_factor"[^>]*value="3"', page)
    assert re.search(r'name="daily_ceiling"[^>]*value="10"', page)
    response = post(anne, SETTINGS_URL, WARNINGS_URL,
                    {"warning_factor": "5", "daily_ceiling": "2,5"})
    assert "The settings were saved." in flashes(anne, response)
    assert (utility().reading_warning_factor, utility().daily_use_ceiling) == (
        Decimal(5), Decimal("2.5"))
    event = last_audit("change_settings")
    assert event.after == {"reading_warning_factor": "5", "daily_use_ceiling": "2.500"}


def test_an_empty_ceiling_means_none(anne: FlaskClient) -> None:
    post(anne, SETTINGS_URL, WARNINGS_URL, {"warning_factor": "3", "daily_ceiling": ""})
    assert utility().daily_use_ceiling is None


@pytest.mark.parametrize(
    ("factor", "ceiling", "message"),
    [("1", "10", "Enter a whole number from 2 to 100."),
     ("101", "10", "Enter a whole number from 2 to 100."),
     ("x", "10", "Enter a whole number from 2 to 100."),
     ("3", "0", "Enter more than zero"),
     ("3", "-1", "Enter the volume as a number"),
     ("3", "1e309", "Enter the volume as a number")],
)
def test_invalid_warning_settings_write_nothing(anne: FlaskClient, factor: str, ceiling: str,
                                                message: str) -> None:
    response = post(anne, SETTINGS_URL, WARNINGS_URL,
                    {"warning_factor": factor, "daily_ceiling": ceiling})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (utility().reading_warning_factor, utility().daily_use_ceiling) == (
        Decimal(3), Decimal(10))
    assert audit_count() == 0


# --------------------------------------------------------------------------- price variants


def test_the_price_list_shows_variants_and_the_new_kinds(anne: FlaskClient) -> None:
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    sewer = page.split('data-testid="prices-sewer"', 1)[1].split("</table>", 1)[0]
    assert "pollution group II" in sewer and "2.2430" in sewer
    assert "pollution group III" in sewer and "2.8840" in sewer
    assert "every pollution group without a price of its own" in sewer
    fixed = page.split('data-testid="prices-fixed_fee"', 1)[1].split("</table>", 1)[0]
    assert "monthly fixed fee" in fixed and "EUR a month" in fixed
    assert fixed.index("every meter size") < fixed.index("DN15") < fixed.index("DN20")
    closing = page.split('data-testid="prices-closure_fee"', 1)[1].split("</table>", 1)[0]
    assert "closing fee" in closing and "EUR a time" in closing and "35.0000" in closing
    assert "For" not in page.split('data-testid="prices-water"', 1)[1].split("</table>", 1)[0]


def test_a_sewer_price_for_one_group_ends_only_that_groups_price(anne: FlaskClient,
                                                                  today: dt.date) -> None:
    start = today + dt.timedelta(days=10)
    response = add_price(anne, kind="sewer", pollution_group="II", unit_price="2,5",
                         valid_from=start)
    page = flashes(anne, response)
    assert "the sewer price for pollution group II of 2.5000 EUR/m³" in page
    assert prices(PriceKind.SEWER, "II")[-2:] == [
        (Decimal("2.2430"), dt.date(2025, 7, 1), start - dt.timedelta(days=1)),
        (Decimal("2.5000"), start, None),
    ]
    assert prices(PriceKind.SEWER)[-1][2] is None  # the price of every group runs on
    assert prices(PriceKind.SEWER, "III")[-1][2] is None
    assert last_audit("add_price").after["variant"] == "II"


def test_a_fixed_fee_for_one_meter_size(anne: FlaskClient, today: dt.date) -> None:
    start = today + dt.timedelta(days=3)
    response = add_price(anne, kind="fixed_fee", meter_size=" dn 32 ", unit_price="12",
                         valid_from=start)
    page = flashes(anne, response)
    assert "the monthly fixed fee price for meter size DN32 of 12.0000 EUR a month" in page
    assert prices(PriceKind.FIXED_FEE, "DN32") == [(Decimal("12.0000"), start, None)]
    assert prices(PriceKind.FIXED_FEE)[-1][2] is None  # "" is another variant: left alone


def test_prices_of_one_kind_and_variant_never_overlap(anne: FlaskClient,
                                                      today: dt.date) -> None:
    first, end = today + dt.timedelta(days=10), today + dt.timedelta(days=20)
    assert add_price(anne, kind="sewer", pollution_group="III", unit_price="3",
                     valid_from=first, valid_until=end).status_code == 303
    response = add_price(anne, kind="sewer", pollution_group="III", unit_price="4",
                         valid_from=first + dt.timedelta(days=2), valid_until=end)
    assert response.status_code == 422
    assert "the same days as the sewer price for pollution group III" in response.get_data(
        as_text=True)
    # The same days for another group are another price.
    assert add_price(anne, kind="sewer", pollution_group="II", unit_price="4",
                     valid_from=first + dt.timedelta(days=2),
                     valid_until=end).status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "water", "pollution_group": "II"}, "Only a sewer price has a pollution group"),
        ({"kind": "sewer", "meter_size": "DN20"}, "Only a fixed fee has a meter size"),
        ({"kind": "closure_fee", "meter_size": "DN20"}, "Only a fixed fee has a meter size"),
        ({"kind": "fixed_fee", "meter_size": "20 mm"}, "Enter the meter size as DN"),
        ({"kind": "fixed_fee", "meter_size": "DN1"}, "Enter the meter size as DN"),
        ({"kind": "sewer", "pollution_group": "IV"}, "Not a valid choice"),
    ],
)
def test_a_variant_that_does_not_fit_the_kind_writes_nothing(
    anne: FlaskClient, today: dt.date, data: dict[str, str], message: str
) -> None:
    count = db.session.scalar(select(func.count(Price.id)))
    response = add_price(anne, unit_price="1", valid_from=today + dt.timedelta(days=5), **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Price.id))) == count
    assert audit_count() == 0


def test_the_service_refuses_a_variant_the_kind_does_not_have(app: Flask, demo: None) -> None:
    anne = Actor(person_id=person_id(ADMIN), staff_roles=frozenset({StaffRoleKind.ADMIN}))
    day = today_in_tallinn() + dt.timedelta(days=5)
    with app.test_request_context():
        for kind, variant in ((PriceKind.WATER, "II"), (PriceKind.SEWER, "DN20"),
                              (PriceKind.FIXED_FEE, "III"), (PriceKind.REOPENING_FEE, "I")):
            with pytest.raises(admin_service.AdminRefusal):
                admin_service.add_price(anne, utility(), kind, Decimal(1), day, None,
                                        today_in_tallinn(), variant=variant)
    db.session.rollback()
    assert audit_count() == 0


# --------------------------------------------------------------------------- VAT rates


def add_vat(client: FlaskClient, rate: str, start: dt.date | str) -> Any:
    return post(client, SETTINGS_URL, VAT_URL, {
        "vat_rate": rate,
        "vat_valid_from": start.isoformat() if isinstance(start, dt.date) else start})


def test_the_vat_rates_are_listed_each_until_the_next(anne: FlaskClient) -> None:
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    table = page.split('id="vat"', 1)[1].split("</table>", 1)[0]
    assert "24.00" in table and "22.00" in table
    assert "30.06.2025" in table  # 22 % ends the day before 24 % starts
    assert table.index("24.00") < table.index("22.00")  # newest first


def test_a_vat_rate_is_added_from_a_later_day_and_audited(anne: FlaskClient,
                                                          today: dt.date) -> None:
    start = today + dt.timedelta(days=30)
    page = flashes(anne, add_vat(anne, "25,5", day(start)))
    assert f"The VAT rate of 25.50 % from {day(start)} was added." in page
    assert vat_rates()[-1] == (Decimal("25.50"), start)
    event = last_audit("add_vat_rate")
    assert (event.object_type, event.acting_as) == ("vat_rate", "admin")
    assert event.after == {"rate_percent": "25.5", "valid_from": start.isoformat()}
    trail = anne.get(f"{AUDIT_URL}?action=add_vat_rate").get_data(as_text=True)
    assert "added a VAT rate" in trail


def test_a_vat_rate_may_start_today(anne: FlaskClient, today: dt.date) -> None:
    assert add_vat(anne, "0", today).status_code == 303
    assert vat_rates()[-1] == (Decimal("0.00"), today)


@pytest.mark.parametrize(
    ("rate", "offset", "message"),
    [
        ("24", -1, "VAT rates are never changed for days gone by"),
        ("24", -500, "VAT rates are never changed for days gone by"),
        ("101", 5, "Enter a rate from 0 to 100 per cent."),
        ("-1", 5, "A percentage cannot be negative."),
        ("24,125", 5, "Use at most 2 decimal places."),
        ("abc", 5, "Enter the percentage as a number"),
        ("", 5, "Enter the rate."),
        ("24", None, "Enter the first day of the rate."),
    ],
)
def test_an_invalid_vat_rate_writes_nothing(anne: FlaskClient, today: dt.date, rate: str,
                                            offset: int | None, message: str) -> None:
    start = "" if offset is None else today + dt.timedelta(days=offset)
    response = add_vat(anne, rate, start)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(vat_rates()) == 2
    assert audit_count() == 0


def test_two_vat_rates_never_start_on_the_same_day(anne: FlaskClient, today: dt.date) -> None:
    start = today + dt.timedelta(days=7)
    assert add_vat(anne, "25", start).status_code == 303
    response = add_vat(anne, "26", start)
    assert response.status_code == 422
    assert f"A VAT rate of 25.00 % already starts on {day(start)}." in response.get_data(
        as_text=True)
    assert vat_rates()[-1] == (Decimal("25.00"), start)
    assert audit_count("add_vat_rate") == 1


# --------------------------------------------------------------------------- billing settings


def test_the_billing_settings_are_shown(anne: FlaskClient) -> None:
    page = anne.get(SETTINGS_URL).get_data(as_text=True)
    assert re.search(r'name="late_interest_percent"[^>]*value="0.1"', page)
    assert re.search(r'name="invoice_due_days"[^>]*value="14"', page)
    assert re.search(r'name="iban"[^>]*value="EE382200221020145685"', page)
    assert "at most 0.15 (KEE §41(3))" in page  # the cap, from the rule data


def test_the_billing_settings_are_saved_cleaned_and_audited(anne: FlaskClient) -> None:
    form = {**BILLING_FORM, "late_interest_percent": "0,15", "invoice_due_days": "21",
            "iban": "ee20 1010 0100 0000 0017", "bic": "eeuhee2x"}
    assert "The settings were saved." in flashes(anne, post(anne, SETTINGS_URL, BILLING_URL,
                                                            form))
    saved = utility()
    assert (saved.late_interest_percent, saved.invoice_due_days) == (Decimal("0.15"), 21)
    assert (saved.iban, saved.bic) == ("EE201010010000000017", "EEUHEE2X")
    event = last_audit("change_settings")
    assert (event.object_type, event.acting_as) == ("utility", "admin")
    # Only what changed.
    assert event.before == {"late_interest_percent": "0.100", "invoice_due_days": 14,
                            "iban": "EE382200221020145685", "bic": "HABAEE2X"}
    assert event.after == {"late_interest_percent": "0.15", "invoice_due_days": 21,
                           "iban": "EE201010010000000017", "bic": "EEUHEE2X"}


def test_saving_the_same_billing_settings_records_nothing(anne: FlaskClient) -> None:
    form = {**BILLING_FORM, "late_interest_percent": "0,100", "resident_norm_m3": "3,000"}
    assert "Nothing was changed." in flashes(anne, post(anne, SETTINGS_URL, BILLING_URL, form))
    assert audit_count() == 0


def test_the_optional_billing_details_can_be_cleared(anne: FlaskClient) -> None:
    form = {**BILLING_FORM, "bic": "", "vat_number": " ", "address": ""}
    assert post(anne, SETTINGS_URL, BILLING_URL, form).status_code == 303
    assert (utility().bic, utility().vat_number, utility().address) == (None, None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"late_interest_percent": "0,151"},
         "The late interest may be at most 0.15 % a day of the unpaid sum (KEE §41(3))."),
        ({"late_interest_percent": "1"}, "KEE §41(3)"),
        ({"late_interest_percent": "-0,1"}, "A percentage cannot be negative."),
        ({"late_interest_percent": "0,1234"}, "Use at most 3 decimal places."),
        ({"late_interest_percent": ""}, "Enter the late interest."),
        ({"invoice_due_days": "0"}, "Enter a whole number from 1 to 90."),
        ({"invoice_due_days": "91"}, "Enter a whole number from 1 to 90."),
        ({"invoice_due_days": "two weeks"}, "Enter a whole number from 1 to 90."),
        ({"resident_norm_m3": "-1"}, "Enter the volume as a number"),
        ({"iban": "EE382200221020145686"}, "Enter a valid IBAN"),  # a wrong check digit
        ({"iban": "EE38 2200"}, "Enter a valid IBAN"),
        ({"bic": "HABA"}, "Enter a valid BIC"),
        ({"vat_number": "EE101987654"}, "Enter a valid VAT number"),
        ({"vat_number": "101987653"}, "Enter a valid VAT number"),  # no country code
        ({"address": "x" * 256}, "Field cannot be longer than 255 characters."),
    ],
)
def test_invalid_billing_settings_write_nothing(anne: FlaskClient, data: dict[str, str],
                                                message: str) -> None:
    response = post(anne, SETTINGS_URL, BILLING_URL, {**BILLING_FORM, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    saved = utility()
    assert (saved.late_interest_percent, saved.invoice_due_days, saved.iban) == (
        Decimal("0.100"), 14, "EE382200221020145685")
    assert audit_count() == 0


def test_the_interest_cap_is_the_one_in_the_rule_data(anne: FlaskClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # KEE §41(3) as a rules/deadlines file says it: a lower cap there refuses 0,1.
    monkeypatch.setattr(admin_service, "percentage", lambda *_args: Decimal("0.05"))
    response = post(anne, SETTINGS_URL, BILLING_URL,
                    {**BILLING_FORM, "late_interest_percent": "0,1", "invoice_due_days": "20"})
    assert response.status_code == 422
    assert "at most 0.05 % a day" in response.get_data(as_text=True)
    assert utility().invoice_due_days == 14
