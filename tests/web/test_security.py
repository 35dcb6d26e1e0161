"""CSRF, security headers, cookies and secrets."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token_from
from webapp import create_app
from webapp.config import ProductionConfig


def test_a_form_post_without_csrf_token_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "ru", "next": "/"})
    assert response.status_code == 400
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page  # the language did not change (tests read English)


def test_an_htmx_request_without_the_csrf_header_is_refused(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "en"}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_the_csrf_token_in_the_htmx_header_is_accepted(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(
        "/language", data={"lang": "en", "next": "/"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 303


def test_every_page_names_the_token_for_htmx_in_the_body(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "hx-headers='{\"X-CSRFToken\": \"" in page


@pytest.mark.parametrize("path", ["/", "/rules", "/does-not-exist", "/static/css/portal.css"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    response.close()  # a static file is streamed: close it
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_or_style_in_pages(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "<style" not in page
    assert " style=" not in page
    for script in page.split("<script")[1:]:
        assert script.lstrip().startswith("src=")


def test_htmx_may_not_evaluate_code(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '"allowEval": false' in page and '"allowScriptTags": false' in page


def test_no_external_resource_is_referenced(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page.replace("http://localhost", "")
    assert "https://" not in page


def test_session_cookie_is_httponly_and_lax(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_hsts_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    app = create_app({"SECRET_KEY": "a-real-secret-from-the-environment",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/static/css/portal.css")
    response.close()
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_the_default_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    class Production(ProductionConfig):
        SECRET_KEY = "change-me"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    monkeypatch.setattr("webapp.PROJECT_ROOT", tmp_path)
    with pytest.raises(RuntimeError, match="default secret key"):
        create_app(Production)


def test_development_makes_and_keeps_its_own_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setattr("webapp.PROJECT_ROOT", tmp_path)
    first: Flask = create_app({"SECRET_KEY": "change-me", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SECRET_KEY": "change-me", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] != "change-me"


def test_an_open_redirect_through_the_language_switch_is_not_possible(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/language",
                               data={"lang": "en", "csrf_token": token, "next": target})
        assert response.headers["Location"] == "/"
