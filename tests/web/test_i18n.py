"""Three languages: complete catalogues, a switch that keeps the page, local formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask, session
from flask.testing import FlaskClient

from tests.conftest import csrf_token_from
from webapp.config import Config
from webapp.i18n import format_day, format_moment, format_volume

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHOD_MAP = [
    ("webapp/**.py", "python"),
    ("webapp/templates/**.html", "jinja2"),
    ("pdf/templates/**.html", "jinja2"),
]


def extracted_messages() -> set[str]:
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


@pytest.mark.parametrize("locale", ["et", "en", "ru"])
def test_every_user_facing_string_is_translated(locale: str) -> None:
    path = ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    missing = []
    for message_id in sorted(extracted_messages()):
        entry = catalog.get(message_id)
        if entry is None or entry.fuzzy or not entry.string or (
            isinstance(entry.string, tuple) and not all(entry.string)
        ):
            missing.append(message_id)
    assert not missing, f"untranslated in {locale}: {missing}"


@pytest.fixture
def portal_default_client(app_factory: Callable[..., Flask]) -> FlaskClient:
    """A client of an app with the portal's own default language (the other tests
    read English)."""
    return app_factory(BABEL_DEFAULT_LOCALE=Config.BABEL_DEFAULT_LOCALE).test_client()


def test_estonian_is_the_default(portal_default_client: FlaskClient) -> None:
    assert Config.BABEL_DEFAULT_LOCALE == "et"
    page = portal_default_client.get("/").get_data(as_text=True)
    assert '<html lang="et">' in page
    assert "Logi sisse" in page


@pytest.mark.parametrize(
    ("locale", "word"), [("en", "Log in"), ("ru", "Войти"), ("et", "Logi sisse")]
)
def test_the_language_switch_keeps_the_page(client: FlaskClient, locale: str, word: str) -> None:
    token = csrf_token_from(client.get("/rules").get_data(as_text=True))
    response = client.post("/language", data={"lang": locale, "next": "/rules?x=1",
                                              "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/rules?x=1"
    page = client.get("/rules").get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    assert word in page


def test_an_unknown_language_changes_nothing(portal_default_client: FlaskClient) -> None:
    client = portal_default_client
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    client.post("/language", data={"lang": "de", "next": "/", "csrf_token": token})
    assert '<html lang="et">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("locale", "volume"), [("et", "1\xa0234,500"), ("ru", "1\xa0234,500"),
                                                 ("en", "1,234.500")])
def test_numbers_and_dates_follow_the_locale(app: Flask, locale: str, volume: str) -> None:
    with app.test_request_context("/"):
        session["lang"] = locale
        assert format_volume(Decimal("1234.5")).replace("\u202f", "\xa0") == volume
        assert format_day(dt.date(2026, 3, 1)) == "01.03.2026"
        # Stored in UTC, shown in Europe/Tallinn (UTC+3 in summer).
        assert format_moment(dt.datetime(2026, 7, 1, 21, 30, tzinfo=dt.UTC)) == "02.07.2026 00:30"
