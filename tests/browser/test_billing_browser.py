"""Issue 11's "done when", in a real browser with JavaScript on and off:

- ``flask billing run`` for the demo's last month issues an invoice for every demo
  customer; Mari opens hers in the portal and its PDF passes Factur-X validation;
  Jaan's invoice shows his garden-water rebate credit;
- a camt.053 file paying Mari's invoice, loaded by the clerk, marks it paid; loading it
  again changes nothing; an unmatched payment appears in the staff queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from tests.browser.test_login_and_accessibility import log_in_as
from tests.camt053_builder import Booking, camt053
from tests.conftest import JAAN, MARI, LiveServer
from tests.web.test_billing_run import LAST, invoice_of
from tests.web.test_rebate_run import SEASON, jaans
from webapp.extensions import db
from webapp.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    RebateCredit,
    ServiceContract,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk_page(browser: Browser, javascript: bool) -> Iterator[Page]:
    """The clerk's own browser, with JavaScript as the customer's."""
    context = browser.new_context(locale="et-EE", java_script_enabled=javascript)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_the_month_is_billed_mari_pays_by_bank_and_jaan_gets_his_rebate(
    live_server: LiveServer, any_page: Page, clerk_page: Page,
    login: Callable[[str], FlaskClient], accessible: Callable[[Page], None],
    tmp_path: Path,
) -> None:
    page, url = any_page, live_server.url
    cli = live_server.app.test_cli_runner()
    # Jaan's rebate, approved and computed: a credit for his next invoice (ELVESO 3.4).
    jaans(login)
    assert cli.invoke(args=["rebates", "run", "--season", str(SEASON)]).exit_code == 0
    db.session.rollback()
    credit = db.session.scalars(select(RebateCredit)).one().amount_eur
    assert credit > 0

    # The month is billed and issued from the command line.
    result = cli.invoke(args=["billing", "run", "--period", f"{LAST:%Y-%m}", "--issue"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    customers = db.session.scalar(select(func.count(func.distinct(
        ServiceContract.customer_id))))
    billed = db.session.scalar(select(func.count(func.distinct(Invoice.customer_id))).where(
        Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.PAID))))
    assert billed == customers == db.session.scalar(select(func.count()).select_from(Customer))

    # Mari opens her invoice and downloads its Factur-X PDF.
    mari = invoice_of(MARI)
    log_in_as(page, live_server, "Mari Maasikas")
    page.locator('nav a[href="/my/invoices/"]').click()
    page.wait_for_url(f"{url}/my/invoices/")
    accessible(page)
    page.get_by_role("link", name=str(mari.number)).click()
    page.wait_for_url(f"{url}/my/invoices/{mari.id}")
    expect(page.get_by_test_id("invoice-facts")).to_contain_text(str(mari.reference_number))
    accessible(page)
    pdf = page.request.get(url + str(page.get_by_test_id("invoice-pdf").get_attribute("href")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    name, xml = facturx.get_facturx_xml_from_pdf(pdf.body(), check_xsd=True)
    assert name == "factur-x.xml" and str(mari.number).encode() in xml
    assert f"<ram:DuePayableAmount>{mari.payable}</ram:DuePayableAmount>".encode() in xml

    # Jaan's invoice shows the rebate credit it used.
    jaan = invoice_of(JAAN)
    assert jaan.prepayment_applied == min(credit, jaan.gross) > 0
    client = login(JAAN)
    detail = client.get(f"/my/invoices/{jaan.id}").get_data(as_text=True)
    assert 'data-testid="prepayment"' in detail
    assert f"{jaan.prepayment_applied:.2f}" in detail  # the test client reads English

    # The clerk loads the bank statement: Mari's payment and one nobody can place.
    statement = camt053([
        Booking("ENTRY-1", f"{mari.payable:.2f}", reference_number=mari.reference_number,
                description="Vesi"),
        Booking("ENTRY-2", "12.34", description="Ettemaks", debtor_name="TUNDMATU MAKSJA",
                debtor_iban="EE471000001020145685"),
    ])
    file = tmp_path / "statement.xml"
    file.write_bytes(statement)
    clerk = clerk_page
    clerk.goto(url)
    clerk.get_by_role("link", name="Logi sisse", exact=True).click()
    clerk.get_by_role("button", name=re.compile("Liis Lepp")).click()
    clerk.wait_for_url(f"{url}/staff/")
    for attempt in (1, 2):
        clerk.goto(f"{url}/staff/payments/import")
        clerk.locator('input[type="file"]').set_input_files(str(file))
        clerk.get_by_test_id("load-statement").click()
        summary = clerk.get_by_test_id("import-summary")
        expect(summary).to_be_visible()
        if attempt == 1:
            expect(clerk.get_by_test_id("booked")).to_have_text("2")
            expect(clerk.get_by_test_id("matched")).to_have_text("1")
            expect(clerk.get_by_test_id("unmatched")).to_have_text("1")
        else:  # loaded again: nothing is booked twice
            expect(clerk.get_by_test_id("booked")).to_have_text("0")
            expect(clerk.get_by_test_id("already-loaded")).to_have_text("2")
    db.session.rollback()
    paid = db.session.get_one(Invoice, mari.id)
    assert paid.status is InvoiceStatus.PAID and paid.paid_amount == mari.payable
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
    (unmatched,) = db.session.scalars(select(Payment).where(
        Payment.status == PaymentStatus.UNMATCHED))
    assert unmatched.amount == Decimal("12.34")

    # The unmatched payment waits in the staff queue; Mari sees hers paid.
    clerk.goto(f"{url}/staff/payments/")
    expect(clerk.get_by_test_id("unmatched-count")).to_have_text("1")
    expect(clerk.locator(f'a[href="/staff/payments/{unmatched.id}"]')).to_be_visible()
    accessible(clerk)
    page.goto(f"{url}/my/invoices/{mari.id}")
    expect(page.get_by_test_id("open-amount")).to_contain_text("0,00")
