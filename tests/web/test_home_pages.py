"""Each kind of visitor gets their own start page, with their own data only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import (
    ADMIN,
    CLERK,
    INSPECTOR,
    JAAN,
    KATI,
    MARI,
    PEETER,
    csrf_token_from,
    log_in,
)
from webapp.extensions import db
from webapp.models import Meter, Person, Site, SiteRole

Login = Callable[[str], FlaskClient]


def meter_numbers_of(personal_code: str) -> set[str]:
    person = db.session.scalar(select(Person).where(Person.personal_code == personal_code))
    site_ids = select(SiteRole.site_id).where(SiteRole.person_id == person.id)
    return set(db.session.scalars(select(Meter.number).where(Meter.site_id.in_(site_ids))))


def all_meter_numbers() -> set[str]:
    return set(db.session.scalars(select(Meter.number)))


def test_the_public_front_page_explains_and_offers_login(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in page
    assert 'href="/rules/"' in page


def test_the_rules_page_lists_the_rules_in_force(client: FlaskClient) -> None:
    page = client.get("/rules").get_data(as_text=True)
    assert "Kuressaare linna ühisveevärgi ja -kanalisatsiooni kasutamise eeskiri" in page
    assert "01.08.2012" in page


@pytest.mark.parametrize("path", ["/my", "/staff/"])
def test_pages_behind_login_send_anonymous_visitors_to_log_in(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("personal_code", [MARI, JAAN, KATI, PEETER])
def test_a_customer_sees_their_own_meters_and_nobody_elses(
    login: Login, personal_code: str
) -> None:
    page = login(personal_code).get("/my").get_data(as_text=True)
    own = meter_numbers_of(personal_code)
    assert own
    for number in own:
        assert number in page
    for number in all_meter_numbers() - own:
        assert number not in page


def test_mari_sees_her_meter_with_its_last_reading(login: Login) -> None:
    page = login(MARI).get("/my").get_data(as_text=True)
    assert "Maasikas" in page
    (number,) = meter_numbers_of(MARI)
    assert number in page
    assert "," in page.split(number, 1)[1].split("</tr>", 1)[0]  # decimal comma in Estonian


def test_kati_sees_three_sites_and_peeter_one(login: Login) -> None:
    kati = login(KATI).get("/my").get_data(as_text=True)
    peeter = login(PEETER).get("/my").get_data(as_text=True)
    kodu_sites = db.session.scalars(
        select(Site.address).join(SiteRole, SiteRole.site_id == Site.id)
        .join(Person, SiteRole.person_id == Person.id).where(Person.personal_code == KATI)
    ).all()
    assert len(set(kodu_sites)) == 3
    assert all(address in kati for address in kodu_sites)
    assert sum(address in peeter for address in set(kodu_sites)) == 1


@pytest.mark.parametrize("personal_code", [CLERK, INSPECTOR, ADMIN])
def test_staff_land_on_the_staff_start_page(login: Login, personal_code: str) -> None:
    staff = login(personal_code)
    response = staff.get("/my")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = staff.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/"' in page  # the staff menu entry


@pytest.mark.parametrize("personal_code", [MARI, KATI, PEETER])
def test_customers_cannot_see_the_staff_area(login: Login, personal_code: str) -> None:
    assert login(personal_code).get("/staff/").status_code == 404


def test_the_menu_follows_the_roles(login: Login, client: FlaskClient) -> None:
    assert 'href="/staff/"' not in login(MARI).get("/my").get_data(as_text=True)
    assert 'href="/my"' not in client.get("/").get_data(as_text=True)


def test_a_person_the_utility_does_not_know_gets_a_friendly_page(
    login: Login, client: FlaskClient
) -> None:
    stranger = Person(personal_code="60001019906", given_name="Uus", family_name="Inimene")
    db.session.add(stranger)
    db.session.commit()
    log_in(client, stranger.personal_code)
    response = client.get("/my")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Uus" in page
    assert "<table" not in page


def test_logging_in_redirects_home_for_a_logged_in_person(login: Login) -> None:
    mari = login(MARI)
    assert mari.get("/").headers["Location"] == "/my"
    assert mari.get("/login").headers["Location"] == "/my"


def test_logout_ends_the_session_on_the_server(login: Login, app: object) -> None:
    mari = login(MARI)
    with mari.session_transaction() as session:
        stolen = dict(session)
    token = csrf_token_from(mari.get("/my").get_data(as_text=True))
    response = mari.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert mari.get("/my").status_code == 302

    thief = app.test_client()  # type: ignore[attr-defined]
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/my").status_code == 302  # the copied cookie died with logout


def test_logout_needs_the_csrf_token(login: Login) -> None:
    mari = login(MARI)
    assert mari.post("/logout").status_code == 400
    assert mari.get("/my").status_code == 200


def test_a_removed_staff_role_counts_at_the_next_request(login: Login) -> None:
    from webapp.models import StaffRole

    clerk = login(CLERK)
    assert clerk.get("/staff/").status_code == 200
    person = db.session.scalar(select(Person).where(Person.personal_code == CLERK))
    db.session.execute(db.delete(StaffRole).where(StaffRole.person_id == person.id))
    db.session.commit()
    assert clerk.get("/staff/").status_code == 404
