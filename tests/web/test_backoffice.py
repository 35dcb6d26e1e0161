"""The staff back office: search, cards behind a stated purpose, readings entered
and corrected on a customer's behalf, and the audit trail all of it leaves."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import ADMIN, CLERK, INSPECTOR, KATI, MARI, PEETER, csrf_token_from
from webapp.audit_labels import ACTION_LABELS
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Company,
    Customer,
    Meter,
    MeterStatus,
    Person,
    Reading,
    ReadingChannel,
    Site,
)
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]

MARIS_METER = "00123456"
MARIS_SITE = "TK-10001"
MARIS_CONTRACT = "L-2019-0001"
KODU_HALDUS = "10123459"


# --------------------------------------------------------------------------- helpers


def person_id(code: str) -> int:
    return db.session.scalar(select(Person.id).where(Person.personal_code == code))


def customer_id_of(code: str) -> int:
    return db.session.scalar(
        select(Customer.id).outerjoin(Person, Customer.person_id == Person.id)
        .outerjoin(Company, Customer.company_id == Company.id)
        .where((Person.personal_code == code) | (Company.registry_code == code))
    )


def meter(number: str = MARIS_METER) -> Meter:
    return db.session.scalar(select(Meter).where(Meter.number == number))


def current_readings(meter_id: int) -> list[Reading]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Reading).where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date, Reading.id)
    ))


def last_reading(meter_id: int) -> Reading:
    return current_readings(meter_id)[-1]


def reading_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Reading.id)))


def audit_events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def html(response: Any) -> str:
    """The page as its reader sees the text: entities such as &#39; decoded."""
    return unescape(str(response.get_data(as_text=True)))


def give_purpose(client: FlaskClient, kind: str, object_id: int, purpose: str = "phone_call",
                 details: str = "") -> Any:
    url = f"/staff/purpose?kind={kind}&id={object_id}"
    token = csrf_token_from(html(client.get(url)))
    return client.post(url, data={"csrf_token": token, "purpose": purpose, "details": details})


def with_purpose(login: Login, code: str = CLERK, customer: str = MARI) -> FlaskClient:
    """A staff member who has said why they look at the customer's data."""
    client = login(code)
    assert give_purpose(client, "customer", customer_id_of(customer)).status_code == 303
    return client


def post_form(client: FlaskClient, url: str, data: dict[str, str]) -> Any:
    token = csrf_token_from(html(client.get(url)))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.fixture
def clerk(login: Login) -> FlaskClient:
    return with_purpose(login)


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (MARI, "Mari Maasikas"),  # personal code
        (MARI[:7], "Mari Maasikas"),  # its beginning
        (KODU_HALDUS, "Kodu Haldus OÜ"),  # registry code
        ("maasikas", "Mari Maasikas"),  # a name, any case
        ("  Mari   Maasikas ", "Mari Maasikas"),
        ("kodu hald", "Kodu Haldus OÜ"),  # a company name
        ("kaevu tn 12", "Kaevu tn 12, Kuressaare"),  # an address
        ("tk-10001", "Kaevu tn 12, Kuressaare"),  # a site code
        (MARIS_CONTRACT, "Mari Maasikas"),  # a contract number
        (MARIS_METER, "Mari Maasikas"),  # a meter number
        ("00 123 456", "Mari Maasikas"),  # spaces in a number do not matter
    ],
)
def test_search_finds_by_each_kind_of_key(login: Login, query: str, expected: str) -> None:
    response = login(CLERK).get("/staff/search", query_string={"q": query})
    assert response.status_code == 200
    page = html(response)
    assert expected in page
    if expected == "Mari Maasikas":
        assert f'href="/staff/customers/{customer_id_of(MARI)}"' in page


def test_search_groups_results_and_links_each_to_its_card(login: Login) -> None:
    page = html(login(CLERK).get("/staff/search?q=Maasikas"))
    assert 'id="results-customers"' in page and 'id="results-persons"' in page
    assert f'href="/staff/customers/{customer_id_of(MARI)}"' in page
    assert f'href="/staff/persons/{person_id(MARI)}"' in page
    meters = html(login(CLERK).get(f"/staff/search?q={MARIS_METER}"))
    assert 'id="results-meters"' in meters and MARIS_METER in meters
    assert "Kaevu tn 12" in meters


def test_a_number_matches_from_its_start_only(login: Login) -> None:
    page = html(login(CLERK).get("/staff/search?q=23456"))  # inside 00123456
    assert 'id="no-results"' in page


@pytest.mark.parametrize("query", ["a", " a ", "", "     "])
def test_search_needs_two_characters(login: Login, query: str) -> None:
    response = login(CLERK).get("/staff/search", query_string={"q": query})
    assert response.status_code == 200
    page = html(response)
    assert "Enter between 2 and 100 characters." in page
    assert 'class="error-summary"' in page
    assert audit_events("search") == []


def test_the_search_page_without_a_query_is_empty_and_not_audited(login: Login) -> None:
    page = html(login(CLERK).get("/staff/search"))
    assert 'id="q"' in page and "error-summary" not in page
    assert audit_events("search") == []


@pytest.mark.parametrize(
    "query",
    ["x" * 5000, "%%", "__", "\x00\x00abc", "' OR 1=1 --", "١٢٣٤", "🙂🙂", "1e309", "NaN"],
)
def test_odd_searches_are_answered_without_an_error(login: Login, query: str) -> None:
    response = login(CLERK).get("/staff/search", query_string={"q": query})
    assert response.status_code == 200
    page = html(response)
    if query in {"%%", "__"}:  # wildcards are taken literally
        assert 'id="no-results"' in page


def test_many_results_are_capped_with_a_note(login: Login) -> None:
    page = html(login(CLERK).get("/staff/search?q=Kuressaare"))
    # Five sites only: no cap. "00" starts every meter number: 17, still no cap.
    assert "refine your search" not in page
    for number in range(30):
        db.session.add(Person(personal_code=f"6000101{number:04d}", given_name="Test",
                              family_name=f"Kuressaare{number}"))
    db.session.commit()
    page = html(login(CLERK).get("/staff/search?q=Kuressaare"))
    assert "refine your search" in page
    assert page.count('data-testid="person-result"') == 20


def test_htmx_gets_the_results_alone_and_the_answer_varies_on_it(login: Login) -> None:
    clerk = login(CLERK)
    full = clerk.get(f"/staff/search?q={MARIS_METER}")
    partial = clerk.get(f"/staff/search?q={MARIS_METER}", headers={"HX-Request": "true"})
    assert "<html" in html(full) and "<html" not in html(partial)
    assert MARIS_METER in html(partial) and 'id="results-meters"' in html(partial)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in partial.headers["Vary"]
    too_short = html(clerk.get("/staff/search?q=x", headers={"HX-Request": "true"}))
    assert "Enter between 2 and 100 characters." in too_short
    # The box asks for results as one types; the plain form works without JavaScript.
    page = html(full)
    assert 'hx-get="/staff/search"' in page and 'hx-trigger="keyup changed delay:300ms' in page
    assert '<form class="search-form" role="search" method="get" action="/staff/search">' in page


def test_a_search_is_on_record_without_a_subject(login: Login) -> None:
    login(CLERK).get(f"/staff/search?q={MARIS_METER}")
    (event,) = audit_events("search")
    assert event.actor_id == person_id(CLERK)
    assert event.acting_as == "clerk"
    assert event.subject_person_id is None
    assert event.after == {"query": MARIS_METER, "results": 1}
    assert "search" in ACTION_LABELS


def test_the_staff_start_page_has_the_search_box(login: Login) -> None:
    page = html(login(INSPECTOR).get("/staff/"))
    assert '<form class="search-form" role="search" method="get" action="/staff/search">' in page
    assert 'name="q"' in page


# --------------------------------------------------------------------------- purpose and cards


def test_a_card_asks_for_the_purpose_the_first_time_only(login: Login) -> None:
    clerk = login(CLERK)
    customer = customer_id_of(MARI)
    first = clerk.get(f"/staff/customers/{customer}")
    assert first.status_code == 302
    assert first.headers["Location"].startswith(
        f"/staff/purpose?kind=customer&id={customer}&next=/staff/customers/{customer}"
    )
    purpose_page = clerk.get(first.headers["Location"])
    assert purpose_page.status_code == 200
    assert 'type="radio"' in html(purpose_page) and "Mari" not in html(purpose_page)
    assert audit_events() == []  # nothing shown, nothing recorded yet
    token = csrf_token_from(html(purpose_page))
    answer = clerk.post(first.headers["Location"],
                        data={"csrf_token": token, "purpose": "phone_call"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/staff/customers/{customer}"
    second = clerk.get(f"/staff/customers/{customer}")
    assert second.status_code == 200
    assert "Mari Maasikas" in html(second) and "phone call" in html(second)
    assert clerk.get(f"/staff/customers/{customer}").status_code == 200  # not asked again


def test_the_purpose_is_asked_per_card(clerk: FlaskClient) -> None:
    assert clerk.get(f"/staff/customers/{customer_id_of(MARI)}").status_code == 200
    assert clerk.get(f"/staff/customers/{customer_id_of(KODU_HALDUS)}").status_code == 302
    assert clerk.get(f"/staff/persons/{person_id(MARI)}").status_code == 302


def test_the_purpose_lasts_for_the_login_session_only(login: Login) -> None:
    with_purpose(login)
    another_login = login(CLERK)
    assert another_login.get(f"/staff/customers/{customer_id_of(MARI)}").status_code == 302


def test_every_view_of_a_card_writes_one_audit_row(clerk: FlaskClient) -> None:
    customer = customer_id_of(MARI)
    before = len(audit_events())
    clerk.get(f"/staff/customers/{customer}")
    assert len(audit_events()) == before + 1
    clerk.get(f"/staff/customers/{customer}")
    events = audit_events()
    assert len(events) == before + 2
    event = events[-1]
    assert event.action == "view_customer_card"
    assert event.actor_id == person_id(CLERK)
    assert event.acting_as == "clerk"
    assert event.purpose == "phone call"
    assert event.subject_person_id == person_id(MARI)
    assert (event.object_type, event.object_id) == ("customer", str(customer))


def test_the_admin_acts_as_admin(login: Login) -> None:
    admin = with_purpose(login, ADMIN)
    admin.get(f"/staff/customers/{customer_id_of(MARI)}")
    assert audit_events("view_customer_card")[-1].acting_as == "admin"


def test_a_company_card_has_no_person_subject(login: Login) -> None:
    clerk = with_purpose(login, customer=KODU_HALDUS)
    page = html(clerk.get(f"/staff/customers/{customer_id_of(KODU_HALDUS)}"))
    assert "Kodu Haldus OÜ" in page and "Kati Kask" in page  # the board member
    assert "Peeter Paju" in page  # a user at one of the sites
    (event,) = audit_events("view_customer_card")
    assert event.subject_person_id is None


def test_the_customer_card_shows_everything_the_desk_needs(clerk: FlaskClient) -> None:
    with clerk.session_transaction() as session:
        session["lang"] = "et"  # to see the decimal comma
    page = html(clerk.get(f"/staff/customers/{customer_id_of(MARI)}"))
    the_meter = meter()
    for text in (MARI, "mari.maasikas@example.com", "+372 5550 0217", MARIS_CONTRACT,
                 "01.03.2019", "Kaevu tn 12", "34901:005:0123", MARIS_SITE, MARIS_METER,
                 "SV-104512", "Toomas Tuul", 'id="no-documents"'):
        assert text in page, text
    assert the_meter.verified_until.strftime("%d.%m.%Y") in page
    table = page.split(f'id="meter-{the_meter.id}"', 1)[1].split("</table>", 1)[0]
    assert table.count('<tr id="reading-') == 12  # the last twelve
    last = last_reading(the_meter.id)
    assert f'id="reading-{last.id}"' in table
    assert f'href="/staff/readings/{last.id}/correct"' in table
    assert f'href="/staff/meters/{the_meter.id}/readings/new"' in page
    assert re.search(r"\d,\d{3}</td>", table)  # the decimal comma


def test_the_inspector_gets_no_correct_links(login: Login) -> None:
    inspector = with_purpose(login, INSPECTOR)
    page = html(inspector.get(f"/staff/customers/{customer_id_of(MARI)}"))
    assert "/correct" not in page
    assert f'href="/staff/meters/{meter().id}/readings/new"' in page


def test_the_person_card(login: Login) -> None:
    clerk = login(CLERK)
    kati = person_id(KATI)
    assert clerk.get(f"/staff/persons/{kati}").status_code == 302
    give_purpose(clerk, "person", kati, "other", "Checking who leads the company")
    page = html(clerk.get(f"/staff/persons/{kati}"))
    assert KATI in page and "Kati" in page and "Kask" in page
    assert "kati.kask@koduhaldus.example" in page
    assert f'href="/staff/customers/{customer_id_of(KODU_HALDUS)}"' in page
    assert "Tallinna tn 62" in page  # a site role
    (event,) = audit_events("view_person_card")
    assert event.subject_person_id == kati
    assert event.purpose == "Checking who leads the company"
    staff_page = html(with_purpose_person(clerk, person_id(INSPECTOR)))
    assert '<li data-role="inspector">' in staff_page


def with_purpose_person(client: FlaskClient, person: int) -> Any:
    give_purpose(client, "person", person)
    return client.get(f"/staff/persons/{person}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the purpose."),
        ({"purpose": "gossip"}, "Choose one of the purposes listed."),
        ({"purpose": "other"}, "Describe the purpose when you choose “other”."),
        ({"purpose": "other", "details": "   \x00 "}, "Describe the purpose"),
        ({"purpose": "other", "details": "x" * 301}, "Use at most 300 characters."),
    ],
)
def test_a_wrong_purpose_is_explained_and_nothing_is_kept(
    login: Login, data: dict[str, str], message: str
) -> None:
    clerk = login(CLERK)
    customer = customer_id_of(MARI)
    response = post_form(clerk, f"/staff/purpose?kind=customer&id={customer}", data)
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'class="error-summary"' in page and 'class="field-error"' in page
    assert clerk.get(f"/staff/customers/{customer}").status_code == 302


def test_a_listed_purpose_with_details_keeps_both(login: Login) -> None:
    clerk = login(CLERK)
    customer = customer_id_of(MARI)
    give_purpose(clerk, "customer", customer, "billing_question", "invoice 2024-05 \x00")
    clerk.get(f"/staff/customers/{customer}")
    assert audit_events("view_customer_card")[0].purpose == "billing question: invoice 2024-05"


def test_a_long_purpose_fits_the_audit_trail(login: Login) -> None:
    clerk = login(CLERK)
    customer = customer_id_of(MARI)
    give_purpose(clerk, "customer", customer, "written_request", "ä" * 300)
    assert clerk.get(f"/staff/customers/{customer}").status_code == 200
    purpose = audit_events("view_customer_card")[0].purpose
    assert len(purpose) == 300 and purpose.startswith("customer's written request: ä")


@pytest.mark.parametrize(
    "query",
    ["kind=customer&id=999999", "kind=person&id=999999", "kind=site&id=1", "kind=customer&id=x",
     "kind=customer", "id=1", "kind=customer&id=99999999999999999999999", "kind=customer&id=-1",
     "kind=customer&id=%D9%A1"],
)
def test_the_purpose_page_for_nothing_is_not_found(login: Login, query: str) -> None:
    assert login(CLERK).get(f"/staff/purpose?{query}").status_code == 404


def test_the_purpose_page_never_sends_elsewhere(login: Login) -> None:
    clerk = login(CLERK)
    customer = customer_id_of(MARI)
    url = f"/staff/purpose?kind=customer&id={customer}&next=https://evil.example/"
    token = csrf_token_from(html(clerk.get(url)))
    response = clerk.post(url, data={"csrf_token": token, "purpose": "phone_call"})
    assert response.headers["Location"] == f"/staff/customers/{customer}"


@pytest.mark.parametrize(
    "path",
    ["/staff/customers/999999", "/staff/persons/999999", "/staff/meters/999999/readings/new",
     "/staff/readings/999999/correct", "/staff/customers/99999999999999999999999",
     "/staff/readings/99999999999999999999999/correct"],
)
def test_unknown_ids_are_not_found(clerk: FlaskClient, path: str) -> None:
    assert clerk.get(path).status_code == 404


# --------------------------------------------------------------------------- entering a reading


def enter_url(meter_id: int) -> str:
    return f"/staff/meters/{meter_id}/readings/new"


def test_the_clerk_enters_a_reading_for_the_customer(clerk: FlaskClient) -> None:
    the_meter = meter()
    last = last_reading(the_meter.id)
    form = html(clerk.get(enter_url(the_meter.id)))
    today = today_in_tallinn()
    assert f'value="{today.isoformat()}"' in form  # today by default
    value = last.value + Decimal("4.5")
    response = post_form(clerk, enter_url(the_meter.id), {
        "value": f"{value}".replace(".", ","), "reading_date": today.isoformat()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/customers/{customer_id_of(MARI)}"
    new = last_reading(the_meter.id)
    assert new.id != last.id
    assert (new.value, new.reading_date, new.channel) == (value, today, ReadingChannel.STAFF)
    assert new.submitted_by_id == person_id(CLERK)
    (event,) = audit_events("enter_reading")
    assert event.acting_as == "clerk"
    assert event.subject_person_id == person_id(MARI)
    assert event.purpose == "phone call"
    assert event.after == {"meter": MARIS_METER, "value": str(value), "date": today.isoformat()}
    card = html(clerk.get(response.headers["Location"]))
    assert f"The reading of meter {MARIS_METER} was saved." in card


def test_a_reading_equal_to_the_last_one_is_accepted(clerk: FlaskClient) -> None:
    the_meter = meter()
    last = last_reading(the_meter.id)
    response = post_form(clerk, enter_url(the_meter.id), {
        "value": str(last.value), "reading_date": last.reading_date.strftime("%d.%m.%Y")})
    assert response.status_code == 303


def test_entering_a_reading_needs_a_purpose_for_that_customer(login: Login) -> None:
    clerk = login(CLERK)
    the_meter = meter()
    response = clerk.get(enter_url(the_meter.id))
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/staff/purpose?kind=customer&id={customer_id_of(MARI)}&next={enter_url(the_meter.id)}"
    )


def invalid_values() -> list[Any]:
    return [
        pytest.param("", "Enter the reading.", id="empty"),
        pytest.param("   ", "Enter the reading.", id="blank"),
        pytest.param("abc", "Enter the reading as a number", id="letters"),
        pytest.param("1e309", "Enter the reading as a number", id="exponent"),
        pytest.param("NaN", "Enter the reading as a number", id="nan"),
        pytest.param("Infinity", "Enter the reading as a number", id="infinity"),
        pytest.param("-1", "A reading cannot be negative.", id="negative"),
        pytest.param("1,2345", "Use at most three decimal places.", id="decimals"),
        pytest.param("1.2.3", "Enter the reading as a number", id="two-points"),
        pytest.param("١٢٣", "Enter the reading as a number", id="arabic-digits"),
        pytest.param("１２３", "Enter the reading as a number", id="full-width-digits"),
        pytest.param("9" * 10, "The number is too large", id="too-large"),
        pytest.param("9" * 10000, "The number is too large", id="very-long"),
        pytest.param("12\x00", "Enter the reading as a number", id="nul"),
        pytest.param("1", "cannot be lower than the last one", id="below-last"),
    ]


@pytest.mark.parametrize(("value", "message"), invalid_values())
def test_a_wrong_value_is_explained_and_nothing_is_written(
    clerk: FlaskClient, value: str, message: str
) -> None:
    the_meter = meter()
    count, events = reading_count(), len(audit_events())
    response = post_form(clerk, enter_url(the_meter.id), {
        "value": value, "reading_date": today_in_tallinn().isoformat()})
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'class="error-summary"' in page and 'id="value-error"' in page
    assert reading_count() == count and len(audit_events()) == events


def invalid_dates() -> list[Any]:
    today = dt.date.today()
    return [
        pytest.param("", "Enter the date of the reading.", id="empty"),
        pytest.param("yesterday", "Enter the date as dd.mm.yyyy.", id="words"),
        pytest.param("2024-02-30", "Enter the date as dd.mm.yyyy.", id="no-such-day"),
        pytest.param("9" * 5000, "Enter the date as dd.mm.yyyy.", id="very-long"),
        pytest.param("１２.０１.２０２４", "Enter the date as dd.mm.yyyy.", id="full-width"),
        pytest.param((today + dt.timedelta(days=2)).isoformat(), "cannot be in the future",
                     id="future"),
        pytest.param("01.01.2010", "The meter was installed on 01.03.2019", id="before-meter"),
        pytest.param("01.06.2020", "The meter's last reading is dated", id="before-last"),
    ]


@pytest.mark.parametrize(("day", "message"), invalid_dates())
def test_a_wrong_date_is_explained_and_nothing_is_written(
    clerk: FlaskClient, day: str, message: str
) -> None:
    the_meter = meter()
    value = last_reading(the_meter.id).value + 1
    count = reading_count()
    response = post_form(clerk, enter_url(the_meter.id), {"value": str(value),
                                                          "reading_date": day})
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'id="reading_date-error"' in page
    assert reading_count() == count


def test_no_reading_for_a_removed_meter(clerk: FlaskClient) -> None:
    the_meter = meter()
    url = enter_url(the_meter.id)
    token = csrf_token_from(html(clerk.get(url)))
    the_meter.status = MeterStatus.REMOVED
    db.session.commit()
    assert "This meter has been removed" in html(clerk.get(url))
    count = reading_count()
    response = clerk.post(url, data={"csrf_token": token, "value": "999999",
                                     "reading_date": today_in_tallinn().isoformat()})
    assert response.status_code == 200 and "This meter has been removed" in html(response)
    assert reading_count() == count


def test_a_post_without_the_csrf_token_writes_nothing(clerk: FlaskClient) -> None:
    count = reading_count()
    response = clerk.post(enter_url(meter().id), data={"value": "999999",
                                                      "reading_date": "2020-01-01"})
    assert response.status_code == 400
    assert reading_count() == count


def test_the_inspector_may_enter_a_reading(login: Login) -> None:
    inspector = with_purpose(login, INSPECTOR)
    the_meter = meter()
    value = last_reading(the_meter.id).value + 1
    response = post_form(inspector, enter_url(the_meter.id), {
        "value": str(value), "reading_date": today_in_tallinn().isoformat()})
    assert response.status_code == 303
    assert audit_events("enter_reading")[0].acting_as == "inspector"


# --------------------------------------------------------------------------- correcting a reading


def correct_url(reading_id: int) -> str:
    return f"/staff/readings/{reading_id}/correct"


def test_a_correction_keeps_the_old_value_and_marks_it(clerk: FlaskClient) -> None:
    the_meter = meter()
    old = last_reading(the_meter.id)
    old_id, old_value = old.id, old.value
    new_value = old_value + Decimal("0.25")
    response = post_form(clerk, correct_url(old_id), {
        "value": str(new_value), "reason": "Customer read the wrong digit"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/customers/{customer_id_of(MARI)}"
    db.session.expire_all()
    old = db.session.get(Reading, old_id)
    new = db.session.get(Reading, old.replaced_by_id)
    assert old.value == old_value  # kept
    assert not old.is_current
    assert (new.meter_id, new.reading_date, new.value) == (the_meter.id, old.reading_date,
                                                           new_value)
    assert new.channel == ReadingChannel.STAFF
    assert new.correction_reason == "Customer read the wrong digit"
    assert new.submitted_by_id == person_id(CLERK)
    (event,) = audit_events("correct_reading")
    assert event.acting_as == "clerk"
    assert event.subject_person_id == person_id(MARI)
    assert event.purpose == "phone call"
    assert event.before == {"value": str(old_value)}
    assert event.after == {"value": str(new_value), "reason": "Customer read the wrong digit",
                           "replaced_by": new.id}
    card = html(clerk.get(response.headers["Location"]))
    row = card.split(f'id="reading-{old_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="replaced"' in row and "/correct" not in row
    new_row = card.split(f'id="reading-{new.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Customer read the wrong digit" in new_row


def test_a_replaced_reading_cannot_be_corrected_again(clerk: FlaskClient) -> None:
    old = last_reading(meter().id)
    post_form(clerk, correct_url(old.id), {"value": str(old.value + 1), "reason": "wrong digit"})
    count = reading_count()
    response = clerk.get(correct_url(old.id))
    assert response.status_code == 303
    assert "This reading has already been corrected." in html(clerk.get(response.headers[
        "Location"]))
    token = csrf_token_from(html(clerk.get("/staff/")))
    response = clerk.post(correct_url(old.id), data={
        "csrf_token": token, "value": str(old.value + 2), "reason": "wrong digit again"})
    assert response.status_code == 303
    assert reading_count() == count


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason for the correction."),
        ("   ", "Write between 5 and 500 characters."),
        ("typo", "Write between 5 and 500 characters."),
        ("x" * 501, "Write between 5 and 500 characters."),
    ],
)
def test_a_correction_needs_a_reason(clerk: FlaskClient, reason: str, message: str) -> None:
    old = last_reading(meter().id)
    count = reading_count()
    response = post_form(clerk, correct_url(old.id), {"value": str(old.value + 1),
                                                      "reason": reason})
    assert response.status_code == 200
    assert message in html(response) and 'id="reason-error"' in html(response)
    assert reading_count() == count and audit_events("correct_reading") == []


def test_a_correction_stays_between_its_neighbours(clerk: FlaskClient) -> None:
    readings = current_readings(meter().id)
    previous, middle, following = readings[-3], readings[-2], readings[-1]
    count = reading_count()
    page = html(post_form(clerk, correct_url(middle.id), {
        "value": str(previous.value - Decimal("0.001")), "reason": "meter misread"}))
    assert "cannot be lower than the one before it" in page
    page = html(post_form(clerk, correct_url(middle.id), {
        "value": str(following.value + Decimal("0.001")), "reason": "meter misread"}))
    assert "cannot be higher than the one after it" in page
    page = html(post_form(clerk, correct_url(middle.id), {
        "value": str(middle.value), "reason": "meter misread"}))
    assert "The correct reading is the same as the old one." in page
    assert reading_count() == count
    response = post_form(clerk, correct_url(middle.id), {
        "value": str(following.value), "reason": "meter misread"})  # equal is allowed
    assert response.status_code == 303


@pytest.mark.parametrize(("value", "message"), invalid_values()[2:-1])
def test_a_wrong_corrected_value_is_explained(
    clerk: FlaskClient, value: str, message: str
) -> None:
    old = last_reading(meter().id)
    count = reading_count()
    response = post_form(clerk, correct_url(old.id), {"value": value,
                                                      "reason": "meter misread"})
    assert response.status_code == 200
    assert message in html(response) and 'id="value-error"' in html(response)
    assert reading_count() == count


def test_the_inspector_cannot_correct(login: Login) -> None:
    inspector = with_purpose(login, INSPECTOR)
    old = last_reading(meter().id)
    assert inspector.get(correct_url(old.id)).status_code == 404
    token = csrf_token_from(html(inspector.get("/staff/")))
    response = inspector.post(correct_url(old.id), data={
        "csrf_token": token, "value": str(old.value + 1), "reason": "meter misread"})
    assert response.status_code == 404
    assert last_reading(meter().id).id == old.id


def test_the_admin_may_correct(login: Login) -> None:
    admin = with_purpose(login, ADMIN)
    old = last_reading(meter().id)
    response = post_form(admin, correct_url(old.id), {"value": str(old.value + 1),
                                                      "reason": "meter misread"})
    assert response.status_code == 303
    assert audit_events("correct_reading")[0].acting_as == "admin"


def test_correcting_needs_a_purpose_for_that_customer(login: Login) -> None:
    clerk = login(CLERK)
    old = last_reading(meter().id)
    response = clerk.get(correct_url(old.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/purpose?kind=customer")


def test_a_smart_meter_reading_is_corrected_within_its_hour(login: Login) -> None:
    clerk = with_purpose(login, customer=KODU_HALDUS)
    smart = meter("00456001")
    readings = db.session.scalars(
        select(Reading).where(Reading.meter_id == smart.id)
        .order_by(Reading.measured_at.desc()).limit(3)
    ).all()
    following, middle, previous = readings
    page = html(post_form(clerk, correct_url(middle.id), {
        "value": str(following.value + 1), "reason": "meter misread"}))
    assert "cannot be higher than the one after it" in page
    response = post_form(clerk, correct_url(middle.id), {
        "value": str(previous.value), "reason": "meter misread"})
    assert response.status_code == 303
    db.session.expire_all()
    new = db.session.get(Reading, db.session.get(Reading, middle.id).replaced_by_id)
    assert new.measured_at == middle.measured_at


# --------------------------------------------------------------------------- who may


def staff_routes() -> list[tuple[str, str]]:
    return [
        ("GET", "/staff/search?q=Maasikas"),
        ("GET", "/staff/purpose?kind=customer&id={customer}"),
        ("POST", "/staff/purpose?kind=customer&id={customer}"),
        ("GET", "/staff/customers/{customer}"),
        ("GET", "/staff/persons/{person}"),
        ("GET", "/staff/meters/{meter}/readings/new"),
        ("POST", "/staff/meters/{meter}/readings/new"),
        ("GET", "/staff/readings/{reading}/correct"),
        ("POST", "/staff/readings/{reading}/correct"),
    ]


def fill(path: str) -> str:
    the_meter = meter()
    return path.format(customer=customer_id_of(MARI), person=person_id(MARI),
                       meter=the_meter.id, reading=last_reading(the_meter.id).id)


@pytest.mark.parametrize("code", [MARI, KATI, PEETER])
@pytest.mark.parametrize(("method", "path"), staff_routes())
def test_customers_find_no_staff_route(login: Login, code: str, method: str, path: str) -> None:
    client = login(code)
    url = fill(path)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token_from(html(client.get("/rules")))
        response = client.post(url, data={"csrf_token": token, "purpose": "phone_call",
                                          "value": "999999", "reading_date": "2020-01-01",
                                          "reason": "a reason given"})
    assert response.status_code == 404
    assert audit_events() == []


@pytest.mark.parametrize(("method", "path"), staff_routes())
def test_anonymous_visitors_are_sent_to_log_in(
    app: Flask, demo: None, client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(fill(path), method=method)
    if method == "POST":  # refused for the missing token before anything else
        assert response.status_code in (302, 400)
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_maris_data_access_page_shows_the_clerk_and_the_purpose(
    clerk: FlaskClient, login: Login
) -> None:
    clerk.get(f"/staff/customers/{customer_id_of(MARI)}")
    clerk.get(f"/staff/search?q={MARIS_METER}")
    page = html(login(MARI).get("/my/data-access"))
    assert "Liis Lepp" in page and "phone call" in page
    assert page.count("<tr>") == 2  # the header and the card view; the search has no subject
    site = db.session.scalar(select(Site).where(Site.code == MARIS_SITE))
    assert site is not None
