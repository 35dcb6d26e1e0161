"""The administrator's pages: staff roles, settings and prices, the audit trail.

Accessible (axe, WCAG 2.1 AA) as shown and with form errors, and usable without
JavaScript: the removal of a role goes through its confirmation page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_login_and_accessibility import axe_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PAGES = ["/staff/admin/staff-roles", "/staff/admin/settings", "/staff/admin/audit"]


def log_in_as_admin(page: Page, live: LiveServer) -> None:
    """Anne Allikas, the administrator; staff land on the staff start page."""
    page.goto(live.url)
    page.get_by_role("link", name="Logi sisse", exact=True).click()
    page.get_by_role("button", name=re.compile("Anne Allikas")).click()
    page.wait_for_url(f"{live.url}/staff/")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live.url}/staff/")


@pytest.mark.parametrize("path", PAGES)
def test_no_accessibility_violations_on_the_admin_pages(
    page: Page, live_server: LiveServer, path: str
) -> None:
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_violations(page) == []


def test_no_accessibility_violations_with_form_errors(
    page: Page, live_server: LiveServer, console_errors: list[str]
) -> None:
    log_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/staff/admin/settings")
    page.get_by_label("Meters on one site").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Price in EUR without VAT").fill("-1")
    page.get_by_role("button", name="Add the price").click()
    expect(page.get_by_text("A price cannot be negative.").first).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/staff/admin/audit?date_from=tomorrow")
    expect(page.get_by_text("Enter the date as dd.mm.yyyy.").first).to_be_visible()
    assert axe_violations(page) == []
    # Chromium reports the 422 and 400 statuses on the console: expected here, only those.
    assert all(re.search("status of 4(00|22)", error) for error in console_errors)
    console_errors.clear()


def test_a_role_is_given_and_removed_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in_as_admin(page, live_server)
        page.goto(f"{live_server.url}/staff/admin/staff-roles")
        page.get_by_label("Personal identification code").fill("48001010217")
        page.get_by_label("Role").select_option("inspector")
        page.get_by_role("button", name="Give the role").click()
        expect(page.get_by_text("Mari Maasikas now has the role inspector.")).to_be_visible()
        row = page.get_by_role("row", name=re.compile("Mari Maasikas"))
        row.get_by_role("link", name=re.compile("Remove")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Remove a staff role")
        page.get_by_role("button", name="Remove the role").click()
        expect(page.get_by_text("The role inspector of Mari Maasikas was removed.")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("Mari Maasikas"))).to_have_count(0)
    finally:
        context.close()
