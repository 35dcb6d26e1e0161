"""Issue 8's "done when", in a real browser with JavaScript on and off: a new person
applies for a service contract with a PDF proof of ownership; a clerk asks for the
missing drawing; the person adds it; the clerk sends the draft; the person downloads
the draft PDF and accepts it; the site and meter appear in their portal as theirs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.conftest import LiveServer
from webapp.extensions import db
from webapp.models import ContractApplication, ContractApplicationStatus, DocumentKind

pytestmark = pytest.mark.browser

NEW_PERSON = "60001019906"  # a valid personal code the utility does not know
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture
def clerk_page(browser: Browser, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(locale="et-EE", java_script_enabled=javascript)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, live: LiveServer, *, button: str | None = None,
           subject: str | None = None, landing: str = "/my") -> None:
    page.goto(live.url)
    page.get_by_role("link", name="Logi sisse", exact=True).click()
    if subject is not None:
        page.locator("#sub").fill(f"EE{subject}")
        page.get_by_role("button", name="Log in", exact=True).click()
    else:
        page.get_by_role("button", name=re.compile(str(button))).click()
    page.wait_for_url(re.compile(re.escape(live.url + landing)))


def the_application() -> ContractApplication:
    db.session.rollback()  # see what the live server committed
    application = db.session.scalar(select(ContractApplication))
    assert application is not None
    return application


def test_a_new_person_applies_and_signs_the_draft_and_the_site_is_theirs(
    live_server: LiveServer, any_page: Page, clerk_page: Page, tmp_path: Path,
    accessible: Callable[[Page], None],
) -> None:
    # The server first, so that it stops last: a page still loading its favicon when
    # the test ends would otherwise meet a closed port.
    page, url = any_page, live_server.url
    proof, drawing = tmp_path / "kinnistusraamat.pdf", tmp_path / "joonis.pdf"
    proof.write_bytes(PDF)
    drawing.write_bytes(PDF.replace(b"Count 0", b"Count 0 "))
    log_in(page, live_server, subject=NEW_PERSON)
    page.get_by_test_id("apply-contract-link").click()
    page.get_by_test_id("apply-contract").click()
    page.wait_for_url(f"{url}/my/contracts/apply/kind")
    accessible(page)
    # The development provider gives a made-up person no name (TARA always does).
    page.locator("#given_name").fill("Uus")
    page.locator("#family_name").fill("Omanik")
    page.get_by_test_id("next").click()  # a new contract, for myself
    page.wait_for_url(f"{url}/my/contracts/apply/property")
    page.locator("#cadastral_number").fill("34901:010:0555")
    page.locator("#address").fill("Uus tn 5, Kuressaare")
    page.get_by_test_id("next").click()
    page.wait_for_url(f"{url}/my/contracts/apply/contact")
    page.locator("#email").fill("uus.omanik@example.com")
    page.locator('input[name="invoice_delivery"][value="email"]').check()
    page.get_by_test_id("next").click()
    page.wait_for_url(f"{url}/my/contracts/apply/documents")
    page.locator("#file").set_input_files(str(proof))
    page.get_by_test_id("add-document").click()
    expect(page.get_by_test_id("documents")).to_contain_text("kinnistusraamat.pdf")
    accessible(page)
    page.get_by_test_id("next").click()
    page.get_by_test_id("send-application").click()
    page.wait_for_url(re.compile(r"/my/contracts/\d+$"))
    expect(page.get_by_test_id("due")).to_be_visible()  # the draft's deadline, KEE §5(3)
    accessible(page)
    application = the_application()
    assert application.status is ContractApplicationStatus.RECEIVED

    # The clerk finds it in the queue and asks for the yard network's drawing.
    log_in(clerk_page, live_server, button="Liis Lepp", landing="/staff/")
    clerk_page.goto(f"{url}/staff/contracts/")
    clerk_page.locator(f'a[href="/staff/contracts/{application.id}"]').click()
    clerk_page.locator("#ask-note").fill("Palun lisage hoovivõrgu teostusjoonis.")
    clerk_page.get_by_test_id("ask-documents").click()
    expect(clerk_page.locator(".message--success")).to_be_visible()
    assert the_application().status is ContractApplicationStatus.MISSING_DOCUMENTS

    # The person sees what is asked, adds the drawing and sends it.
    page.goto(f"{url}/my/contracts/{application.id}")
    expect(page.get_by_test_id("documents-asked")).to_contain_text("teostusjoonis")
    page.locator('input[name="kind"][value="as_built_drawing"]').check()
    page.locator("#file").set_input_files(str(drawing))
    page.get_by_test_id("add-document").click()
    expect(page.get_by_test_id("documents")).to_contain_text("joonis.pdf")
    page.get_by_test_id("send-documents").click()
    expect(page.locator(".message--success")).to_be_visible()
    application = the_application()
    assert application.status is ContractApplicationStatus.RECEIVED
    assert {document.kind for document in application.documents} == {
        DocumentKind.OWNERSHIP, DocumentKind.AS_BUILT_DRAWING}
    assert [event.kind for event in application.events] == [
        "submitted", "documents_requested", "documents_sent"]

    # The clerk prepares the draft: a new site at the property, and its meter.
    clerk_page.goto(f"{url}/staff/contracts/{application.id}")
    clerk_page.get_by_test_id("prepare-draft").click()
    clerk_page.locator("#site_code").fill("TK-30001")
    clerk_page.locator("#meter_number").fill("00999001")
    clerk_page.get_by_test_id("send-draft").click()
    expect(clerk_page.locator(".message--success")).to_be_visible()
    assert the_application().status is ContractApplicationStatus.DRAFT_SENT

    # The person reads the draft and accepts it in the portal.
    page.goto(f"{url}/my/contracts/{application.id}")
    draft = page.request.get(url + str(page.get_by_test_id("draft-pdf").get_attribute("href")))
    assert draft.status == 200
    assert draft.body().startswith(b"%PDF-")
    accessible(page)
    page.locator("#accept").check()
    page.get_by_test_id("accept-contract").click()
    expect(page.get_by_test_id("contract")).to_be_visible()
    application = the_application()
    assert application.status is ContractApplicationStatus.SIGNED
    assert application.accepted_with is not None
    assert application.accepted_with.startswith("portal: ")

    # In force from today: the site and its meter are in their portal, as the owner.
    page.goto(f"{url}/my")
    expect(page.locator("main")).to_contain_text("Uus tn 5, Kuressaare")
    expect(page.locator("main")).to_contain_text("00999001")
    expect(page.locator("main")).to_contain_text("TK-30001 · Teie roll: omanik")
    assert application.contract is not None
    assert application.contract.customer.name == "Uus Omanik"
    expect(page.locator('nav a[href="/my/readings"]')).to_be_visible()
