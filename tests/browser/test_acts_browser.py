"""Issue 9 in a real browser, JavaScript on and off: the inspector draws up an
unauthorised connection act for Mari's house, previews it (htmx with JavaScript, the
saved draft without), issues it with the next number, and a second "Issue" of the same
draft from another tab is refused; Mari finds the act in her portal, and /verify
confirms the hash of the file she downloaded."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_backoffice_browser import log_in_as_staff
from tests.browser.test_login_and_accessibility import log_in_as
from tests.conftest import LiveServer
from webapp.extensions import db
from webapp.models import OfficialDocument
from webapp.services.numbering import last_number

pytestmark = pytest.mark.browser

FIELDS = {"found_on": "2026-03-15", "description": "Voolik tänava torust aeda.",
          "daily_m3": "0,8", "estimate_basis": "DN20 voolik, 2 tundi päevas",
          "closing_cost_eur": "45"}


def test_the_inspector_issues_an_act_that_mari_sees_and_anyone_verifies(
    live_server: LiveServer, any_page: Page, javascript: bool, browser: Browser,
    accessible: Callable[[Page], None],
) -> None:
    page, url = any_page, live_server.url
    year = dt.date.today().year
    expected = f"OMU-{year}-{last_number('OMU', year) + 1:05d}"

    log_in_as_staff(page, live_server, "Toomas Tuul")
    page.locator('a[href="/staff/acts/"]').first.click()
    page.wait_for_url(f"{url}/staff/acts/")
    accessible(page)
    new = page.get_by_test_id("new-act")
    new.locator("[name=kind]").select_option("unauth_connection")
    new.locator("[name=site_code]").fill("TK-10001")
    new.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/staff/acts/*")
    draft_url = page.url

    form = page.get_by_test_id("act-form")
    for name, value in FIELDS.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=closed]").check()
    if javascript:
        # htmx sends the form on change: the preview shows the computation, unsaved
        form.locator("[name=estimate_basis]").dispatch_event("change")
        expect(page.get_by_test_id("preview")).to_contain_text("145")
        expect(page.get_by_test_id("preview")).to_contain_text("181")
    form.locator("button[type=submit]").click()
    page.wait_for_url(draft_url)
    expect(page.get_by_test_id("preview")).to_contain_text("145")  # the saved draft's
    accessible(page)

    stale = page.context.new_page()  # a second tab on the same draft
    stale.goto(draft_url)

    issue = page.get_by_test_id("issue-form")
    issue.locator("[name=confirm]").check()
    issue.locator("button[type=submit]").click()
    page.wait_for_url(draft_url)
    expect(page.get_by_test_id("act-number")).to_have_text(expected)
    sha = page.get_by_test_id("act-sha256").inner_text().strip()
    accessible(page)

    again = stale.get_by_test_id("issue-form")
    again.locator("[name=confirm]").check()
    again.locator("button[type=submit]").click()
    stale.wait_for_url(draft_url)
    expect(stale.locator(".message--error")).to_contain_text(expected)
    stale.close()
    doc = db.session.scalar(db.select(OfficialDocument).where(
        OfficialDocument.number == expected))
    assert doc is not None and last_number("OMU", year) == int(expected[-5:])

    mari = browser.new_context(locale="et-EE", java_script_enabled=javascript).new_page()
    log_in_as(mari, live_server, "Mari Maasikas")
    mari.goto(f"{url}/my/documents")
    accessible(mari)
    link = mari.get_by_role("link", name=expected)
    expect(link).to_be_visible()
    pdf = mari.request.get(url + str(link.get_attribute("href")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    digest = hashlib.sha256(pdf.body()).hexdigest()
    assert digest == sha == doc.sha256

    anyone = browser.new_context(locale="et-EE", java_script_enabled=javascript).new_page()
    anyone.goto(f"{url}/verify")
    check = anyone.get_by_test_id("verify-form")
    check.locator("[name=number]").fill(expected)
    check.locator("[name=sha256]").fill(digest)
    check.locator("button[type=submit]").click()
    result = anyone.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-matches", "yes")
    expect(result).to_contain_text(expected)
    accessible(anyone)
    anyone.context.close()
    mari.context.close()
