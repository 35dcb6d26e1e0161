"""Playwright driving Debian's Chromium (/usr/bin/chromium), headless, no sandbox.

Playwright's own browser download is not available on these machines, so the
tests use the system Chromium; ``.ci/run`` installs it where it is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="et-EE")
    yield context
    context.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(context: BrowserContext, console_errors: list[str]) -> Iterator[Page]:
    page = context.new_page()
    page.on("console", lambda message: console_errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    # A CSP violation or a script error is a failure even when the page looks fine.
    assert console_errors == []


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def any_page(javascript: bool, browser: Browser) -> Iterator[Page]:
    """A page with JavaScript on, and the same again with it off."""
    context = browser.new_context(locale="et-EE", java_script_enabled=javascript)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "status of 422" not in m.text else None)  # a form sent back is no error
    yield page
    context.close()
    assert errors == []  # a CSP violation or a script error fails the test


@pytest.fixture
def accessible(javascript: bool) -> Callable[[Page], None]:
    """Check a page with axe-core, which needs JavaScript: with it off the same pages
    were checked in the other run."""
    from tests.browser.test_login_and_accessibility import axe_violations

    def check(page: Page) -> None:
        if javascript:
            assert axe_violations(page) == []

    return check
