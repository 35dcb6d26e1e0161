"""Payments from bank statements (issue 11 item 4): the camt.053 import and its matching
(services/payments), and ``flask payments import``."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from tests.camt053_builder import DEMO_IBAN, OTHER_IBAN, Booking, camt053, statement_xml
from tests.conftest import MARI
from tests.invoice_factory import contract_of, line, make_invoice, utility
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
from webapp.services import payments as service
from webapp.services.invoices import prepayment_balance

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "camt053"
KODU_HALDUS = "10123459"
BOOKED_ON = dt.date(2026, 12, 2)


def invoice(code: str = MARI, month: int = 10, unit_price: str = "10.0000") -> Invoice:
    """An issued invoice of the customer for ``month`` of 2026: one line of
    ``unit_price`` EUR plus 24 % VAT (10.0000: 12.40 EUR to pay)."""
    first = dt.date(2026, month, 1)
    last = dt.date(2026, month + 1, 1) - dt.timedelta(days=1)
    made = make_invoice(contract_of(code), [line(LineKind.FIXED_FEE, "1.000", "MON", unit_price)],
                        period=(first, last), issued_on=dt.date(2026, month + 1, 3))
    db.session.commit()
    return made


def load(data: bytes) -> service.ImportSummary:
    with force_locale("en"):  # as the command does: messages outside a request
        summary = service.import_statement(data, actor_id=None, utility=utility())
    db.session.commit()
    return summary


def refused(data: bytes) -> list[str]:
    with pytest.raises(service.PaymentImportError) as caught, force_locale("en"):
        service.import_statement(data, actor_id=None, utility=utility())
    db.session.rollback()
    return caught.value.problems


def payments() -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).order_by(Payment.id)))


def prepayments() -> list[Prepayment]:
    return list(db.session.scalars(select(Prepayment).where(
        Prepayment.kind == PrepaymentKind.OVERPAYMENT).order_by(Prepayment.id)))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------- matching


@pytest.mark.usefixtures("demo")
def test_a_payment_with_the_reference_number_pays_the_invoice() -> None:
    bill = invoice()
    summary = load(camt053([Booking("R1", bill.payable, reference_number=bill.reference_number)]))
    assert (summary.booked, summary.matched_by_reference, summary.unmatched) == (1, 1, 0)
    assert summary.invoices_paid == 1
    (payment,) = payments()
    assert payment.status is PaymentStatus.MATCHED
    assert payment.invoice_id == bill.id
    assert payment.customer_id == bill.customer_id
    assert payment.matched_by_id is None and payment.matched_at is not None  # automatic
    assert (payment.account_iban, payment.entry_reference) == (DEMO_IBAN, "R1")
    assert payment.debtor_name == "MARI MAASIKAS"
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID
    assert bill.paid_amount == bill.payable
    assert bill.paid_on == BOOKED_ON  # KEE §41(2): the day the money reached the account
    assert prepayments() == []


@pytest.mark.usefixtures("demo")
def test_an_invoice_the_session_holds_shows_the_payment_at_once() -> None:
    """The import writes the invoices in bulk: a copy held in the session is refreshed
    before the transaction ends."""
    bill = invoice()
    assert bill.status is InvoiceStatus.ISSUED  # loaded
    with force_locale("en"):
        service.import_statement(camt053([Booking("R1", bill.payable,
                                                  reference_number=bill.reference_number)]),
                                 actor_id=None, utility=utility())
    assert bill.status is InvoiceStatus.PAID and bill.paid_amount == bill.payable
    db.session.rollback()
    assert bill.status is InvoiceStatus.ISSUED  # one transaction: nothing kept


@pytest.mark.usefixtures("demo")
def test_a_reference_number_in_groups_of_digits_is_compared_compacted() -> None:
    bill = invoice()
    assert bill.reference_number is not None
    grouped = " ".join([bill.reference_number[:4], bill.reference_number[4:8],
                        bill.reference_number[8:]])
    summary = load(camt053([Booking("R1", bill.payable, reference_number=grouped)]))
    assert summary.matched_by_reference == 1
    assert payments()[0].invoice_id == bill.id


@pytest.mark.usefixtures("demo")
def test_the_invoice_number_in_the_description_pays_it() -> None:
    bill = invoice()
    summary = load(camt053([Booking("R1", bill.payable,
                                    description=f"arve nr {bill.number} vesi ja kanal")]))
    assert (summary.matched_by_reference, summary.matched_by_number) == (0, 1)
    (payment,) = payments()
    assert payment.status is PaymentStatus.MATCHED and payment.invoice_id == bill.id
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID


@pytest.mark.usefixtures("demo")
def test_the_reference_number_comes_before_the_description() -> None:
    first, second = invoice(month=9), invoice(month=10)
    load(camt053([Booking("R1", first.payable, reference_number=first.reference_number,
                          description=f"Arve {second.number}")]))
    assert payments()[0].invoice_id == first.id


@pytest.mark.usefixtures("demo")
def test_an_unknown_reference_falls_back_to_the_description() -> None:
    bill = invoice()
    summary = load(camt053([Booking("R1", bill.payable, reference_number="1232",
                                    description=f"Arve {bill.number}")]))
    assert summary.matched_by_number == 1


@pytest.mark.usefixtures("demo")
def test_a_payment_matching_nothing_waits_in_the_queue() -> None:
    bill = invoice()
    summary = load(camt053([
        Booking("R1", "30.00", reference_number="1232", description="Vesi, Pargi 7"),
        Booking("R2", "12.40", description="arve 2026-999999"),  # no such invoice
    ]))
    assert (summary.booked, summary.matched, summary.unmatched) == (2, 0, 2)
    assert summary.unmatched_amount == Decimal("42.40")
    assert [p.status for p in payments()] == [PaymentStatus.UNMATCHED] * 2
    assert all(p.invoice_id is None and p.customer_id is None for p in payments())
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.ISSUED and bill.paid_amount == 0
    assert [p.id for p in db.session.scalars(service.queue())] == [p.id for p in payments()]


@pytest.mark.usefixtures("demo")
def test_several_invoice_numbers_are_left_for_the_staff() -> None:
    first, second = invoice(month=9), invoice(month=10)
    load(camt053([Booking("R1", first.payable + second.payable,
                          description=f"Arved {first.number}, {second.number}")]))
    (payment,) = payments()
    assert payment.status is PaymentStatus.UNMATCHED


def test_invoice_numbers_in_a_description() -> None:
    assert service.invoice_numbers_in("Arve 2026-000042 ja 2026 – 000043, 2026-000042") == [
        "2026-000042", "2026-000043"]
    assert service.invoice_numbers_in("12026-0000421 2026-00004 L-2019-0001") == []
    assert service.invoice_numbers_in(None) == []


@pytest.mark.usefixtures("demo")
def test_a_partial_payment_leaves_the_invoice_issued_with_the_rest_open() -> None:
    bill = invoice(unit_price="40.0000")  # 49.60 EUR
    load(camt053([Booking("R1", "20.00", reference_number=bill.reference_number)]))
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.ISSUED
    assert bill.paid_amount == Decimal("20.00")
    assert bill.open_amount == Decimal("29.60")
    assert bill.paid_on is None
    assert prepayments() == []
    # The rest, in the next statement, pays it on the day it arrives.
    load(camt053([Booking("R2", "29.60", reference_number=bill.reference_number,
                          booked_on=dt.date(2026, 12, 9))], statement_id="S-2"))
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID and bill.paid_on == dt.date(2026, 12, 9)


@pytest.mark.usefixtures("demo")
def test_an_overpayment_becomes_a_prepayment() -> None:
    bill = invoice()  # 12.40 EUR
    summary = load(camt053([Booking("R1", "20.00", reference_number=bill.reference_number)]))
    assert summary.prepaid_amount == Decimal("7.60")
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.PAID and bill.paid_amount == Decimal("12.40")
    (prepayment,) = prepayments()
    assert prepayment.amount == Decimal("7.60")
    assert prepayment.customer_id == bill.customer_id
    assert prepayment.payment_id == payments()[0].id
    assert prepayment_balance(bill.customer_id) == Decimal("7.60")  # the next invoice's


@pytest.mark.usefixtures("demo")
def test_paying_a_paid_invoice_again_makes_it_all_a_prepayment() -> None:
    bill = invoice()
    summary = load(camt053([
        Booking("R1", bill.payable, reference_number=bill.reference_number),
        Booking("R2", bill.payable, reference_number=bill.reference_number),
    ]))
    assert summary.matched == 2 and summary.invoices_paid == 1
    db.session.refresh(bill)
    assert bill.paid_amount == bill.payable
    (prepayment,) = prepayments()
    assert prepayment.amount == bill.payable
    assert prepayment.payment_id == payments()[1].id
    assert payments()[1].invoice_id == bill.id  # still matched to what the payer named


@pytest.mark.usefixtures("demo")
def test_a_payment_of_a_cancelled_invoice_is_all_a_prepayment() -> None:
    bill = invoice()
    bill.status = InvoiceStatus.CANCELLED
    db.session.commit()
    load(camt053([Booking("R1", bill.payable, reference_number=bill.reference_number)]))
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.CANCELLED and bill.paid_amount == 0
    (prepayment,) = prepayments()
    assert prepayment.amount == bill.payable


@pytest.mark.usefixtures("demo")
def test_a_draft_is_never_matched() -> None:
    draft = make_invoice(contract_of(MARI), [line(LineKind.FIXED_FEE, "1.000", "MON",
                                                  "10.0000")], issued_on=None)
    db.session.commit()
    assert draft.number is None
    load(camt053([Booking("R1", "12.40", description="2026-000001")]))
    assert payments()[0].status is PaymentStatus.UNMATCHED


# --------------------------------------------------------------------------- what is not booked


@pytest.mark.usefixtures("demo")
def test_debits_reversals_and_other_currencies_are_listed_not_booked() -> None:
    summary = load(camt053([
        Booking("D1", "250.00", credit=False, debtor_name="SAARE VESI AS"),
        Booking("V1", "15.00", credit=False, reversal=True),
        Booking("C1", "40.00", currency="USD"),
        Booking("P1", "40.00", status="PDNG"),
        Booking("OK", "5.00"),
    ]))
    assert summary.booked == 1 and summary.pending == 1
    assert [(item.entry_reference, item.reason) for item in summary.skipped] == [
        ("D1", service.SkipReason.DEBIT), ("V1", service.SkipReason.REVERSAL),
        ("C1", service.SkipReason.CURRENCY)]
    assert summary.skipped[0].amount == Decimal("250.00")
    assert [p.entry_reference for p in payments()] == ["OK"]


@pytest.mark.usefixtures("demo")
def test_the_swedbank_example_statement() -> None:
    """The fixture is of another account: as such refused; accepted where the utility
    has no account set."""
    data = (FIXTURES / "swedbank_2026-12-02.xml").read_bytes()
    (problem,) = refused(data)
    assert "EE04 2200 2210 9988 7766" in problem and "EE38 2200 2210 2014 5685" in problem
    assert count(Payment) == 0
    utility().iban = None
    db.session.commit()
    summary = load(data)
    # Two payments and a batch booking of two; a debit and a reversal; one pending.
    assert (summary.entries, summary.booked, summary.unmatched, summary.pending) == (6, 4, 4, 1)
    assert sorted(item.reason for item in summary.skipped) == [service.SkipReason.DEBIT,
                                                                service.SkipReason.REVERSAL]
    assert [p.entry_reference for p in payments()] == [
        "2026120201847301", "2026120201852266", "2026120201860514/1", "2026120201860514/2"]
    assert payments()[1].description == "arve nr 2026-1108 vesi ja kanalisatsioon, Pargi 7"


# --------------------------------------------------------------------------- idempotency


@pytest.mark.usefixtures("demo")
def test_a_statement_loaded_twice_books_nothing_twice() -> None:
    bill = invoice()
    data = camt053([
        Booking("R1", "20.00", reference_number=bill.reference_number),  # 7.60 prepaid
        Booking("R2", "9.99", description="tundmatu"),
    ])
    load(data)
    again = load(data)
    assert (again.booked, again.already_loaded, again.matched, again.unmatched) == (0, 2, 0, 0)
    assert count(Payment) == 2
    assert len(prepayments()) == 1
    db.session.refresh(bill)
    assert bill.paid_amount == Decimal("12.40")
    # A later statement with one new entry and one seen books only the new one.
    later = load(camt053([Booking("R2", "9.99"), Booking("R3", "1.00")], statement_id="S-2"))
    assert (later.booked, later.already_loaded) == (1, 1)


@pytest.mark.usefixtures("demo")
def test_the_same_reference_on_another_account_is_another_payment() -> None:
    utility().iban = None
    db.session.commit()
    summary = load(camt053([Booking("R1", "1.00")], statements=[
        statement_xml([Booking("R1", "2.00")], iban=OTHER_IBAN, statement_id="S-other")]))
    assert summary.booked == 2
    assert summary.accounts == (DEMO_IBAN, OTHER_IBAN)


@pytest.mark.usefixtures("demo")
def test_entries_booked_meanwhile_by_another_import_refuse_the_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    load(camt053([Booking("R1", "1.00")]))
    # Another import booked R1 between this one's look-up and its insert.
    monkeypatch.setattr(service, "_existing_keys", lambda _candidates: set())
    problems = refused(camt053([Booking("R1", "1.00"), Booking("R2", "2.00")]))
    assert "another import" in problems[0]
    assert [p.entry_reference for p in payments()] == ["R1"]


# --------------------------------------------------------------------------- refused files


@pytest.mark.usefixtures("demo")
def test_another_accounts_statement_is_refused_whole() -> None:
    bill = invoice()
    data = camt053([Booking("R1", bill.payable, reference_number=bill.reference_number)],
                   statements=[statement_xml([Booking("X1", "5.00")], iban=OTHER_IBAN,
                                             statement_id="S-other")])
    (problem,) = refused(data)
    assert "S-other" in problem and "not of the utility's account" in problem
    assert count(Payment) == 0
    db.session.refresh(bill)
    assert bill.status is InvoiceStatus.ISSUED


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(("data", "expected"), [
    (b"<Document><BkToCstmrStmt>", "not well-formed XML"),
    (b"", "the file is empty"),
    (b"<html><body>statement</body></html>", "not an ISO 20022 bank statement"),
])
def test_a_broken_file_changes_nothing(data: bytes, expected: str) -> None:
    problems = refused(data)
    assert expected in problems[0]
    assert count(Payment) == 0 and count(AuditEvent) == 0


@pytest.mark.usefixtures("demo")
def test_one_bad_entry_refuses_the_whole_file() -> None:
    bill = invoice()
    good = Booking("R1", bill.payable, reference_number=bill.reference_number)
    bad = Booking("R2", "-5.00")  # camt.053 amounts are never negative
    problems = refused(camt053([good, bad]))
    assert any("R2" in problem and "negative" in problem for problem in problems)
    assert count(Payment) == 0 and count(Prepayment) == 0
    db.session.refresh(bill)
    assert bill.paid_amount == 0


@pytest.mark.usefixtures("demo")
def test_an_amount_a_euro_payment_cannot_have_is_refused() -> None:
    (problem,) = refused(camt053([Booking("R1", "1.005")]))
    assert "R1" in problem and "two decimals" in problem
    assert count(Payment) == 0


@pytest.mark.usefixtures("demo")
def test_a_bank_reference_longer_than_the_key_is_refused_not_cut() -> None:
    """Cut, two references could become one key: the file is refused instead."""
    (problem,) = refused(camt053([Booking("R" * 141, "1.00")]))
    assert "longer than 140 characters" in problem
    assert count(Payment) == 0


# --------------------------------------------------------------------------- record and speed


@pytest.mark.usefixtures("demo")
def test_the_import_is_on_the_audit_trail() -> None:
    load(camt053([Booking("R1", "1.00"), Booking("D1", "2.00", credit=False)]))
    (event_,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "import_bank_statement"))
    assert event_.acting_as == "operator"
    assert event_.after is not None
    assert event_.after["booked"] == 1 and event_.after["skipped"] == 1
    assert event_.after["skipped_entries"][0]["entry_reference"] == "D1"


@pytest.mark.usefixtures("demo")
def test_look_ups_are_in_bulk_not_one_query_an_entry() -> None:
    """As many SQL statements for 300 entries as for 3: the keys and the invoices are
    looked up in bulk, the payments, invoices and prepayments written in batches."""
    bills = [invoice(month=month) for month in (7, 8, 9)]

    def statements_for(entries: int, prefix: str) -> int:
        bookings = [
            Booking(f"{prefix}{n}", "20.00",  # overpaid: a prepayment each
                    reference_number=bills[n % 3].reference_number if n % 3 == 0 else None,
                    description=f"Arve {bills[n % 3].number}" if n % 3 == 1 else "tundmatu")
            for n in range(entries)]
        data = camt053(bookings, statement_id=prefix)
        seen = {"count": 0}

        def counter(*_args: Any) -> None:
            seen["count"] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            load(data)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return seen["count"]

    few, many = statements_for(3, "A"), statements_for(300, "B")
    # (The first load also pays the invoices: one UPDATE more.)
    assert many <= few, (few, many)
    assert count(Payment) == 303


# --------------------------------------------------------------------------- the command


def write(tmp_path: Path, data: bytes, name: str = "statement.xml") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.usefixtures("demo")
def test_the_command_books_and_prints_the_summary(runner: Any, tmp_path: Path) -> None:
    bill = invoice()
    path = write(tmp_path, camt053([
        Booking("R1", "20.00", reference_number=bill.reference_number),
        Booking("R2", "3.00", description="tundmatu"),
        Booking("D1", "9.00", credit=False, debtor_name="PUMBAHOOLDUS OÜ"),
    ]))
    result = runner.invoke(args=["payments", "import", path])
    assert result.exit_code == 0, result.output
    assert "1 statement(s) of EE382200221020145685, 3 booked entries." in result.output
    assert "Booked: 2 payment(s), 23.00 EUR." in result.output
    assert "matched: 1 (1 by reference number, 0 by invoice number" in result.output
    assert "1 invoice(s) paid in full; 7.60 EUR to prepayments" in result.output
    assert "unmatched: 1 (3.00 EUR)" in result.output
    assert "Already loaded: 0." in result.output
    assert "Skipped: 1." in result.output
    assert "D1 2026-12-02 9.00 EUR, PUMBAHOOLDUS OÜ: a debit" in result.output
    assert count(Payment) == 2
    again = runner.invoke(args=["payments", "import", path])
    assert again.exit_code == 0, again.output
    assert "Booked: 0 payment(s), 0.00 EUR." in again.output
    assert "Already loaded: 2." in again.output
    assert count(Payment) == 2


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(("make", "message"), [
    pytest.param(lambda tmp: str(tmp / "missing.xml"), "no such file", id="missing"),
    pytest.param(lambda tmp: str(tmp), "a directory, not a file", id="directory"),
    pytest.param(lambda tmp: write(tmp, b"<Document>"), "not well-formed XML", id="broken"),
    pytest.param(lambda tmp: write(tmp, camt053([Booking("R1", "1.00")], iban=OTHER_IBAN)),
                 "not of the utility's account", id="other-account"),
])
def test_the_command_refuses_a_bad_file_and_books_nothing(runner: Any, tmp_path: Path,
                                                          make: Any, message: str) -> None:
    result = runner.invoke(args=["payments", "import", make(tmp_path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was booked" in result.output or "nothing was booked" in result.output
    assert count(Payment) == 0


@pytest.mark.usefixtures("demo")
def test_the_command_refuses_an_unreadable_file(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "locked.xml"
    path.write_bytes(camt053([Booking("R1", "1.00")]))
    path.chmod(0)
    try:
        readable = os.access(path, os.R_OK)
        result = runner.invoke(args=["payments", "import", str(path)])
    finally:
        path.chmod(0o600)
    if readable:
        pytest.skip("this user reads any file (root)")
    assert result.exit_code == 1
    assert "cannot be read" in result.output
    assert count(Payment) == 0
