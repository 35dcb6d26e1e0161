"""A person logs in through the development identity provider, as on a fresh machine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.conftest import MARI, LiveServer
from webapp.extensions import db
from webapp.models import Meter, Person, SiteRole

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def maris_meter() -> str:
    person = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    return db.session.scalar(
        select(Meter.number).join(SiteRole, SiteRole.site_id == Meter.site_id)
        .where(SiteRole.person_id == person.id)
    )


def log_in_as(page: Page, live: LiveServer, name: str) -> None:
    page.goto(live.url)
    page.get_by_role("link", name="Logi sisse", exact=True).click()
    page.get_by_role("button", name=re.compile(name)).click()
    page.wait_for_url(f"{live.url}/my")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol, so the page's CSP is left as it is.
    page.evaluate(AXE)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))",
        WCAG_AA,
    )
    return list(result)


def test_mari_logs_in_and_sees_her_meter(page: Page, live_server: LiveServer) -> None:
    meter = maris_meter()
    log_in_as(page, live_server, "Mari Maasikas")
    expect(page.get_by_role("heading", level=1)).to_have_text("Minu tarbimiskohad")
    expect(page.get_by_role("rowheader", name=meter)).to_be_visible()
    expect(page.get_by_text("Maasikas").first).to_be_visible()


def test_switching_language_keeps_the_page(page: Page, live_server: LiveServer) -> None:
    log_in_as(page, live_server, "Mari Maasikas")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/my")
    expect(page.get_by_role("heading", level=1)).to_have_text("My sites")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Русский").click()
    page.wait_for_url(f"{live_server.url}/my")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои места потребления")


def test_logout_returns_to_the_front_page(page: Page, live_server: LiveServer) -> None:
    log_in_as(page, live_server, "Mari Maasikas")
    page.get_by_role("button", name="Logi välja").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/my")
    expect(page).to_have_url(re.compile("/oauth2/authorize|/login"))


def test_no_accessibility_violations_on_the_public_front_page(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url)
    assert axe_violations(page) == []


def test_no_accessibility_violations_on_the_login_result_and_overview(
    page: Page, live_server: LiveServer
) -> None:
    log_in_as(page, live_server, "Kati Kask")  # the largest overview: three sites
    assert axe_violations(page) == []


def test_no_accessibility_violations_on_a_failed_login(
    page: Page, live_server: LiveServer, console_errors: list[str]
) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert axe_violations(page) == []
    # Chromium reports the page's 400 status on the console: expected here, and only that.
    assert all("status of 400" in error for error in console_errors)
    console_errors.clear()


def test_the_keyboard_reaches_the_skip_link_first(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"


def test_forms_work_with_javascript_disabled(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/rules")
        page.get_by_role("button", name="English").click()
        page.wait_for_url(f"{live_server.url}/rules")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()
