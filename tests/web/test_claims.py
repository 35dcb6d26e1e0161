"""Claims about invoices (issue 11 item 7; KEE §43(1)): the customer's claim within 10
working days of receiving the invoice, the staff queue with the answer's deadline,
rejection, and acceptance with a credit note that settles the invoice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, current_app, render_template
from flask.testing import FlaskClient
from flask_mail import Message
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import ADMIN, CLERK, INSPECTOR, JAAN, KATI, MARI, PEETER, csrf_token_from
from webapp.blueprints.claims import routes as claim_routes
from webapp.domain import billing
from webapp.domain.billing import claim_answer_until, claim_until
from webapp.extensions import db, mail
from webapp.models import (
    AuditEvent,
    Claim,
    ClaimStatus,
    DocumentCounter,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentStatus,
    Person,
    Prepayment,
    PrepaymentKind,
    ServiceContract,
    SiteRole,
    SiteRoleKind,
    Utility,
)
from webapp.services import claims as service
from webapp.services import invoices
from webapp.services.access import actor_for_person
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]

# A worked example over Christmas: an invoice issued (and so received) on Friday
# 19.12.2025. The working days after it: 22.12 (1), 23.12 (2); 24, 25 and 26.12 are
# public holidays and 27-28.12 a weekend; 29.12 (3), 30.12 (4), 31.12 (5); 1.1 is a
# holiday; 2.1.2026 (6), 5.1 (7), 6.1 (8), 7.1 (9), 8.1 (10): the last day for a claim.
# 9.1.2026 is the 11th working day.
CHRISTMAS_INVOICE = dt.date(2025, 12, 19)
LAST_DAY = dt.date(2026, 1, 8)
ELEVENTH_WORKING_DAY = dt.date(2026, 1, 9)
MARIS, KODU_HALDUS = "L-2019-0001", "L-2019-0003"


def test_the_claim_deadline_over_christmas() -> None:
    assert claim_until(CHRISTMAS_INVOICE) == LAST_DAY
    # The answer: 10 working days from the day after the claim; a claim on the last
    # day, Thursday 8.1.2026, is answered by Thursday 22.1.2026 (no holidays between).
    assert claim_answer_until(LAST_DAY) == dt.date(2026, 1, 22)


def test_the_claim_deadline_over_easter() -> None:
    # Received on Tuesday 31.3.2026: 1.4 (1), 2.4 (2); Good Friday 3.4 is a holiday and
    # 4-5.4 a weekend (Easter Sunday a holiday too); Easter Monday 6.4 is a working
    # day in Estonia (3), 7.4 (4), 8.4 (5), 9.4 (6), 10.4 (7), 13.4 (8), 14.4 (9),
    # 15.4 (10).
    assert claim_until(dt.date(2026, 3, 31)) == dt.date(2026, 4, 15)


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[Message]]:
    with mail.record_messages() as messages:
        yield messages


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.date], None]:
    """Fix the day the claims pages take as today."""

    def set_today(day: dt.date) -> None:
        monkeypatch.setattr(claim_routes, "today_in_tallinn", lambda: day)

    return set_today


def contract(number: str) -> ServiceContract:
    found = db.session.scalar(select(ServiceContract).where(ServiceContract.number == number))
    assert found is not None
    return found


def utility() -> Utility:
    found = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    assert found is not None
    return found


Line = tuple[LineKind, str, str, str]  # kind, quantity, unit price, VAT rate


def make_invoice(number: str = MARIS, *, issued_on: dt.date | None = CHRISTMAS_INVOICE,
                 month: dt.date = dt.date(2025, 11, 1), lines: list[Line] | None = None,
                 prepayment: Decimal = Decimal("0.00")) -> Invoice:
    """An invoice of the contract for ``month``, issued on ``issued_on`` (a draft with
    None), its sums computed by the billing rules."""
    lines = lines or [(LineKind.WATER, "10", "2.0000", "24"),
                      (LineKind.SEWER, "10", "1.5000", "24"),
                      (LineKind.FIXED_FEE, "1", "10.0000", "9")]
    the_contract = contract(number)
    rule_lines = [billing.InvoiceLine(kind.value, Decimal(quantity), "MTQ", Decimal(price),
                                      Decimal(rate)) for kind, quantity, price, rate in lines]
    totals = billing.invoice_totals(rule_lines, prepayment)
    period_end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1)
    invoice = Invoice(
        customer_id=the_contract.customer_id, contract_id=the_contract.id,
        period_start=month, period_end=period_end, net=totals.net, vat=totals.vat,
        gross=totals.gross, prepayment_applied=totals.prepayment_applied,
        payable=totals.payable,
        lines=[InvoiceLine(position=position, kind=kind, first_day=month, last_day=period_end,
                           quantity=rule.quantity, unit=rule.unit, unit_price=rule.unit_price,
                           vat_rate=rule.vat_rate, net=rule.net)
               for position, ((kind, *_rest), rule) in enumerate(zip(lines, rule_lines,
                                                                     strict=True), start=1)])
    db.session.add(invoice)
    db.session.flush()
    if issued_on is not None:
        invoices.issue(invoice, issued_on=issued_on, actor_id=None, utility=utility())
    db.session.commit()
    return invoice


def claim_url(invoice: Invoice) -> str:
    return f"/my/invoices/{invoice.id}/claim"


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def claims() -> list[Claim]:
    db.session.expire_all()
    return list(db.session.scalars(select(Claim).order_by(Claim.id)))


def open_claim(invoice: Invoice, text: str = "The water line is wrong: 10 m³ billed, "
               "the meter shows 4.", day: dt.date = LAST_DAY, by: str = MARI) -> Claim:
    """A claim made through the service, as if on ``day``."""
    person = db.session.scalar(select(Person).where(Person.personal_code == by))
    assert person is not None
    with current_app.test_request_context():
        claim = service.make_claim(actor_for_person(person), person, invoice, text, day)
    db.session.commit()
    return claim


def reload(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    found = db.session.get(Invoice, invoice.id)
    assert found is not None
    return found


# --------------------------------------------------------------------------- the customer


def test_the_form_says_until_when_a_claim_can_be_made(login: Login, today: Any) -> None:
    invoice = make_invoice()
    today(dt.date(2026, 1, 5))
    page = login(MARI).get(claim_url(invoice))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "counts as received on its issue date, 19.12.2025" in html
    assert "a claim can be made until 08.01.2026" in html
    assert 'data-testid="send-claim"' in html


def test_a_claim_made_on_the_11th_working_day_is_refused_with_the_reason(
        login: Login, today: Any) -> None:
    invoice = make_invoice()
    mari = login(MARI)
    today(ELEVENTH_WORKING_DAY)
    page = mari.get(claim_url(invoice)).get_data(as_text=True)
    assert 'data-testid="claim-closed"' in page and 'data-testid="send-claim"' not in page
    token = csrf_token_from(page)
    response = mari.post(claim_url(invoice), data={
        "csrf_token": token, "text": "The water line is wrong."})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("The time for a claim about this invoice ended on 08.01.2026: a claim can be made "
            "within 10 working days of receiving the invoice (KEE §43(1))") in html
    assert claims() == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "make_invoice_claim")) == 0


def test_a_claim_on_the_10th_working_day_is_received(login: Login, today: Any) -> None:
    invoice = make_invoice()
    mari = login(MARI)
    today(LAST_DAY)
    response = post(mari, claim_url(invoice), {"text": "  The water line is wrong.  "})
    assert response.status_code == 303
    (claim,) = claims()
    assert claim.status is ClaimStatus.OPEN and claim.text == "The water line is wrong."
    assert claim.received_on == LAST_DAY
    assert claim.answer_until == dt.date(2026, 1, 22)  # KEE §43(1), Claim.answer_until
    assert claim.customer_id == invoice.customer_id
    page = mari.get(claim_url(invoice)).get_data(as_text=True)
    assert 'data-testid="open-claim"' in page and "22.01.2026" in page
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "make_invoice_claim"))
    assert event is not None and event.acting_as == "owner"


def test_one_open_claim_per_invoice(login: Login, today: Any) -> None:
    invoice = make_invoice()
    mari = login(MARI)
    today(dt.date(2026, 1, 5))
    page = mari.get(claim_url(invoice)).get_data(as_text=True)
    assert post(mari, claim_url(invoice), {"text": "First."}).status_code == 303
    # The second, from a form opened before the first was sent.
    again = mari.post(claim_url(invoice), data={"csrf_token": csrf_token_from(page),
                                                "text": "Second."})
    assert again.status_code == 422
    assert "There is already an open claim about this invoice" in again.get_data(as_text=True)
    assert [claim.text for claim in claims()] == ["First."]


def test_two_claims_at_once_meet_the_unique_index(app: Flask, demo: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = make_invoice()
    first = open_claim(invoice, "First.")
    # As if the second request had looked before the first was saved.
    monkeypatch.setattr(service, "open_claim_of", lambda _invoice: None)
    with pytest.raises(service.ClaimRefusal, match="already"):
        open_claim(invoice, "Second.")
    db.session.rollback()
    assert [claim.id for claim in claims()] == [first.id]
    # The index itself (uq_invoice_claim_open): not even a direct insert gets through.
    db.session.add(Claim(invoice_id=invoice.id, customer_id=invoice.customer_id,
                         made_by_id=first.made_by_id, received_on=LAST_DAY,
                         answer_until=LAST_DAY, text="Third."))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("text", ["", "   ", "x" * (service.TEXT_MAX + 1)])
def test_a_claim_needs_a_text_of_sensible_length(login: Login, today: Any, text: str) -> None:
    invoice = make_invoice()
    today(dt.date(2026, 1, 5))
    response = post(login(MARI), claim_url(invoice), {"text": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("Describe what is wrong with the invoice." in html
            or "5000 characters" in html)
    assert claims() == []


def test_who_may_claim(login: Login, today: Any) -> None:
    today(dt.date(2026, 1, 5))
    maris = make_invoice()
    kodu = make_invoice(KODU_HALDUS)
    assert login(MARI).get(claim_url(maris)).status_code == 200
    assert login(MARI).get(claim_url(kodu)).status_code == 404
    # Kati owns all of Kodu Haldus's buildings; Peeter is only a user at one.
    assert login(KATI).get(claim_url(kodu)).status_code == 200
    assert login(PEETER).get(claim_url(kodu)).status_code == 404
    assert login(JAAN).get(claim_url(maris)).status_code == 404
    for staff in (CLERK, INSPECTOR, ADMIN):
        assert login(staff).get(claim_url(maris)).status_code == 404
    assert login(MARI).get("/my/invoices/999999/claim").status_code == 404


def test_a_manager_of_only_some_of_the_contracts_sites_may_not_claim(
        login: Login, today: Any) -> None:
    today(dt.date(2026, 1, 5))
    kodu = make_invoice(KODU_HALDUS)
    sites = contract(KODU_HALDUS).sites
    assert len(sites) > 1
    kati = db.session.scalar(select(Person).where(Person.personal_code == KATI))
    jaan = db.session.scalar(select(Person).where(Person.personal_code == JAAN))
    assert kati is not None and jaan is not None
    db.session.add(SiteRole(site_id=sites[0].id, person_id=jaan.id, role=SiteRoleKind.MANAGER,
                            given_by_id=kati.id, valid_from=dt.date(2020, 1, 1)))
    db.session.commit()
    assert login(JAAN).get(claim_url(kodu)).status_code == 404
    db.session.add_all([SiteRole(site_id=site.id, person_id=jaan.id, role=SiteRoleKind.MANAGER,
                                 given_by_id=kati.id, valid_from=dt.date(2020, 1, 1))
                        for site in sites[1:]])
    db.session.commit()
    assert login(JAAN).get(claim_url(kodu)).status_code == 200
    response = post(login(JAAN), claim_url(kodu), {"text": "Wrong."})
    assert response.status_code == 303
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "make_invoice_claim"))
    assert event is not None and event.acting_as == "manager"


def test_only_an_issued_invoice_can_be_claimed(login: Login, today: Any) -> None:
    today(dt.date(2026, 1, 5))
    draft = make_invoice(issued_on=None)
    assert login(MARI).get(claim_url(draft)).status_code == 404
    invoice = make_invoice(month=dt.date(2025, 10, 1))
    claim = open_claim(invoice, day=dt.date(2026, 1, 5))
    with_credit(claim, "Agreed.", Decimal("5.00"))
    note = reload(invoice)
    credit_note = db.session.scalar(select(Invoice).where(Invoice.credit_note_of_id == note.id))
    assert credit_note is not None
    assert login(MARI).get(claim_url(credit_note)).status_code == 404
    assert post(login(MARI), claim_url(draft), {"text": "x"}, claim_url(invoice)
                ).status_code == 404


# --------------------------------------------------------------------------- staff


def staff_actor(code: str = CLERK) -> Any:
    person = db.session.scalar(select(Person).where(Person.personal_code == code))
    assert person is not None
    from webapp.models import StaffRole

    roles = frozenset(role.role for role in db.session.scalars(
        select(StaffRole).where(StaffRole.person_id == person.id)))
    return actor_for_person(person, roles)


def with_credit(claim: Claim, answer: str, amount: Decimal | None,
                day: dt.date = dt.date(2026, 1, 12)) -> Invoice:
    with current_app.test_request_context():
        note = service.accept(staff_actor(), claim, answer, amount, day, utility())
    db.session.commit()
    return note


def test_the_queue_shows_open_claims_by_deadline(login: Login, today: Any) -> None:
    first = open_claim(make_invoice(), day=dt.date(2026, 1, 5))
    later = open_claim(make_invoice(month=dt.date(2025, 10, 1)), day=dt.date(2026, 1, 7))
    kodu = open_claim(make_invoice(KODU_HALDUS), by=KATI, day=dt.date(2026, 1, 6))
    answered = open_claim(make_invoice(month=dt.date(2025, 9, 1)), day=dt.date(2026, 1, 2))
    with current_app.test_request_context():
        service.reject(staff_actor(), answered, "The readings are right.")
    db.session.commit()
    assert first.answer_until == dt.date(2026, 1, 19)
    today(dt.date(2026, 1, 20))  # the first is overdue, the others not yet
    response = login(CLERK).get("/staff/claims")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    order = [html.index(f'data-claim="{claim.id}"') for claim in (first, kodu, later)]
    assert order == sorted(order)
    assert f'data-claim="{answered.id}"' not in html
    assert html.count('class="overdue"') == 1
    assert 'data-testid="open-count">3<' in html and 'data-testid="overdue-count">1<' in html
    every = login(CLERK).get("/staff/claims?status=").get_data(as_text=True)
    assert f'data-claim="{answered.id}"' in every
    rejected = login(CLERK).get("/staff/claims?status=rejected").get_data(as_text=True)
    assert f'data-claim="{answered.id}"' in rejected and f'data-claim="{first.id}"' not in rejected
    assert login(CLERK).get("/staff/claims?status=nonsense").status_code == 400


def test_the_queue_has_pages(login: Login, today: Any) -> None:
    the_contract = contract(MARIS)
    mari = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    assert mari is not None
    for month in range(26):
        invoice = make_invoice(month=dt.date(2020 + month // 12, month % 12 + 1, 1))
        db.session.add(Claim(invoice_id=invoice.id, customer_id=the_contract.customer_id,
                             made_by_id=mari.id, received_on=LAST_DAY,
                             answer_until=LAST_DAY + dt.timedelta(days=month), text="x"))
    db.session.commit()
    today(LAST_DAY)
    clerk = login(CLERK)
    first = clerk.get("/staff/claims").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count("data-claim=") == 25
    second = clerk.get("/staff/claims?page=2").get_data(as_text=True)
    assert second.count("data-claim=") == 1


def test_customers_and_inspectors_have_no_queue(login: Login) -> None:
    claim = open_claim(make_invoice(), day=dt.date(2026, 1, 5))
    for code in (MARI, KATI, PEETER, INSPECTOR):
        client = login(code)
        assert client.get("/staff/claims").status_code == 404
        assert client.get(f"/staff/claims/{claim.id}").status_code == 404
    assert login(ADMIN).get(f"/staff/claims/{claim.id}").status_code == 200


def test_the_claim_page_shows_the_invoice_and_is_audited(login: Login, today: Any) -> None:
    invoice = make_invoice()
    claim = open_claim(invoice, "The water line is wrong:\n10 m³ billed.",
                       day=dt.date(2026, 1, 5))
    today(dt.date(2026, 1, 6))
    response = login(CLERK).get(f"/staff/claims/{claim.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The water line is wrong:\n10 m³ billed." in html
    assert invoice.number is not None and invoice.number in html
    assert 'data-testid="invoice-gross">54.30<' in html  # 35.00 + 8.40 VAT, 10.00 + 0.90 VAT
    assert "Still creditable: 45.00 EUR net." in html
    assert "19.01.2026" in html  # the answer's deadline
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "view_invoice_claim"))
    assert event is not None
    assert event.purpose == "claim about an invoice" and event.acting_as == "clerk"
    assert event.subject_person_id == invoice.customer.person_id


def test_reject_needs_an_answer(login: Login, outbox: list[Message]) -> None:
    claim = open_claim(make_invoice(), day=dt.date(2026, 1, 5))
    clerk = login(CLERK)
    url = f"/staff/claims/{claim.id}"
    empty = post(clerk, url + "/reject", {"reject-answer": "  "}, url)
    assert empty.status_code == 422
    assert "Write the answer to the customer." in empty.get_data(as_text=True)
    assert claims()[0].status is ClaimStatus.OPEN
    response = post(clerk, url + "/reject", {"reject-answer": "The meter was read right."}, url)
    assert response.status_code == 303
    (saved,) = claims()
    assert saved.status is ClaimStatus.REJECTED and saved.answer == "The meter was read right."
    assert saved.answered_by_id is not None and saved.answered_at is not None
    assert saved.credit_note_id is None and not reload(saved.invoice).interest_waived
    assert reload(saved.invoice).status is InvoiceStatus.ISSUED
    # In the customer's language (Mari's is Estonian).
    assert len(outbox) == 1 and (saved.invoice.number or "-") in outbox[0].subject
    assert "The meter was read right." in outbox[0].body
    # Answered: a second answer is refused, nothing changes.
    again = post(clerk, url + "/accept", {"accept-answer": "Yes after all.",
                                          "accept-credit_in_full": "1"}, url)
    assert again.status_code == 422
    assert "already been answered" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.kind == InvoiceKind.CREDIT_NOTE)) == 0


def numbers_taken() -> int:
    db.session.expire_all()
    return sum(counter.last_number for counter in db.session.scalars(select(DocumentCounter)))


def test_accept_in_part_makes_a_credit_note_per_vat_rate(login: Login, outbox: list[Message],
                                                          today: Any) -> None:
    invoice = make_invoice()
    today(dt.date(2026, 1, 12))
    make_invoice(month=dt.date(2025, 12, 1), issued_on=dt.date(2026, 1, 2))
    taken = last_number(invoices.INVOICE_SERIES, 2026)
    assert (invoice.net, invoice.vat, invoice.gross) == (
        Decimal("45.00"), Decimal("9.30"), Decimal("54.30"))
    claim = open_claim(invoice, day=dt.date(2026, 1, 5))
    clerk = login(CLERK)
    url = f"/staff/claims/{claim.id}"
    response = post(clerk, url + "/accept", {"accept-answer": "6 m³ too much.",
                                             "accept-amount": "10,00",
                                             "accept-credit": "1"}, url)
    assert response.status_code == 303
    original = reload(invoice)
    saved = claims()[0]
    note = saved.credit_note
    assert note is not None
    assert saved.status is ClaimStatus.ACCEPTED and saved.credit_amount == Decimal("10.00")
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.credit_note_of_id == original.id
    # The next number in the invoices' series of the year it is issued.
    assert note.issued_on == dt.date(2026, 1, 12)
    assert note.number == invoices.invoice_number(2026, taken + 1) == "2026-000002"
    assert note.reference_number is not None and note.issued_on is not None
    # 10.00 pro rata to 35.00 at 24 % and 10.00 at 9 %: 7.78 and 2.22.
    assert [(line.kind, line.vat_rate, line.net) for line in note.lines] == [
        (LineKind.CREDIT, Decimal("9.00"), Decimal("-2.22")),
        (LineKind.CREDIT, Decimal("24.00"), Decimal("-7.78"))]
    # VAT per rate, half up: -7.78 x 24 % = -1.8672 -> -1.87; -2.22 x 9 % = -0.1998 -> -0.20.
    assert (note.net, note.vat, note.gross) == (
        Decimal("-10.00"), Decimal("-2.07"), Decimal("-12.07"))
    # Nothing was paid: the credit reduces what is open; nothing becomes a prepayment.
    assert original.status is InvoiceStatus.ISSUED
    assert original.paid_amount == Decimal("12.07")
    assert original.open_amount == Decimal("42.23")
    assert db.session.scalar(select(func.count()).select_from(Prepayment)) == 0
    assert note.status is InvoiceStatus.PAID and note.paid_on == note.issued_on
    assert original.interest_waived and "KEE §41(3)" in (original.interest_waived_reason or "")
    assert len(outbox) == 1 and note.number in outbox[0].body
    assert f"/my/invoices/{invoice.id}" in outbox[0].body
    page = clerk.get(url).get_data(as_text=True)
    assert 'data-testid="credit-note"' in page
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "accept_invoice_claim"))
    assert event is not None and event.after is not None
    assert event.after["credit_note"] == note.number


def test_accept_in_full_of_an_unpaid_invoice_cancels_it(login: Login) -> None:
    invoice = make_invoice()
    claim = open_claim(invoice, day=dt.date(2026, 1, 5))
    clerk = login(CLERK)
    url = f"/staff/claims/{claim.id}"
    response = post(clerk, url + "/accept", {"accept-answer": "The meter was someone else's.",
                                             "accept-amount": "",
                                             "accept-credit_in_full": "1"}, url)
    assert response.status_code == 303
    original = reload(invoice)
    note = claims()[0].credit_note
    assert note is not None and claims()[0].credit_amount == Decimal("45.00")
    assert (note.net, note.vat, note.gross) == (
        -original.net, -original.vat, -original.gross)
    assert sorted((line.vat_rate, line.net) for line in note.lines) == [
        (Decimal("9.00"), Decimal("-10.00")), (Decimal("24.00"), Decimal("-35.00"))]
    assert original.status is InvoiceStatus.CANCELLED and original.interest_waived
    assert db.session.scalar(select(func.count()).select_from(Prepayment)) == 0
    # The month may be billed again with a corrected invoice.
    corrected = make_invoice(lines=[(LineKind.WATER, "4", "2.0000", "24")])
    assert corrected.status is InvoiceStatus.ISSUED


def test_accept_of_a_paid_invoice_becomes_a_prepayment(login: Login) -> None:
    invoice = make_invoice()
    payment = Payment(account_iban="EE382200221020145685", entry_reference="E-1",
                      booked_on=dt.date(2026, 1, 2), amount=invoice.payable,
                      status=PaymentStatus.MATCHED, invoice_id=invoice.id,
                      customer_id=invoice.customer_id)
    db.session.add(payment)
    assert invoices.receive(invoice, invoice.payable, dt.date(2026, 1, 2)) == 0
    db.session.commit()
    claim = open_claim(invoice, day=dt.date(2026, 1, 5))
    url = f"/staff/claims/{claim.id}"
    response = post(login(CLERK), url + "/accept", {"accept-answer": "Agreed.",
                                                    "accept-credit_in_full": "1"}, url)
    assert response.status_code == 303
    original = reload(invoice)
    note = claims()[0].credit_note
    assert note is not None
    # Taken back in full: cancelled, so that a corrected invoice can be billed for its
    # month; the money paid on it is the customer's prepayment.
    assert original.status is InvoiceStatus.CANCELLED
    assert original.paid_on == dt.date(2026, 1, 2) and original.interest_waived
    (prepayment,) = db.session.scalars(select(Prepayment))
    assert prepayment.kind is PrepaymentKind.CREDIT_NOTE and prepayment.invoice_id == note.id
    assert prepayment.amount == Decimal("54.30") == -note.gross
    assert invoices.prepayment_balance(invoice.customer_id) == Decimal("54.30")


def test_a_partly_paid_invoice_is_settled_and_the_rest_prepaid(app: Flask, demo: None) -> None:
    invoice = make_invoice()
    invoices.receive(invoice, Decimal("50.00"), dt.date(2026, 1, 2))
    db.session.commit()
    note = with_credit(open_claim(invoice, day=dt.date(2026, 1, 5)), "Agreed.",
                       Decimal("20.00"))
    original = reload(invoice)
    # 20.00 net: 15.56 at 24 % (VAT 3.73) and 4.44 at 9 % (VAT 0.40): 24.13 in all; 4.30
    # was open, 19.83 is left over for the customer.
    assert note.gross == Decimal("-24.13")
    assert original.status is InvoiceStatus.PAID and original.paid_amount == original.payable
    assert original.paid_on == dt.date(2026, 1, 12)
    assert invoices.prepayment_balance(invoice.customer_id) == Decimal("19.83")


def test_a_second_claim_credits_only_what_is_left(app: Flask, demo: None) -> None:
    invoice = make_invoice()
    with_credit(open_claim(invoice, day=dt.date(2026, 1, 5)), "Part.", Decimal("30.00"))
    assert service.creditable(reload(invoice)) == Decimal("15.00")
    second = open_claim(invoice, "More is wrong.", day=dt.date(2026, 1, 7))
    with current_app.test_request_context(), pytest.raises(service.ClaimRefusal,
                                                           match="At most"):
        service.accept(staff_actor(), second, "All.", Decimal("15.01"), dt.date(2026, 1, 12),
                       utility())
    db.session.rollback()
    note = with_credit(claims()[1], "The rest.", None)
    assert note.net == Decimal("-15.00")
    original = reload(invoice)
    assert service.creditable(original) == 0
    # Taken back in full over two notes, no payment booked: cancelled.
    assert original.status is InvoiceStatus.CANCELLED
    assert invoices.prepayment_balance(invoice.customer_id) == Decimal("0.00")


@pytest.mark.parametrize(("amount", "message"), [
    ("-5", "more than zero"),
    ("0", "more than zero"),
    ("0,00", "more than zero"),
    ("45,01", "At most 45.00 EUR"),
    ("1000000", "At most 45.00 EUR"),
    ("99999999999", "too large"),
    ("12,345", "two decimal places"),
    ("abc", "Enter the amount in euros"),
    ("", "Enter the amount in euros"),
])
def test_bad_amounts_change_nothing(login: Login, outbox: list[Message], amount: str,
                                    message: str) -> None:
    invoice = make_invoice()
    claim = open_claim(invoice, day=dt.date(2026, 1, 5))
    taken = numbers_taken()
    url = f"/staff/claims/{claim.id}"
    response = post(login(CLERK), url + "/accept", {"accept-answer": "Agreed.",
                                                    "accept-amount": amount,
                                                    "accept-credit": "1"}, url)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert claims()[0].status is ClaimStatus.OPEN
    original = reload(invoice)
    assert original.paid_amount == 0 and not original.interest_waived
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.kind == InvoiceKind.CREDIT_NOTE)) == 0
    assert numbers_taken() == taken and outbox == []


def test_accept_needs_an_answer(login: Login) -> None:
    claim = open_claim(make_invoice(), day=dt.date(2026, 1, 5))
    url = f"/staff/claims/{claim.id}"
    response = post(login(CLERK), url + "/accept", {"accept-answer": "",
                                                    "accept-credit_in_full": "1"}, url)
    assert response.status_code == 422
    assert claims()[0].status is ClaimStatus.OPEN


def test_split_credit_adds_up_and_stays_within_each_rate() -> None:
    remaining = {Decimal("24"): Decimal("35.00"), Decimal("9"): Decimal("10.00"),
                 Decimal("0"): Decimal("0.00")}
    assert service.split_credit(Decimal("10.00"), remaining) == {
        Decimal("9"): Decimal("2.22"), Decimal("24"): Decimal("7.78")}
    assert service.split_credit(Decimal("45.00"), remaining) == {
        Decimal("9"): Decimal("10.00"), Decimal("24"): Decimal("35.00")}
    assert service.split_credit(Decimal("0.01"), remaining) == {Decimal("24"): Decimal("0.01")}
    # Thirds: 0.01 left over goes to the largest remainder (a tie: the higher rate).
    three = {Decimal("24"): Decimal("1.00"), Decimal("9"): Decimal("1.00"),
             Decimal("5"): Decimal("1.00")}
    assert service.split_credit(Decimal("1.00"), three) == {
        Decimal("5"): Decimal("0.33"), Decimal("9"): Decimal("0.33"),
        Decimal("24"): Decimal("0.34")}
    for bad in (Decimal("0"), Decimal("45.01"), Decimal("1.001")):
        with pytest.raises(ValueError, match="cannot split"):
            service.split_credit(bad, remaining)


def test_the_invoice_page_partial_lists_the_claims(app: Flask, demo: None) -> None:
    invoice = make_invoice()
    with_credit(open_claim(invoice, day=dt.date(2026, 1, 5)), "Agreed in part.",
                Decimal("10.00"))
    second = open_claim(invoice, "Still wrong.", day=dt.date(2026, 1, 7))
    with current_app.test_request_context():
        html = render_template("claims/_invoice_claims.html", invoice=reload(invoice))
    note = claims()[0].credit_note
    assert note is not None and note.number in html
    assert "Agreed in part." in html and "Still wrong." in html
    assert 'data-status="accepted"' in html and 'data-status="open"' in html
    assert f"answer due by {second.answer_until:%d.%m.%Y}" in html


def test_the_invoice_page_shows_its_claims(login: Login, today: Any) -> None:
    invoice = make_invoice()
    today(dt.date(2026, 1, 5))
    mari = login(MARI)
    page = mari.get(f"/my/invoices/{invoice.id}").get_data(as_text=True)
    assert 'data-testid="invoice-claims"' in page
    assert "can be made until 08.01.2026" in page
    open_claim(invoice, "The fixed fee is charged twice.", day=dt.date(2026, 1, 5))
    page = mari.get(f"/my/invoices/{invoice.id}").get_data(as_text=True)
    assert "The fixed fee is charged twice." in page and 'data-status="open"' in page
