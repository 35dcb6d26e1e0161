"""The clerk finds Mari by her meter number, enters a reading for her after a phone
call and corrects it; Mari then sees who looked at her data, when and why."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser.test_login_and_accessibility import axe_violations, log_in_as
from tests.conftest import LiveServer
from webapp.extensions import db
from webapp.models import Meter, Reading

pytestmark = pytest.mark.browser

MARIS_METER = "00123456"


def log_in_as_staff(page: Page, live: LiveServer, name: str) -> None:
    """Staff land on the staff start page (``/my`` sends them on)."""
    page.goto(live.url)
    page.get_by_role("link", name="Logi sisse", exact=True).click()
    page.get_by_role("button", name=re.compile(name)).click()
    page.wait_for_url(f"{live.url}/staff/")


def current_reading(meter_id: int) -> Reading:
    db.session.rollback()  # see what the live server committed
    return db.session.scalars(
        select(Reading)
        .where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date.desc(), Reading.id.desc())
    ).first()


def volume(value: Decimal) -> str:
    """As a person types it: a decimal comma, no grouping."""
    return f"{value:.3f}".replace(".", ",")


def shown(value: Decimal) -> re.Pattern[str]:
    """As the page shows it in Estonian: thousands grouped by a (narrow) space."""
    whole, decimals = f"{value:,.3f}".split(".")
    return re.compile(r"[\s\u00a0\u202f]".join(whole.split(",")) + "," + decimals)


def test_the_clerk_enters_and_corrects_a_reading_and_mari_sees_it(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    meter = db.session.scalar(select(Meter).where(Meter.number == MARIS_METER))
    meter_id = meter.id
    last = current_reading(meter_id)
    entered, corrected = last.value + Decimal("7.5"), last.value + Decimal("7.25")

    # The clerk finds Mari by her meter number, from the staff start page.
    log_in_as_staff(page, live_server, "Liis Lepp")
    page.locator("#q").fill(MARIS_METER)
    page.locator("#search-button").click()
    page.wait_for_url(re.compile(r"/staff/search\?q=00123456$"))
    results = page.get_by_test_id("meter-result")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Kaevu tn 12")
    assert axe_violations(page) == []

    # Opening her card asks why, the first time.
    results.get_by_role("link", name="Mari Maasikas").click()
    page.wait_for_url(re.compile(r"/staff/purpose\?"))
    page.locator("#purpose-phone_call").check()
    page.locator("#purpose-submit").click()
    page.wait_for_url(re.compile(r"/staff/customers/\d+$"))
    card_url = page.url
    expect(page.locator("#customer-name")).to_have_text("Mari Maasikas")
    expect(page.locator("#purpose-note")).to_contain_text("telefonikõne")  # phone call
    expect(page.locator("#no-documents")).to_be_visible()
    assert axe_violations(page) == []

    # She reads out her meter on the phone: the clerk enters it.
    page.locator(f"#enter-reading-{meter_id}").click()
    page.wait_for_url(re.compile(rf"/staff/meters/{meter_id}/readings/new$"))
    page.locator("#value").fill(volume(entered))
    page.locator("#save-reading").click()
    page.wait_for_url(card_url)
    expect(page.get_by_role("status")).to_contain_text(MARIS_METER)
    new = current_reading(meter_id)
    assert new.value == entered and new.channel == "staff"
    expect(page.locator(f"#reading-{new.id}")).to_contain_text(shown(entered))

    # A digit was misheard: the clerk corrects it, giving the reason.
    page.locator(f"#correct-{new.id}").click()
    page.wait_for_url(re.compile(rf"/staff/readings/{new.id}/correct$"))
    page.locator("#value").fill(volume(corrected))
    page.locator("#reason").fill("Misheard on the phone: 25 litres, not 50")
    page.locator("#save-correction").click()
    page.wait_for_url(card_url)
    old_row = page.locator(f"#reading-{new.id}")
    expect(old_row.get_by_test_id("replaced")).to_be_visible()
    expect(old_row).to_contain_text(shown(entered))  # the old value is kept
    fixed = current_reading(meter_id)
    assert fixed.value == corrected
    expect(page.locator(f"#reading-{fixed.id}")).to_contain_text("Misheard on the phone")

    # Mari, in her own browser, sees who looked at her data, when and why.
    context = browser.new_context(locale="et-EE")
    try:
        mari = context.new_page()
        log_in_as(mari, live_server, "Mari Maasikas")
        mari.locator('a[href="/my/data-access"]').first.click()
        mari.wait_for_url(f"{live_server.url}/my/data-access")
        rows = mari.locator("tbody tr")
        expect(rows.first).to_contain_text("Liis Lepp")
        expect(rows.first).to_contain_text("telefonikõne")  # phone call
        expect(rows.first).to_contain_text(re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d"))
    finally:
        context.close()
