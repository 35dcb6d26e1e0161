"""The API page in a real browser (ITB 1.2.2), JavaScript on and off: Kati finds it in
the mass view, makes a key that works at once, limits it, makes a new one (after a
warning) that makes the old one fail, and revokes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.test_login_and_accessibility import log_in_as
from tests.conftest import KATI, LiveServer


def api_status(base_url: str, key: str) -> int:
    request = urllib.request.Request(base_url + "/api/Readings", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_kati_makes_renews_and_revokes_a_key(live_server: LiveServer, any_page: Page,
                                             accessible: Callable[[Page], None]) -> None:
    page = any_page
    log_in_as(page, live_server, KATI)
    page.goto(live_server.url + "/my/readings")
    page.get_by_test_id("api-page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API")
    accessible(page)
    expect(page.get_by_test_id("api-docs")).to_have_attribute(
        "href", "/api/openapi/index.html?url=/api/openapi.json")
    page.get_by_test_id("new-key").click()
    page.get_by_test_id("generate-key").click()
    first = page.get_by_test_id("new-api-key").input_value()
    assert first.startswith("vp_")
    accessible(page)
    assert api_status(live_server.url, first) == 200

    page.get_by_role("link", name="Tagasi API lehele").click()
    expect(page.get_by_test_id("last-used")).to_contain_text("127.0.0.1")
    assert first not in page.content()
    # A bad range is refused beside its field; nothing changes.
    page.get_by_label("Lubatud aadressid (valikuline)").fill("10.0.0.0/8\nnot-a-range")
    page.get_by_test_id("save-limits").click()
    expect(page.locator(".field-error")).to_contain_text("not-a-range")
    assert api_status(live_server.url, first) == 200

    page.get_by_test_id("renew-key").click()
    expect(page.get_by_test_id("old-key-warning")).to_contain_text(first[:9])
    page.get_by_test_id("generate-key").click()
    second = page.get_by_test_id("new-api-key").input_value()
    assert second != first
    assert api_status(live_server.url, first) == 401  # at once
    assert api_status(live_server.url, second) == 200

    page.get_by_role("link", name="Tagasi API lehele").click()
    page.get_by_test_id("revoke-key").click()
    page.get_by_test_id("confirm-revoke").click()
    expect(page.get_by_test_id("new-key")).to_be_visible()
    assert api_status(live_server.url, second) == 401
