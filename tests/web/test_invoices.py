"""The customer's invoice pages (issue 11; ITB 2: users see and pay invoices): who sees
an invoice, the list and its statuses, the balance, payments, late interest, the
chart, the detail page and the documents (Factur-X PDF kept once made, the XML)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import facturx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import CLERK, JAAN, KATI, MARI, PEETER
from tests.invoice_factory import contract_of, line, make_invoice, water_lines
from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.models import (
    ContractStatus,
    InvoiceDelivery,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentStatus,
    Person,
    Prepayment,
    PrepaymentKind,
    ServiceContract,
    Site,
    SiteRole,
    SiteRoleKind,
    StaffRoleKind,
    StoredFile,
)
from webapp.services import customer_invoices
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]
KODU_HALDUS = "10123459"


def month(back: int) -> tuple[dt.date, dt.date]:
    """The calendar month ``back`` months before this one."""
    today = today_in_tallinn()
    year, number = divmod(today.year * 12 + today.month - 1 - back, 12)
    first = dt.date(year, number + 1, 1)
    following = dt.date(year + (number + 1) // 12, (number + 1) % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def recent(days: int = 5) -> dt.date:
    return today_in_tallinn() - dt.timedelta(days=days)


def invoice_for(code: str, back: int = 1, issued_days_ago: int = 5, **options: object):
    contract = contract_of(code)
    invoice = make_invoice(contract, water_lines(contract.sites[0]), period=month(back),
                           issued_on=recent(issued_days_ago), **options)  # type: ignore[arg-type]
    db.session.commit()
    return invoice


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def person(code: str) -> Person:
    found = db.session.scalar(select(Person).where(Person.personal_code == code))
    assert found is not None
    return found


# --------------------------------------------------------------------------- who sees it


def test_the_owner_sees_her_issued_invoice(login: Login) -> None:
    invoice = invoice_for(MARI)
    mari = login(MARI)
    listing = page(mari, "/my/invoices/")
    assert invoice.number in listing
    assert 'data-status="issued"' in listing
    detail = page(mari, f"/my/invoices/{invoice.id}")
    assert invoice.reference_number in detail
    assert "Kaevu tn 12" in detail  # the lines by site
    assert "00123456" in detail  # the meter
    assert "1,234.567" in detail and "0.523" in detail  # start value, carried on (§41(1))
    assert f'href="/my/invoices/{invoice.id}/pdf"' in detail
    assert f'href="/my/invoices/{invoice.id}/xml"' in detail


def test_a_draft_is_never_shown(login: Login) -> None:
    contract = contract_of(MARI)
    draft = make_invoice(contract, water_lines(contract.sites[0]), period=month(1),
                         issued_on=None)
    db.session.commit()
    mari = login(MARI)
    for url in (f"/my/invoices/{draft.id}", f"/my/invoices/{draft.id}/pdf",
                f"/my/invoices/{draft.id}/xml"):
        assert mari.get(url).status_code == 404
    assert f"/my/invoices/{draft.id}\"" not in page(mari, "/my/invoices/")
    assert draft.pdf_file_id is None


def test_a_user_at_one_of_several_sites_of_the_contract_does_not_see_it(login: Login) -> None:
    # Kodu Haldus's contract covers three buildings; Peeter is a user at one of them.
    invoice = invoice_for(KODU_HALDUS)
    peeter = login(PEETER)
    for url in (f"/my/invoices/{invoice.id}", f"/my/invoices/{invoice.id}/pdf",
                f"/my/invoices/{invoice.id}/xml"):
        assert peeter.get(url).status_code == 404
    listing = page(peeter, "/my/invoices/")
    assert invoice.number not in listing
    assert 'data-testid="no-invoices"' in listing  # and why
    assert f"/my/invoices/{invoice.id}" in page(login(KATI), "/my/invoices/")


def test_a_user_at_every_site_of_the_contract_sees_it(login: Login) -> None:
    # ITB 2: users see and pay invoices.
    invoice = invoice_for(KODU_HALDUS)
    peeter, kati = person(PEETER), person(KATI)
    for site in invoice.contract.sites:
        if site.code != "TK-20002":
            db.session.add(SiteRole(site_id=site.id, person_id=peeter.id,
                                    role=SiteRoleKind.USER, given_by_id=kati.id,
                                    valid_from=dt.date(2024, 1, 1)))
    db.session.commit()
    assert invoice.number in page(login(PEETER), f"/my/invoices/{invoice.id}")


def test_someone_elses_invoice_does_not_exist(login: Login) -> None:
    invoice = invoice_for(JAAN)
    mari = login(MARI)
    assert mari.get(f"/my/invoices/{invoice.id}").status_code == 404
    assert mari.get(f"/my/invoices/{invoice.id}/pdf").status_code == 404
    assert mari.get("/my/invoices/999999").status_code == 404


def test_staff_have_no_customer_invoice_pages(login: Login) -> None:
    invoice = invoice_for(MARI)
    clerk = login(CLERK)
    assert clerk.get("/my/invoices/").status_code == 404
    assert clerk.get(f"/my/invoices/{invoice.id}").status_code == 404
    assert 'href="/my/invoices/"' not in page(clerk, "/staff/")


def test_the_menu_shows_invoices_to_who_may_see_documents(login: Login) -> None:
    assert 'href="/my/invoices/"' in page(login(MARI), "/my")
    assert 'href="/my/invoices/"' in page(login(PEETER), "/my")  # a user (ITB 2)


def test_a_new_owner_does_not_see_the_previous_customers_invoices(
        app: Flask, login: Login) -> None:
    invoice = invoice_for(MARI, back=2)
    old = invoice.contract
    old.end_date, old.status = recent(3), ContractStatus.ENDED
    jaan_customer = contract_of(JAAN).customer_id
    db.session.add(ServiceContract(number="L-2026-TEST", customer_id=jaan_customer,
                                   start_date=recent(2), status=ContractStatus.ACTIVE,
                                   sites=list(old.sites)))
    db.session.commit()
    assert login(JAAN).get(f"/my/invoices/{invoice.id}").status_code == 404


@pytest.mark.parametrize(("roles", "draft", "expected"), [
    ({"TK-20001": SiteRoleKind.OWNER, "TK-20002": SiteRoleKind.OWNER,
      "TK-20003": SiteRoleKind.OWNER}, False, True),
    ({"TK-20001": SiteRoleKind.MANAGER, "TK-20002": SiteRoleKind.MANAGER,
      "TK-20003": SiteRoleKind.MANAGER}, False, True),
    ({"TK-20001": SiteRoleKind.USER, "TK-20002": SiteRoleKind.USER,
      "TK-20003": SiteRoleKind.USER}, False, True),
    ({"TK-20002": SiteRoleKind.USER}, False, False),  # one building of three
    ({"TK-20001": SiteRoleKind.OWNER, "TK-20002": SiteRoleKind.OWNER}, False, False),
    ({"TK-20001": SiteRoleKind.OWNER, "TK-20002": SiteRoleKind.OWNER,
      "TK-20003": SiteRoleKind.OWNER}, True, False),  # a draft: nobody
    ({}, False, False),
])
def test_the_rule_of_who_sees_an_invoice(app: Flask, demo: None, roles: dict[str, SiteRoleKind],
                                         draft: bool, expected: bool) -> None:
    contract = contract_of(KODU_HALDUS)
    invoice = make_invoice(contract, water_lines(contract.sites[0]), period=month(1),
                           issued_on=None if draft else recent())
    codes = {site.code: site.id for site in db.session.scalars(select(Site))}
    actor = Actor(person_id=0, site_roles={codes[code]: frozenset({kind})
                                           for code, kind in roles.items()})
    assert customer_invoices.may_view_invoice(actor, invoice) is expected
    staff = Actor(person_id=0, staff_roles=frozenset({StaffRoleKind.ADMIN}))
    assert customer_invoices.may_view_invoice(staff, invoice) is False


# --------------------------------------------------------------------------- the list


def test_statuses_are_told_apart(login: Login) -> None:
    to_pay = invoice_for(MARI, back=1, issued_days_ago=5)
    overdue = invoice_for(MARI, back=2, issued_days_ago=40)
    paid = invoice_for(MARI, back=3, issued_days_ago=70)
    paid.paid_amount, paid.status, paid.paid_on = paid.payable, InvoiceStatus.PAID, recent(60)
    cancelled = invoice_for(MARI, back=4, issued_days_ago=100)
    cancelled.status = InvoiceStatus.CANCELLED
    db.session.commit()
    listing = page(login(MARI), "/my/invoices/")
    for invoice, status, word in ((to_pay, "issued", "to pay"), (overdue, "overdue", "overdue"),
                                  (paid, "paid", "paid"),
                                  (cancelled, "cancelled", "cancelled")):
        row = listing.split(f'data-invoice="{invoice.id}"')[1].split("</tr>")[0]
        assert f'data-status="{status}"' in row
        assert word in row
    overdue_page = page(login(MARI), f"/my/invoices/{overdue.id}")
    assert "past its due date" in overdue_page


def test_the_balance_is_the_open_sums_less_the_prepayment(login: Login) -> None:
    first = invoice_for(MARI, back=1)
    second = invoice_for(MARI, back=2, issued_days_ago=40)
    second.paid_amount = Decimal("10.00")  # a part payment
    db.session.add(Prepayment(customer_id=first.customer_id, kind=PrepaymentKind.REBATE,
                              amount=Decimal("7.50")))
    db.session.commit()
    open_sum = first.payable + second.payable - Decimal("10.00")
    listing = page(login(MARI), "/my/invoices/")
    balance = listing.split('data-testid="balance"')[1].split("</table>")[0]
    assert f"{open_sum:,.2f}" in balance
    assert f"{second.payable - Decimal('10.00'):,.2f}" in balance  # overdue
    assert "7.50" in balance
    assert f"{open_sum - Decimal('7.50'):,.2f}" in balance


def test_the_list_is_paginated(login: Login) -> None:
    contract = contract_of(JAAN)
    for back in range(1, 28):
        make_invoice(contract, water_lines(contract.sites[0]), period=month(back),
                     issued_on=recent(back * 30))
    db.session.commit()
    jaan = login(JAAN)
    first_page = page(jaan, "/my/invoices/")
    assert first_page.count("data-invoice=") == 25
    assert 'rel="next"' in first_page
    assert page(jaan, "/my/invoices/?page=2").count("data-invoice=") == 2


def test_the_chart_shows_use_and_cost_by_month(login: Login) -> None:
    invoice = invoice_for(MARI, back=1)
    listing = page(login(MARI), "/my/invoices/")
    assert listing.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert "<script" not in listing.split("<main")[1]  # CSP: no inline scripts
    figures = listing.split('data-testid="monthly-figures"')[1].split("</table>")[0]
    assert month(1)[0].strftime("%m.%Y") in figures
    assert f"{invoice.gross:,.2f}" in figures
    assert ">11<" in figures  # m³ of water billed


def test_nothing_yet_says_so(login: Login) -> None:
    listing = page(login(MARI), "/my/invoices/")
    assert "No invoices yet." in listing
    assert "No invoices in the last 24 months." in listing
    assert "No payments received yet." in page(login(MARI), "/my/invoices/payments")
    assert "No late interest has been charged." in page(login(MARI), "/my/invoices/interest")


def test_a_contract_filter_of_someone_else_or_junk_is_not_found(login: Login) -> None:
    other = contract_of(JAAN)
    mari = login(MARI)
    assert mari.get(f"/my/invoices/?contract={other.id}").status_code == 404
    assert mari.get("/my/invoices/?contract=abc").status_code == 404
    own = contract_of(MARI)
    assert mari.get(f"/my/invoices/?contract={own.id}").status_code == 200


# --------------------------------------------------------------------------- payments, interest


def test_payments_received_are_listed(login: Login) -> None:
    invoice = invoice_for(MARI)
    db.session.add(Payment(account_iban="EE382200221020145685", entry_reference="E-1",
                           booked_on=recent(1), amount=Decimal("12.34"),
                           debtor_name="MARI MAASIKAS", reference_number=invoice.reference_number,
                           status=PaymentStatus.MATCHED, invoice_id=invoice.id,
                           customer_id=invoice.customer_id))
    db.session.add(Payment(account_iban="EE382200221020145685", entry_reference="E-2",
                           booked_on=recent(1), amount=Decimal("99.99"),
                           status=PaymentStatus.UNMATCHED))
    db.session.commit()
    mari = login(MARI)
    payments = page(mari, "/my/invoices/payments")
    assert "12.34" in payments and invoice.number in payments
    assert "99.99" not in payments  # not Mari's
    assert "MARI MAASIKAS" in page(mari, f"/my/invoices/{invoice.id}")


def test_late_interest_names_the_invoice_it_charges_for(login: Login) -> None:
    contract = contract_of(MARI)
    earlier = make_invoice(contract, water_lines(contract.sites[0]), period=month(2),
                           issued_on=recent(45))
    later = make_invoice(contract, [
        *water_lines(contract.sites[0]),
        line(LineKind.LATE_INTEREST, "1", "C62", "0.4200", Decimal(0),
             first_day=recent(31), last_day=recent(22), source_invoice_id=earlier.id)],
        period=month(1), issued_on=recent(5))
    db.session.commit()
    mari = login(MARI)
    interest = page(mari, "/my/invoices/interest")
    row = interest.split("<tbody>")[1].split("</tr>")[0]
    assert earlier.number in row and later.number in row and "0.42" in row
    assert "10 days" in row
    detail = page(mari, f"/my/invoices/{later.id}")
    assert f"Late interest on invoice {earlier.number} (KEE §41(3))" in detail


# --------------------------------------------------------------------------- detail, documents


def test_the_prepayment_applied_names_the_rebate_credit(login: Login) -> None:
    contract = contract_of(JAAN)
    db.session.add(Prepayment(customer_id=contract.customer_id, kind=PrepaymentKind.REBATE,
                              amount=Decimal("8.00")))
    db.session.flush()
    invoice = make_invoice(contract, water_lines(contract.sites[0]), period=month(1),
                           issued_on=recent(), prepayment=Decimal("8.00"))
    db.session.commit()
    detail = page(login(JAAN), f"/my/invoices/{invoice.id}")
    prepayment = detail.split('data-testid="prepayment"')[1].split("</dd>")[0]
    assert "8.00" in prepayment
    assert "garden-water rebate credit" in prepayment
    assert f"{invoice.payable:,.2f}" in detail.split('data-testid="payable"')[1]


def test_the_pdf_is_made_once_and_served_the_same_afterwards(login: Login) -> None:
    invoice = invoice_for(MARI)
    mari = login(MARI)
    files_before = db.session.query(StoredFile).count()
    first = mari.get(f"/my/invoices/{invoice.id}/pdf")
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.headers["Cache-Control"] == "private, no-store"
    data = first.get_data()
    name, xml = facturx.get_facturx_xml_from_pdf(data, check_xsd=True)
    assert name == "factur-x.xml" and xml
    PdfReader(io.BytesIO(data))  # a PDF that reads
    second = mari.get(f"/my/invoices/{invoice.id}/pdf")
    assert second.get_data() == data
    db.session.expire_all()
    assert db.session.query(StoredFile).count() == files_before + 1
    downloaded = mari.get(f"/my/invoices/{invoice.id}/xml")
    assert downloaded.mimetype == "application/xml"
    assert downloaded.get_data() == xml  # the XML inside the PDF
    assert f"{invoice.number}.xml" in downloaded.headers["Content-Disposition"]


def test_an_e_invoice_customer_is_told_the_xml_is_the_same(login: Login) -> None:
    invoice = invoice_for(MARI)
    mari = login(MARI)
    assert 'data-testid="e-invoice-note"' not in page(mari, f"/my/invoices/{invoice.id}")
    invoice.contract.invoice_delivery = InvoiceDelivery.E_INVOICE
    db.session.commit()
    assert 'data-testid="e-invoice-note"' in page(mari, f"/my/invoices/{invoice.id}")


def test_a_credit_note_is_shown_as_such(login: Login) -> None:
    original = invoice_for(MARI, back=2, issued_days_ago=20)
    note = make_invoice(original.contract, [line(LineKind.CREDIT, "-1", "C62", "5.0000")],
                        period=month(2), issued_on=recent(3), kind=InvoiceKind.CREDIT_NOTE,
                        credit_note_of=original)
    db.session.commit()
    mari = login(MARI)
    listing = page(mari, "/my/invoices/")
    row = listing.split(f'data-invoice="{note.id}"')[1].split("</tr>")[0]
    assert "credit note" in row
    detail = page(mari, f"/my/invoices/{note.id}")
    assert f"Credit note {note.number}" in detail
    assert original.number in detail
    assert "Owed to you" in detail


def test_the_dispute_link_is_for_who_may_claim(app: Flask, login: Login) -> None:
    if "claims.new" not in app.view_functions:  # until the claims pages exist
        app.add_url_rule("/my/invoices/<int:invoice_id>/claim", "claims.new",
                         lambda invoice_id: "claim")
    invoice = invoice_for(KODU_HALDUS)
    claim_url = f'href="/my/invoices/{invoice.id}/claim"'
    assert claim_url in page(login(KATI), f"/my/invoices/{invoice.id}")  # the owner
    peeter, kati = person(PEETER), person(KATI)
    for site in invoice.contract.sites:
        if site.code != "TK-20002":
            db.session.add(SiteRole(site_id=site.id, person_id=peeter.id,
                                    role=SiteRoleKind.USER, given_by_id=kati.id,
                                    valid_from=dt.date(2024, 1, 1)))
    db.session.commit()
    # KEE §43(1): a user sees the invoice but a claim is the contract partner's matter.
    detail = page(login(PEETER), f"/my/invoices/{invoice.id}")
    assert 'data-testid="dispute"' not in detail
