"""The whole OpenID Connect login over real sockets, against the development provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from tests.conftest import MARI, LiveServer, csrf_token_from
from webapp.extensions import db
from webapp.models import LoginSession, Person


def start_login(live: LiveServer, browser: requests.Session) -> str:
    response = browser.get(f"{live.url}/login", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    return response.headers["Location"]


def authorize_at_idp(browser: requests.Session, authorize_url: str, sub: str) -> str:
    response = browser.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_authorization_request_uses_pkce_state_nonce_and_the_language(
    live_server: LiveServer,
) -> None:
    location = start_login(live_server, requests.Session())
    assert location.startswith(f"{live_server.idp_url}/oauth2/authorize")
    query = parse_qs(urlsplit(location).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["ui_locales"] == ["et"]
    assert query["scope"] == ["openid"]


def test_logging_in_as_mari_opens_her_overview_and_stores_acr_and_amr(
    live_server: LiveServer,
) -> None:
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), f"EE{MARI}")
    response = browser.get(callback, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == "/my"
    page = browser.get(f"{live_server.url}/my", timeout=10).text
    assert "Maasikas" in page

    person = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    login_session = db.session.scalar(
        select(LoginSession).where(LoginSession.person_id == person.id)
    )
    assert login_session.acr == "high"
    assert login_session.amr == "mID"
    assert login_session.ended_at is None


def test_a_callback_cannot_be_replayed(live_server: LiveServer) -> None:
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), f"EE{MARI}")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 303
    # The state was used up by the first call: the same callback is refused.
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 400


def test_a_forged_state_is_refused(live_server: LiveServer) -> None:
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), f"EE{MARI}")
    forged = callback.replace("state=", "state=forged")
    response = browser.get(forged, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    after = browser.get(f"{live_server.url}/my", allow_redirects=False, timeout=10)
    assert after.status_code == 302


def test_a_token_from_another_issuer_is_refused(live_server: LiveServer) -> None:
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), f"EE{MARI}")
    live_server.app.config["OIDC_EFFECTIVE_ISSUER"] = "https://tara.example"
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 400


@pytest.mark.parametrize("sub", ["EE48001010218", "LV48001010217"])
def test_a_subject_that_is_not_an_estonian_personal_code_is_refused(
    live_server: LiveServer, sub: str
) -> None:
    before = db.session.scalar(select(db.func.count(Person.id)))
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), sub)
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(Person.id))) == before


def test_cancelling_at_the_provider_shows_a_clear_page(live_server: LiveServer) -> None:
    browser = requests.Session()
    authorize_url = start_login(live_server, browser)
    response = browser.post(authorize_url, data={"action": "deny"}, allow_redirects=False,
                            timeout=10)
    callback = response.headers["Location"]
    assert "error=access_denied" in callback
    page = browser.get(callback, allow_redirects=False, timeout=10)
    assert page.status_code == 400
    assert 'href="/login"' in page.text


def test_a_new_person_is_created_and_sees_the_no_access_page(live_server: LiveServer) -> None:
    browser = requests.Session()
    callback = authorize_at_idp(browser, start_login(live_server, browser), "EE60001019906")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 303
    page = browser.get(f"{live_server.url}/my", timeout=10)
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Person).where(Person.personal_code == "60001019906"))


def test_an_unreachable_provider_gives_a_clear_page_not_a_500(
    app_factory: object,
) -> None:
    app = app_factory(OIDC_ISSUER="http://127.0.0.1:9")  # type: ignore[operator]
    response = app.test_client().get("/login")
    assert response.status_code == 503


def test_the_provider_is_asked_for_the_language_the_person_chose(live_server: LiveServer) -> None:
    browser = requests.Session()
    token = csrf_token_from(browser.get(f"{live_server.url}/", timeout=10).text)
    browser.post(f"{live_server.url}/language", data={"lang": "ru", "csrf_token": token,
                                                      "next": "/"}, timeout=10)
    query = parse_qs(urlsplit(start_login(live_server, browser)).query)
    assert query["ui_locales"] == ["ru"]
