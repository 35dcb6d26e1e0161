"""Issue 7's "done when", in a real browser with JavaScript on and off: Jaan applies for
the garden-water rebate under ELVESO with method B, the clerk approves, the season run
credits him, and he downloads his decision letter with every check and clause."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.browser.test_login_and_accessibility import log_in_as
from tests.conftest import LiveServer
from webapp.domain.rule_sets import load_rule_set
from webapp.extensions import db
from webapp.models import RebateApplication, RebateCredit, RebateDecisionRecord, RebateStatus
from webapp.services.access import today_in_tallinn
from webapp.services.rebates import latest_ended_season

pytestmark = pytest.mark.browser

SEASON = latest_ended_season(load_rule_set("ELVESO-2014"), today_in_tallinn())


@pytest.fixture
def clerk_page(browser: Browser, javascript: bool) -> Iterator[Page]:
    """The clerk's own browser, with JavaScript as Jaan's."""
    context = browser.new_context(locale="et-EE", java_script_enabled=javascript)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def the_application() -> RebateApplication:
    db.session.rollback()  # see what the live server committed
    application = db.session.scalar(select(RebateApplication))
    assert application is not None
    return application


def test_jaan_applies_the_clerk_approves_the_run_credits_and_the_letter_explains(
    live_server: LiveServer, any_page: Page, clerk_page: Page, javascript: bool,
    accessible: Callable[[Page], None],
) -> None:
    page, url = any_page, live_server.url
    # Jaan applies under ELVESO with his sealed, verified garden sub-meter (method B).
    log_in_as(page, live_server, "Jaan Tamm")
    page.locator('nav a[href="/my/rebates"]').click()
    page.wait_for_url(f"{url}/my/rebates")
    page.locator('a[href^="/my/rebates/apply/"]').first.click()
    page.wait_for_url(re.compile(r"/my/rebates/apply/\d+$"))
    expect(page.locator("#sub_meter_number")).to_have_value("00234568")  # from the register
    page.locator('input[name="method"][value="B"]').check()
    if not javascript:
        page.locator('button[name="action"][value="check"]').click()
    # The preconditions, in plain words, before sending.
    accepted = page.locator('#preconditions [data-check="sub_meter_accepted"]')
    expect(accepted).to_have_attribute("data-state", "met")
    expect(page.locator('#preconditions [data-check="sub_meter_sealed"]')).to_have_attribute(
        "data-state", "met")
    accessible(page)
    page.locator("#consent").check()
    page.get_by_test_id("send-application").click()
    page.wait_for_url(re.compile(r"/my/rebates/\d+$"))
    application = the_application()
    assert application.status is RebateStatus.SUBMITTED
    assert application.method.value == "B"
    accessible(page)
    # The demo's readings are the last two years'; the run computes the latest season
    # that has ended, which an application made today counts from only after August.
    application.first_season = SEASON
    db.session.commit()

    # The clerk approves it from the queue.
    clerk = clerk_page
    clerk.goto(url)
    clerk.get_by_role("link", name="Logi sisse", exact=True).click()
    clerk.get_by_role("button", name=re.compile("Liis Lepp")).click()
    clerk.wait_for_url(f"{url}/staff/")
    clerk.locator('a[href="/staff/rebates/"]').click()
    clerk.wait_for_url(f"{url}/staff/rebates/")
    clerk.locator(f'a[href="/staff/rebates/{application.id}"]').click()
    expect(clerk.locator('[data-check="required_readings"]')).to_have_attribute(
        "data-state", "met")
    clerk.get_by_test_id("approve").click()
    expect(clerk.locator(".message--success")).to_be_visible()  # after the redirect
    assert the_application().status is RebateStatus.APPROVED

    # The season run, in the background, its progress on the page.
    clerk.goto(f"{url}/staff/rebates/runs")
    clerk.locator("#season").fill(str(SEASON))
    clerk.get_by_test_id("start-run").click()
    clerk.wait_for_url(re.compile(r"/staff/rebates/runs/\d+$"))
    expect(clerk.get_by_test_id("run")).to_have_attribute("data-status", "finished",
                                                         timeout=30_000)
    expect(clerk.get_by_test_id("summary")).to_be_visible()
    db.session.rollback()
    decision = db.session.scalar(select(RebateDecisionRecord))
    assert decision is not None and decision.eligible and decision.refund_eur > 0
    credit = db.session.scalar(select(RebateCredit))
    assert credit is not None and credit.amount_eur == decision.refund_eur

    # Jaan finds the decision and downloads its letter.
    page.goto(f"{url}/my/rebates/{application.id}")
    letter = page.get_by_test_id(f"letter-{SEASON}")
    expect(letter).to_be_visible()
    accessible(page)
    response = page.request.get(url + str(letter.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    for check in decision.result["checks"]:
        assert check["clause"] in text, check
    assert "ELVESO 2.2" in text  # the cap, in the computation
