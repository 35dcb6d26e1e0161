"""Done when (issue 10): anyone can open /rules/kee, jump to §24, search for "plomm",
print it, and download the PDF. With JavaScript and without."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.acts.helpers import one_line, pdftotext
from tests.browser.test_login_and_accessibility import axe_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_anyone_reads_searches_prints_and_downloads_the_regulation(
        any_page: Page, live_server: LiveServer, javascript: bool) -> None:
    page = any_page
    page.goto(f"{live_server.url}/rules/kee")
    expect(page.locator("h1")).to_have_text(re.compile("Kuressaare linna ühisveevärgi"))
    if javascript:
        assert axe_violations(page) == []

    # The table of contents jumps to §24.
    page.locator(".regulation-toc").get_by_role("link", name=re.compile(r"^§ 24\.")).click()
    expect(page).to_have_url(re.compile(r"/rules/kee#p24$"))
    expect(page.locator("#p24")).to_be_in_viewport()
    expect(page.locator("#p24 .self-link").first).to_have_attribute("href", "#p24")

    # Search "plomm": the hits link to the §§ (htmx live results, or the page again).
    page.locator("#regulation-q").fill("plomm")
    page.locator(".regulation-search").get_by_role("button").click()
    hits = page.get_by_test_id("search-hit")
    expect(hits.first).to_be_visible()
    links = [hits.nth(i).get_attribute("href") or "" for i in range(hits.count())]
    assert any(link.endswith("#p34") for link in links)
    assert any(link.endswith("#p26-u1-2") for link in links)
    expect(page.locator(".regulation-hits mark").first).to_have_text(re.compile("plomm", re.I))
    hits.filter(has_text="§ 34 (1)").first.click()
    expect(page).to_have_url(re.compile(r"#p34-1$"))

    # The Print button with JavaScript, the hint to press Ctrl+P without it.
    expect(page.locator("[data-print]")).to_be_visible(visible=javascript)
    expect(page.locator("[data-print-hint]")).to_be_visible(visible=not javascript)

    # The print view shows the text only: no menu, no search, no self-links.
    page.emulate_media(media="print")
    expect(page.locator(".main-nav")).to_be_hidden()
    expect(page.locator(".regulation-search")).to_be_hidden()
    expect(page.locator("#p24 .self-link").first).to_be_hidden()
    expect(page.locator("#p24 h3")).to_be_visible()
    page.emulate_media(media="screen")

    # The whole regulation as a PDF.
    with page.expect_download() as download_info:
        page.locator(".regulation-tools a[download]").click()
    download = download_info.value
    assert download.suggested_filename == "KEE-2012.pdf"
    path = download.path()
    assert path is not None
    with open(path, "rb") as pdf:
        text = one_line(pdftotext(pdf.read()))
    assert "§ 24. Omavolilise ühenduse mõiste" in text
    assert "Kuressaare linna ühisveevärgi ja -kanalisatsiooni kasutamise eeskiri" in text
    assert "Hõljum" in text and "ÜVK" in text
