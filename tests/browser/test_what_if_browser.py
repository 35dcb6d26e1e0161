"""Done when (issue 10): a council member raises the ELVESO cap from 30 to 40 m³ in
the what-if page and sees the cost of the change over the demo season, as a table, a
chart and a PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_login_and_accessibility import axe_violations
from tests.conftest import CLERK, LiveServer
from webapp.demo_gardens import add_garden_applications, build_garden_street
from webapp.extensions import db
from webapp.services.access import today_in_tallinn
from webapp.services.importer import import_master_data

pytestmark = pytest.mark.browser


@pytest.fixture
def gardens(live_server: LiveServer) -> None:
    """The demo's street of gardens (``flask data demo`` loads it with the rest)."""
    today = today_in_tallinn()
    import_master_data(build_garden_street(today))
    add_garden_applications(today, CLERK)
    db.session.commit()


@pytest.mark.usefixtures("gardens")
def test_the_council_member_raises_the_elveso_cap_to_40(
        any_page: Page, live_server: LiveServer, javascript: bool) -> None:
    page = any_page
    page.goto(live_server.url)
    page.get_by_role("link", name="Logi sisse", exact=True).click()
    page.get_by_role("button", name=re.compile("Kadri Kuusk")).click()
    # A council member's one page: the what-if report, with the rule set's own values.
    page.wait_for_url(re.compile(r"/council/what-if"))
    cap_a = page.locator("#cap_A")
    expect(cap_a).to_have_value("30")
    expect(page.locator("#rule_set")).to_have_value("ELVESO-2014")

    cap_a.fill("40")
    page.locator("#cap_B").fill("40")
    page.get_by_test_id("compute").click()

    totals = page.get_by_test_id("what-if-totals")
    expect(totals).to_be_visible()
    expect(page.get_by_test_id("refund-difference")).to_have_text("117,74")
    expect(totals).to_contain_text("536,500")
    groups = page.get_by_test_id("what-if-groups")
    expect(groups.locator('tr[data-band="gain_up_to_10"]')).to_contain_text("28,03")
    chart = page.get_by_test_id("what-if-chart").locator("svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("title").first).to_contain_text("2")
    # The link carries the values: it can go in the council's papers.
    assert "cap_A=40" in page.url
    if javascript:
        assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_test_id("what-if-pdf").click()
    pdf = download_info.value
    path = pdf.path()
    assert path is not None
    with open(path, "rb") as file:
        assert file.read(5) == b"%PDF-"
