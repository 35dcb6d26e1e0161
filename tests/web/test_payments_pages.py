"""The staff's payment pages (issue 11 item 4): the statement upload, the queue of
unmatched payments, matching by hand (confirmed first, audited), the list."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.camt053_builder import OTHER_IBAN, Booking, camt053
from tests.conftest import ADMIN, CLERK, INSPECTOR, MARI, csrf_token_from
from tests.invoice_factory import contract_of, line, make_invoice
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentStatus,
    Prepayment,
    PrepaymentKind,
)

Login = Callable[[str], FlaskClient]
KODU_HALDUS = "10123459"


def invoice(code: str = MARI, month: int = 10, unit_price: str = "10.0000") -> Invoice:
    first = dt.date(2026, month, 1)
    last = dt.date(2026, month + 1, 1) - dt.timedelta(days=1)
    made = make_invoice(contract_of(code), [line(LineKind.FIXED_FEE, "1.000", "MON", unit_price)],
                        period=(first, last), issued_on=dt.date(2026, month + 1, 3))
    db.session.commit()
    return made


def upload(client: FlaskClient, data: bytes | None, name: str = "statement.xml") -> Any:
    token = csrf_token_from(client.get("/staff/payments/import").get_data(as_text=True))
    form: dict[str, Any] = {"csrf_token": token}
    if data is not None:
        form["statement"] = (io.BytesIO(data), name)
    return client.post("/staff/payments/import", data=form,
                       content_type="multipart/form-data")


def payments() -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).order_by(Payment.id)))


def unmatched(client: FlaskClient, amount: str = "20.00", **fields: Any) -> Payment:
    """An unmatched payment, loaded through the page."""
    reference = f"U{len(payments()) + 1}"
    response = upload(client, camt053([Booking(reference, amount, **fields)],
                                      statement_id=reference))
    assert response.status_code == 200, response.get_data(as_text=True)
    (payment,) = [p for p in payments() if p.entry_reference == reference]
    assert payment.status is PaymentStatus.UNMATCHED
    return payment


def post(client: FlaskClient, url: str, **fields: str) -> Any:
    page = client.get(url.rsplit("/", 1)[0]).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token_from(page), **fields})


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --------------------------------------------------------------------------- upload


def test_a_clerk_loads_a_statement_and_sees_the_summary(login: Login) -> None:
    clerk = login(CLERK)
    bill = invoice()
    data = camt053([
        Booking("R1", bill.payable, reference_number=bill.reference_number),
        Booking("R2", "5.00", description="tundmatu"),
        Booking("D1", "9.00", credit=False, debtor_name="PUMBAHOOLDUS OÜ"),
    ])
    response = upload(clerk, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="import-summary"' in html
    assert 'data-testid="booked">2<' in html
    assert 'data-testid="matched">1<' in html
    assert 'data-testid="unmatched">1<' in html
    assert 'data-testid="already-loaded">0<' in html
    assert "PUMBAHOOLDUS OÜ" in html and "a debit (money out of the account)" in html
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID
    (event,) = events("import_bank_statement")
    assert event.acting_as == "clerk" and event.actor_id is not None
    # Loaded again: nothing is booked twice, and the page says so.
    again = upload(clerk, data).get_data(as_text=True)
    assert 'data-testid="booked">0<' in again
    assert 'data-testid="already-loaded">2<' in again
    assert len(payments()) == 2


@pytest.mark.parametrize(("data", "name", "message"), [
    pytest.param(None, "", "Choose the bank statement file.", id="no-file"),
    pytest.param(b"", "empty.xml", "The file is empty.", id="empty"),
    pytest.param(b"%PDF-1.4\n%%EOF\n", "statement.xml", "This file is not XML", id="pdf"),
    pytest.param(b"Kuupaev;Summa\n2026-12-02;10,00\n", "statement.xml", "This file is not XML",
                 id="csv"),
])
def test_a_file_that_is_no_xml_is_refused_on_the_form(login: Login, data: bytes | None,
                                                       name: str, message: str) -> None:
    response = upload(login(CLERK), data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert payments() == []


@pytest.mark.parametrize(("data", "message"), [
    pytest.param(b"<Document><BkToCstmrStmt>", "not well-formed XML", id="broken"),
    pytest.param(camt053([Booking("R1", "1.00")], iban=OTHER_IBAN),
                 "not of the utility&#39;s account", id="other-account"),
    pytest.param(camt053([Booking("R1", "1.00"), Booking("R2", "-1.00")]), "negative",
                 id="bad-entry"),
])
def test_a_statement_that_cannot_be_imported_lists_its_problems(
        login: Login, data: bytes, message: str) -> None:
    response = upload(login(CLERK), data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="import-problems"' in html
    assert "nothing was booked" in html
    assert message in html
    assert payments() == []
    assert events("import_bank_statement") == []


def test_a_file_over_the_limit_is_refused_with_its_reason(
        login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.blueprints.payments import routes

    clerk = login(CLERK)
    monkeypatch.setattr(routes, "MAX_BYTES", 1000)
    response = upload(clerk, b"<Document>" + b" " * 2000 + b"</Document>")
    assert response.status_code == 422
    assert "The file is larger than" in response.get_data(as_text=True)


def test_a_statement_larger_than_other_uploads_is_taken(login: Login) -> None:
    """The portal's request limit (MAX_CONTENT_LENGTH, 16 MB) is below a statement's
    (20 MB, the parser's): the upload has its own."""
    clerk = login(CLERK)
    limit = clerk.application.config["MAX_CONTENT_LENGTH"]
    padding = b"<!--" + b"x" * (limit + 1024) + b"-->"
    data = camt053([Booking("R1", "1.00")]).replace(b"<Document", padding + b"<Document", 1)
    token = csrf_token_from(clerk.get("/staff/payments/import").get_data(as_text=True))
    # Encoded in memory: the test client would spool so large a body to a file it
    # never closes.
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": token,
        "statement": FileStorage(io.BytesIO(data), "statement.xml")}))
    response = clerk.post("/staff/payments/import", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200, response.status_code
    assert [p.entry_reference for p in payments()] == ["R1"]


# --------------------------------------------------------------------------- queue


def test_the_queue_shows_unmatched_payments_oldest_first(login: Login) -> None:
    clerk = login(CLERK)
    upload(clerk, camt053([
        Booking("N1", "3.00", booked_on=dt.date(2026, 12, 2), debtor_name="UUS MAKSJA"),
        Booking("O1", "4.00", booked_on=dt.date(2026, 11, 20), debtor_name="VANA MAKSJA"),
    ]))
    html = clerk.get("/staff/payments/").get_data(as_text=True)
    assert 'data-testid="unmatched-count">2<' in html
    assert html.index("VANA MAKSJA") < html.index("UUS MAKSJA")
    assert "7,00" in html or "7.00" in html  # the sum waiting


def test_the_queue_pages(login: Login) -> None:
    clerk = login(CLERK)
    upload(clerk, camt053([Booking(f"P{n:02d}", "1.00", debtor_name=f"MAKSJA {n:02d}",
                                   booked_on=dt.date(2026, 11, 1) + dt.timedelta(days=n))
                           for n in range(30)]))
    first = clerk.get("/staff/payments/").get_data(as_text=True)
    second = clerk.get("/staff/payments/?page=2").get_data(as_text=True)
    assert "MAKSJA 00" in first and "MAKSJA 29" not in first
    assert "MAKSJA 29" in second and "MAKSJA 00" not in second


# --------------------------------------------------------------------------- by hand


def test_matching_by_hand_shows_the_invoice_first_then_books(login: Login) -> None:
    clerk = login(CLERK)
    bill = invoice(unit_price="40.0000")  # 49.60 EUR
    other = invoice(month=9)
    # Two invoices named: how to share the money is the staff's call.
    payment = unmatched(clerk, "60.00", description=f"arved {bill.number}, {other.number}",
                        reference_number="1232")
    page = clerk.get(f"/staff/payments/{payment.id}").get_data(as_text=True)
    assert 'data-testid="hints"' in page
    assert "The reference number 1232 is no issued invoice" in page
    assert f"{bill.number} (Mari Maasikas" in page and f"{other.number} (Mari Maasikas" in page
    url = f"/staff/payments/{payment.id}/match"
    confirm = post(clerk, url, invoice=bill.number or "")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Mari Maasikas" in html
    assert 'data-testid="open-amount">49,60 EUR' in html or \
        'data-testid="open-amount">49.60 EUR' in html
    assert "It is then paid in full." in html
    assert "10,40" in html or "10.40" in html  # to the prepayment
    assert payments()[0].status is PaymentStatus.UNMATCHED  # nothing yet
    # Mari's name and code were shown: the look is on the trail (her "who viewed my data").
    (look,) = events("view_customer_for_payment")
    assert look.subject_person_id == bill.customer.person_id and look.acting_as == "clerk"
    done = clerk.post(url, data={"csrf_token": csrf_token_from(html), "invoice": bill.number,
                                 "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/payments/")
    (payment,) = payments()
    assert payment.status is PaymentStatus.MATCHED
    assert payment.invoice_id == bill.id and payment.customer_id == bill.customer_id
    assert payment.matched_by_id is not None
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID and bill.paid_on == payment.booked_on
    (prepayment,) = db.session.scalars(select(Prepayment))
    assert prepayment.kind is PrepaymentKind.OVERPAYMENT
    assert prepayment.amount == Decimal("10.40") and prepayment.payment_id == payment.id
    (event,) = events("match_payment")
    assert event.acting_as == "clerk" and event.object_id == str(payment.id)
    assert event.subject_person_id == bill.customer.person_id
    assert event.purpose == "matching a bank payment"
    assert event.after is not None and event.after["invoice"] == bill.number
    shown = clerk.get(f"/staff/payments/{payment.id}").get_data(as_text=True)
    assert f"/staff/billing/invoices/{bill.id}" in shown and "By " in shown
    assert 'data-testid="find-invoice"' not in shown
    # The payment has left the queue; matching it again changes nothing.
    again = clerk.post(url, data={"csrf_token": csrf_token_from(html), "invoice": bill.number,
                                  "confirmed": "yes"})
    assert again.status_code == 303
    assert len(events("match_payment")) == 1


def test_matching_by_the_reference_number_too(login: Login) -> None:
    clerk = login(CLERK)
    bill = invoice()
    payment = unmatched(clerk, "5.00")
    html = post(clerk, f"/staff/payments/{payment.id}/match",
                invoice=bill.reference_number or "").get_data(as_text=True)
    assert bill.number in html and "stays open" in html  # a partial payment


@pytest.mark.parametrize(("text", "status", "message"), [
    ("", 422, "Enter the invoice's number or reference number."),
    ("2026-999999", 422, "No issued invoice has the number or reference number 2026-999999."),
    ("1232", 422, "No issued invoice has the number or reference number 1232."),
    ("arve", 422, "No issued invoice"),
])
def test_a_wrong_invoice_is_refused_on_the_form(login: Login, text: str, status: int,
                                                message: str) -> None:
    clerk = login(CLERK)
    invoice()
    payment = unmatched(clerk)
    response = post(clerk, f"/staff/payments/{payment.id}/match", invoice=text)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert payments()[0].status is PaymentStatus.UNMATCHED


def test_booking_to_a_customer_as_a_prepayment(login: Login) -> None:
    clerk = login(CLERK)
    payment = unmatched(clerk, "75.00", debtor_name="KODU HALDUS OÜ")
    url = f"/staff/payments/{payment.id}/prepay"
    confirm = post(clerk, url, customer_code=f" {KODU_HALDUS} ")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Kodu Haldus" in html
    assert db.session.scalar(select(func.count()).select_from(Prepayment)) == 0
    done = clerk.post(url, data={"csrf_token": csrf_token_from(html),
                                 "customer_code": KODU_HALDUS, "confirmed": "yes"})
    assert done.status_code == 303
    (payment,) = payments()
    assert payment.status is PaymentStatus.MATCHED and payment.invoice_id is None
    assert payment.customer_id == contract_of(KODU_HALDUS).customer_id
    (prepayment,) = db.session.scalars(select(Prepayment))
    assert prepayment.amount == Decimal("75.00") and prepayment.payment_id == payment.id
    (event,) = events("prepay_payment")
    assert event.after is not None and event.after["customer"] == KODU_HALDUS


@pytest.mark.parametrize(("code", "message"), [
    ("", "Enter the customer's personal or registry code."),
    ("abc", "Enter a personal code (11 digits) or a registry code (8 digits)."),
    ("38001010000", "No customer has the code 38001010000."),
])
def test_a_wrong_customer_code_is_refused_on_the_form(login: Login, code: str,
                                                      message: str) -> None:
    clerk = login(CLERK)
    payment = unmatched(clerk)
    response = post(clerk, f"/staff/payments/{payment.id}/prepay", customer_code=code)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert payments()[0].status is PaymentStatus.UNMATCHED


def test_setting_a_payment_aside_needs_a_note_and_a_confirmation(login: Login) -> None:
    clerk = login(CLERK)
    payment = unmatched(clerk, "300.00", debtor_name="PUMBAHOOLDUS OÜ")
    url = f"/staff/payments/{payment.id}/ignore"
    assert post(clerk, url, note="").status_code == 422
    short = post(clerk, url, note="viga")
    assert short.status_code == 422
    assert "Write 5 to 500 characters." in short.get_data(as_text=True)
    note = "Tarnija tagastus, mitte kliendi makse"
    confirm = post(clerk, url, note=note)
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert payments()[0].status is PaymentStatus.UNMATCHED
    done = clerk.post(url, data={"csrf_token": csrf_token_from(html), "note": note,
                                 "confirmed": "yes"})
    assert done.status_code == 303
    (payment,) = payments()
    assert payment.status is PaymentStatus.IGNORED and payment.note == note
    assert payment.customer_id is None
    (event,) = events("ignore_payment")
    assert event.after is not None and event.after["note"] == note
    assert event.subject_person_id is None
    page = clerk.get(f"/staff/payments/{payment.id}").get_data(as_text=True)
    assert note in page and 'data-testid="find-invoice"' not in page  # no forms any more


def test_a_payment_that_does_not_exist_is_not_found(login: Login) -> None:
    clerk = login(CLERK)
    assert clerk.get("/staff/payments/999999").status_code == 404
    assert clerk.get("/staff/payments/99999999999").status_code == 404


# --------------------------------------------------------------------------- list


def test_the_list_filters_by_status_and_text(login: Login) -> None:
    admin = login(ADMIN)
    bill = invoice()
    upload(admin, camt053([
        Booking("M1", bill.payable, reference_number=bill.reference_number,
                debtor_name="MARI MAASIKAS"),
        Booking("U1", "1.00", debtor_name="TUNDMATU MAKSJA"),
    ]))
    everything = admin.get("/staff/payments/list").get_data(as_text=True)
    assert "MARI MAASIKAS" in everything and "TUNDMATU MAKSJA" in everything
    matched = admin.get("/staff/payments/list?status=matched").get_data(as_text=True)
    assert "MARI MAASIKAS" in matched and "TUNDMATU MAKSJA" not in matched
    assert bill.number in matched
    found = admin.get("/staff/payments/list?q=tundmatu").get_data(as_text=True)
    assert "TUNDMATU MAKSJA" in found and "MARI MAASIKAS" not in found
    by_number = admin.get(f"/staff/payments/list?q={bill.number}").get_data(as_text=True)
    assert "MARI MAASIKAS" in by_number and "TUNDMATU MAKSJA" not in by_number
    partial = admin.get("/staff/payments/list?status=unmatched",
                        headers={"HX-Request": "true"})
    assert "HX-Request" in partial.headers["Vary"]
    html = partial.get_data(as_text=True)
    assert "<html" not in html and "TUNDMATU MAKSJA" in html
    assert admin.get("/staff/payments/list?status=nonsense").status_code == 400


# --------------------------------------------------------------------------- who


@pytest.mark.parametrize("code", [INSPECTOR, MARI])
def test_others_do_not_find_the_pages(login: Login, code: str) -> None:
    client = login(code)
    for url in ("/staff/payments/", "/staff/payments/import", "/staff/payments/list"):
        assert client.get(url).status_code == 404
