"""Swagger UI on /api/openapi/index.html in a real browser, under the portal's own
Content-Security-Policy: it renders the API's operations, says nothing on the
console (a CSP violation is a console error, so the ``page`` fixture fails on it)
and never fetches anything from another origin, whatever ``?url=`` says."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import jsonify
from playwright.sync_api import Locator, Page, Request, expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

DOCS = "/api/openapi/index.html?url=/api/openapi.json"
OPERATIONS = ["/api/Readings", "/api/SmartMeter/GetSupplyPointsWithSmartMeter"]

# A small OpenAPI 3.1 document of the test's own, so that Swagger UI itself (the
# bundle, the stylesheet, the starter and the CSP) is checked whatever the real
# document holds.
SAMPLE_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sample water API", "version": "1.0.0"},
    "paths": {
        "/sample/meters/{number}": {
            "get": {
                "summary": "One meter",
                "parameters": [{"name": "number", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The meter",
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Meter"},
                            "example": {"number": "00123456", "reading": "123.456"},
                        }},
                    },
                },
            },
        },
    },
    "components": {"schemas": {"Meter": {
        "type": "object",
        "required": ["number"],
        "properties": {"number": {"type": "string"}, "reading": {"type": "string"}},
    }}},
}
SAMPLE_PATH = "/test-only/sample-openapi.json"


# Recorded by the page itself as well as on the console: every CSP violation.
WATCH_CSP = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', (event) =>"
    " window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));"
)


def watch_csp(page: Page) -> None:
    # An init script runs through the DevTools protocol, outside the page's CSP.
    page.add_init_script(WATCH_CSP)


def csp_violations(page: Page) -> list[str]:
    return list(page.evaluate("window.cspViolations"))


def requests_of(page: Page) -> list[str]:
    urls: list[str] = []

    def record(request: Request) -> None:
        urls.append(request.url)

    page.on("request", record)
    return urls


def foreign(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).hostname != "127.0.0.1"]


def operation(page: Page, path: str) -> Locator:
    return page.locator(f'.opblock-summary-path[data-path="{path}"]')


def test_swagger_ui_renders_the_portals_api_document(page: Page,
                                                     live_server: LiveServer) -> None:
    watch_csp(page)
    urls = requests_of(page)
    response = page.goto(live_server.url + DOCS)
    assert response is not None
    assert response.status == 200
    for path in OPERATIONS:
        expect(operation(page, path).first).to_be_visible()
    assert f"{live_server.url}/api/openapi.json" in urls
    assert foreign(urls) == []
    assert csp_violations(page) == []


def test_swagger_ui_runs_under_the_portals_csp(page: Page, live_server: LiveServer) -> None:
    live_server.app.add_url_rule(SAMPLE_PATH, "sample_openapi",
                                 lambda: jsonify(SAMPLE_DOCUMENT))
    live_server.app.add_url_rule("/sample/meters/<number>", "sample_meter",
                                 lambda number: jsonify({"number": number}))
    watch_csp(page)
    urls = requests_of(page)
    page.goto(f"{live_server.url}/api/openapi/index.html?url={SAMPLE_PATH}")
    expect(page.get_by_role("heading", name="Sample water API")).to_be_visible()
    summary = operation(page, "/sample/meters/{number}")
    expect(summary).to_be_visible()
    # Opening an operation draws its parameters, the example (highlighted) and the
    # schema: more of Swagger UI's code runs, still with nothing on the console.
    summary.click()
    expect(page.locator(".opblock-body .parameters")).to_be_visible()
    expect(page.locator(".opblock-body .microlight").first).to_contain_text("00123456")
    page.get_by_role("tab", name="Schema").first.click()
    expect(page.locator(".opblock-body .model-box").first).to_be_visible()
    # Deep linking writes the open operation into the address, on this page.
    expect(page).to_have_url(f"{live_server.url}/api/openapi/index.html"
                             f"?url={SAMPLE_PATH}#/default/get_sample_meters__number_")
    # "Try it out" sends the request from the page (connect-src 'self') and shows the answer.
    page.get_by_role("button", name="Try it out").click()
    page.get_by_placeholder("number").fill("00123456")
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tr.response .response-col_status")
    expect(status.first).to_have_text("200")
    assert f"{live_server.url}{SAMPLE_PATH}" in urls
    assert f"{live_server.url}/sample/meters/00123456" in urls
    assert foreign(urls) == []
    assert csp_violations(page) == []


@pytest.mark.parametrize("address", [
    "https://example.com/x.json",
    "//example.com/x.json",
    "/\\example.com/x.json",
    "/\t/example.com/x.json",
])
def test_a_document_from_another_origin_is_refused(page: Page, live_server: LiveServer,
                                                   address: str) -> None:
    urls = requests_of(page)
    page.goto(f"{live_server.url}/api/openapi/index.html?url={quote(address, safe='')}")
    # The page shows the portal's own document instead, and nothing left 127.0.0.1.
    expect(operation(page, OPERATIONS[0]).first).to_be_visible()
    assert f"{live_server.url}/api/openapi.json" in urls
    assert foreign(urls) == []
    assert not any(urlsplit(url).path.endswith("/x.json") for url in urls)


def test_the_short_address_leads_to_the_documentation(page: Page,
                                                      live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/api/openapi")
    expect(page).to_have_url(live_server.url + DOCS)
    expect(operation(page, OPERATIONS[0]).first).to_be_visible()
