"""Sending readings in a real browser (ITB 1), with JavaScript on and off: Mari's
standard view and history, Kati's CSV import with its preview, a warning that
needs a confirmation, and Peeter's one site."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_login_and_accessibility import log_in_as
from tests.conftest import LiveServer
from webapp.extensions import db
from webapp.models import Meter, Reading, ReadingChannel, Site

pytestmark = pytest.mark.browser

MARIS_METER = "00123456"


def current(number: str) -> list[Reading]:
    db.session.rollback()  # see what the live server committed
    meter = db.session.scalar(select(Meter).where(Meter.number == number))
    return list(db.session.scalars(
        select(Reading).where(Reading.meter_id == meter.id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date, Reading.id)))


def typed(value: Decimal) -> str:
    return f"{value:.3f}".replace(".", ",")


def test_mari_sends_a_reading_and_sees_it_in_the_history(
    any_page: Page, live_server: LiveServer, accessible: Callable[[Page], None],
    javascript: bool,
) -> None:
    page = any_page
    page.set_viewport_size({"width": 360, "height": 740})  # a phone
    log_in_as(page, live_server, "Mari Maasikas")
    page.get_by_test_id("send-readings-link").click()
    page.wait_for_url(f"{live_server.url}/my/readings")
    field = page.locator('input[name^="reading-"]')
    expect(field).to_have_count(1)  # the standard view: one field
    if javascript:  # measured by a script; the layout is the same without
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    accessible(page)
    new = current(MARIS_METER)[-1].value + Decimal("0.2")
    field.fill(typed(new))
    page.get_by_test_id("send-readings").click()
    page.wait_for_url(f"{live_server.url}/my/readings")
    expect(page.get_by_role("status")).to_be_visible()
    saved = current(MARIS_METER)[-1]
    assert saved.value == new and saved.channel is ReadingChannel.WEB
    page.get_by_role("link", name=re.compile(MARIS_METER)).first.click()
    page.wait_for_url(re.compile(r"/my/meters/\d+$"))
    expect(page.get_by_test_id("history").locator("tbody tr").first).to_contain_text(
        typed(new).replace(",", ",")[-7:])
    expect(page.locator("svg[role=img]")).to_be_visible()
    accessible(page)


def test_an_unusual_reading_is_saved_only_after_confirming(
    any_page: Page, live_server: LiveServer, accessible: Callable[[Page], None]
) -> None:
    page = any_page
    log_in_as(page, live_server, "Mari Maasikas")
    page.goto(f"{live_server.url}/my/readings")
    before = current(MARIS_METER)
    field = page.locator('input[name^="reading-"]')
    meter_id = field.get_attribute("name").removeprefix("reading-")  # type: ignore[union-attr]
    high = before[-1].value + Decimal(50)  # far over ten times the usual use
    field.fill(typed(high))
    page.get_by_test_id("send-readings").click()
    confirm = page.locator(f"#confirm-{meter_id}")
    expect(confirm).to_be_visible()
    expect(page.locator(".field-warning").first).to_be_visible()
    assert len(current(MARIS_METER)) == len(before)  # not saved yet
    accessible(page)
    expect(page.locator('input[name^="reading-"]')).to_have_value(typed(high))
    confirm.check()
    page.get_by_test_id("send-readings").click()
    page.wait_for_url(f"{live_server.url}/my/readings")
    expect(page.locator(f"#confirm-{meter_id}")).to_have_count(0)
    assert current(MARIS_METER)[-1].value == high


def test_kati_imports_a_csv_sees_the_preview_and_sends_it(
    any_page: Page, live_server: LiveServer, accessible: Callable[[Page], None]
) -> None:
    page = any_page
    meters = list(db.session.scalars(
        select(Meter).join(Site).where(Meter.kind == "cold_water", Site.code.like("TK-2%"))
        .order_by(Meter.number)))
    assert len(meters) == 12
    lines = ["Arvesti nr;Näit;Kuupäev"]
    for meter in meters[:11]:
        lines.append(f"{meter.number};{typed(current(meter.number)[-1].value + Decimal('0.1'))};")
    lines.append(f"{meters[11].number};kaksteist;")  # line 13: not a number
    before = {meter.number: len(current(meter.number)) for meter in meters}

    log_in_as(page, live_server, "Kati Kask")
    page.goto(f"{live_server.url}/my/readings")
    expect(page.locator('input[name^="reading-"]')).to_have_count(12)  # the mass view
    page.get_by_test_id("csv-import").click()
    page.wait_for_url(f"{live_server.url}/my/readings/import")
    accessible(page)
    page.locator("#csv-file").set_input_files(files=[{
        "name": "näidud.csv", "mimeType": "text/csv",
        "buffer": "\r\n".join(lines).encode("cp1257")}])
    page.get_by_test_id("csv-preview").click()
    rejected = page.get_by_test_id("rejected-rows")
    expect(rejected.locator("tbody tr")).to_have_count(1)
    expect(rejected).to_contain_text("13")
    expect(rejected).to_contain_text(meters[11].number)
    expect(page.get_by_test_id("preview-note")).to_be_visible()
    filled = page.locator('input[name^="reading-"]:not([value=""])')
    expect(filled).to_have_count(11)
    assert {m.number: len(current(m.number)) for m in meters} == before  # only a preview
    accessible(page)
    page.get_by_test_id("send-readings").click()
    page.wait_for_url(f"{live_server.url}/my/readings")
    expect(page.get_by_role("status")).to_contain_text("11")
    for meter in meters[:11]:
        newest = current(meter.number)[-1]
        assert newest.channel is ReadingChannel.CSV
        assert len(current(meter.number)) == before[meter.number] + 1
    assert len(current(meters[11].number)) == before[meters[11].number]


def test_peeter_sees_only_his_one_site(any_page: Page, live_server: LiveServer,
                                      accessible: Callable[[Page], None]) -> None:
    page = any_page
    log_in_as(page, live_server, "Peeter Paju")
    page.goto(f"{live_server.url}/my/readings")
    expect(page.locator('input[name^="reading-"]')).to_have_count(4)
    expect(page.locator("#readings-list")).to_contain_text("Kingu tn 11")
    expect(page.locator("#readings-list")).not_to_contain_text("Tallinna tn 62")
    expect(page.locator("#site-switch")).to_have_count(0)
    accessible(page)
