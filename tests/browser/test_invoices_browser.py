"""Issue 11 in a real browser, JavaScript on and off: Mari finds her invoice from the
menu, reads it (an accessible page, no script errors under the CSP) and downloads its
Factur-X PDF, whose embedded EN 16931 XML is valid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import facturx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_login_and_accessibility import log_in_as
from tests.conftest import MARI, LiveServer
from tests.invoice_factory import contract_of, make_invoice, water_lines
from webapp.extensions import db
from webapp.services.access import today_in_tallinn

pytestmark = pytest.mark.browser


def test_mari_opens_her_invoice_and_downloads_its_factur_x_pdf(
    live_server: LiveServer, any_page: Page, accessible: Callable[[Page], None],
) -> None:
    page, url = any_page, live_server.url
    today = today_in_tallinn()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    contract = contract_of(MARI)
    invoice = make_invoice(contract, water_lines(contract.sites[0]),
                           period=(first, today.replace(day=1) - dt.timedelta(days=1)),
                           issued_on=today - dt.timedelta(days=2))
    db.session.commit()

    log_in_as(page, live_server, "Mari Maasikas")
    page.locator('nav a[href="/my/invoices/"]').click()
    page.wait_for_url(f"{url}/my/invoices/")
    accessible(page)
    page.get_by_role("link", name=str(invoice.number)).click()
    page.wait_for_url(f"{url}/my/invoices/{invoice.id}")
    expect(page.get_by_test_id("invoice-facts")).to_contain_text(str(invoice.reference_number))
    expect(page.get_by_test_id("meter-rows")).to_contain_text("00123456")
    accessible(page)

    pdf = page.get_by_test_id("invoice-pdf")
    response = page.request.get(url + str(pdf.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    name, xml = facturx.get_facturx_xml_from_pdf(response.body(), check_xsd=True)
    assert name == "factur-x.xml"
    assert str(invoice.number).encode() in xml
