"""Authorisations (ITB 3) through the real UI: Kati gives Peeter two more sites and
takes one back; Peeter feels both at once and cannot touch Kati's owner role.

The new texts are not translated yet, so elements are found by role, id,
``data-testid`` and addresses, which stay the same in every language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from tests.browser.test_login_and_accessibility import axe_violations, log_in_as
from tests.conftest import KATI, PEETER, LiveServer
from webapp.extensions import db
from webapp.models import Person, Site, SiteRole, SiteRoleKind

pytestmark = pytest.mark.browser

TALLINNA, KINGU, SMUULI = "TK-20001", "TK-20002", "TK-20003"


def site(code: str) -> Site:
    db.session.expire_all()
    found = db.session.scalar(select(Site).where(Site.code == code))
    assert found is not None
    return found


def stored_role(code: str, site_code: str, kind: SiteRoleKind) -> SiteRole:
    db.session.expire_all()
    role = db.session.scalar(
        select(SiteRole)
        .join(Person, SiteRole.person_id == Person.id)
        .where(Person.personal_code == code, SiteRole.site_id == site(site_code).id,
               SiteRole.role == kind)
    )
    assert role is not None
    return role


def site_sections(page: Page) -> list[str]:
    """The addresses on "My sites", in order."""
    return page.locator("section.site h2").all_inner_texts()


def representative_row(page: Page, site_code: str, code: str, kind: str) -> Locator:
    section = page.get_by_test_id(f"site-{site(site_code).id}")
    return section.locator(f'tr[data-person="{code}"][data-role="{kind}"]')


@pytest.fixture
def peeter_page(browser: Browser) -> Iterator[Page]:
    """A second person's browser, open beside the first."""
    context = browser.new_context(locale="et-EE")
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_kati_gives_peeter_two_more_sites_then_takes_one_back(
    page: Page, peeter_page: Page, live_server: LiveServer
) -> None:
    live = live_server
    tallinna, kingu, smuuli = site(TALLINNA), site(KINGU), site(SMUULI)

    # Peeter, a user at one Kodu Haldus site, keeps his own browser open.
    log_in_as(peeter_page, live, "Peeter Paju")
    expect(peeter_page.locator("section.site h2")).to_have_count(1)
    assert site_sections(peeter_page) == [kingu.address]

    # Kati adds him as manager at two more of Kodu Haldus's sites at once.
    log_in_as(page, live, "Kati Kask")
    page.get_by_test_id(f"manage-authorisations-{tallinna.id}").click()
    page.wait_for_url(f"{live.url}/authorisations/?site={tallinna.id}")
    page.get_by_test_id("add-representative").click()
    page.wait_for_url(re.compile(r"/authorisations/add\?site="))
    expect(page.get_by_label(tallinna.address)).to_be_checked()
    expect(page.get_by_label(kingu.address)).not_to_be_checked()
    page.get_by_label(smuuli.address).check()
    page.locator("#personal_code").fill(PEETER)
    page.locator("#given_name").fill("Peeter")
    page.locator("#family_name").fill("Paju")
    page.locator('input[name="role"][value="manager"]').check()
    page.locator("#save").click()
    page.wait_for_url(f"{live.url}/authorisations/")
    confirmation = page.get_by_role("status")
    expect(confirmation).to_contain_text("Peeter Paju")
    expect(confirmation).to_contain_text(tallinna.address)
    expect(confirmation).to_contain_text(smuuli.address)
    for code in (TALLINNA, SMUULI):
        expect(representative_row(page, code, PEETER, "manager")).to_have_count(1)

    # Peeter sees three sites at his next click.
    peeter_page.locator('nav a[href="/my"]').click()
    peeter_page.wait_for_url(f"{live.url}/my")
    expect(peeter_page.locator("section.site h2")).to_have_count(3)
    assert sorted(site_sections(peeter_page)) == sorted(
        [tallinna.address, kingu.address, smuuli.address]
    )

    # Kati removes one, after a confirmation.
    smuuli_role = stored_role(PEETER, SMUULI, SiteRoleKind.MANAGER)
    representative_row(page, SMUULI, PEETER, "manager").get_by_role("link").click()
    page.wait_for_url(f"{live.url}/authorisations/{smuuli_role.id}/remove")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Peeter Paju")
    expect(page.get_by_role("heading", level=1)).to_contain_text(smuuli.address)
    page.locator("#confirm-remove").click()
    page.wait_for_url(f"{live.url}/authorisations/?site={smuuli.id}")
    expect(page.get_by_role("status")).to_contain_text("Peeter Paju")
    expect(representative_row(page, SMUULI, PEETER, "manager")).to_have_count(0)

    # Peeter loses it at his next click.
    peeter_page.locator('nav a[href="/my"]').click()
    peeter_page.wait_for_url(f"{live.url}/my")
    expect(peeter_page.locator("section.site h2")).to_have_count(2)
    assert smuuli.address not in site_sections(peeter_page)

    # Peeter, now a manager, cannot remove Kati: no button, and a forged POST is 404.
    peeter_page.get_by_test_id(f"manage-authorisations-{tallinna.id}").click()
    peeter_page.wait_for_url(f"{live.url}/authorisations/?site={tallinna.id}")
    katis_row = representative_row(peeter_page, TALLINNA, KATI, "owner")
    expect(katis_row).to_have_count(1)
    expect(katis_row.get_by_role("link")).to_have_count(0)
    expect(peeter_page.get_by_role("button", name=re.compile("Remove|Eemalda"))).to_have_count(0)
    katis_role = stored_role(KATI, TALLINNA, SiteRoleKind.OWNER)
    removal_url = f"{live.url}/authorisations/{katis_role.id}/remove"
    token = peeter_page.locator('input[name="csrf_token"]').first.get_attribute("value")
    forged = peeter_page.request.post(removal_url, form={"csrf_token": token or ""})
    assert forged.status == 404
    assert peeter_page.request.get(removal_url).status == 404
    assert stored_role(KATI, TALLINNA, SiteRoleKind.OWNER).revoked_at is None


def test_the_site_picker_filters_with_and_without_javascript(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    live = live_server
    kingu = site(KINGU)
    log_in_as(page, live, "Kati Kask")
    page.goto(f"{live.url}/authorisations/")
    expect(page.locator("section.site")).to_have_count(3)
    page.locator("#site-filter").select_option(str(kingu.id))  # htmx swaps the list
    expect(page.locator("section.site")).to_have_count(1)
    expect(page).to_have_url(f"{live.url}/authorisations/?site={kingu.id}")
    expect(page.get_by_test_id(f"site-{kingu.id}")).to_be_visible()
    page.go_back()  # htmx asks for the whole page again: no history cache
    expect(page).to_have_url(f"{live.url}/authorisations/")
    expect(page.locator("section.site")).to_have_count(3)
    expect(page.locator("h1")).to_have_count(1)

    context = browser.new_context(java_script_enabled=False, locale="et-EE")
    try:
        plain = context.new_page()
        log_in_as(plain, live, "Kati Kask")
        plain.goto(f"{live.url}/authorisations/")
        plain.locator("#site-filter").select_option(str(kingu.id))
        plain.get_by_test_id("show-sites").click()
        plain.wait_for_url(f"{live.url}/authorisations/?site={kingu.id}")
        expect(plain.locator("section.site")).to_have_count(1)
        # "Select all my sites" on the form is a link: it works without JavaScript too.
        plain.get_by_test_id("add-representative").click()
        plain.get_by_test_id("all-sites").click()
        expect(plain.locator('input[name="sites"]:checked')).to_have_count(3)
    finally:
        context.close()


def test_no_accessibility_violations_on_the_authorisation_pages(
    page: Page, live_server: LiveServer
) -> None:
    live = live_server
    log_in_as(page, live, "Kati Kask")
    page.goto(f"{live.url}/authorisations/")
    assert axe_violations(page) == []
    page.get_by_test_id("add-representative").click()
    page.locator("#save").click()  # nothing filled in: the error summary and messages
    expect(page.locator(".error-summary")).to_be_visible()
    assert axe_violations(page) == []
    role = stored_role(PEETER, KINGU, SiteRoleKind.USER)
    page.goto(f"{live.url}/authorisations/{role.id}/remove")
    assert axe_violations(page) == []
