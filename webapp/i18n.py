"""Languages and formats: Estonian first, then English and Russian.

Dates are always shown as dd.MM.yyyy, times in Europe/Tallinn, and numbers with
the locale's decimal separator (a comma in Estonian and Russian).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask, current_app, request, session
from flask_babel import format_decimal, get_locale, to_user_timezone
from jinja2 import Undefined

from webapp.extensions import babel

LANGUAGE_NAMES = {"et": "Eesti", "en": "English", "ru": "Русский"}


def select_locale() -> str:
    if request.path.startswith("/api/") and not request.path.startswith("/api/openapi/"):
        # The API has no session: its messages follow Accept-Language, else English.
        return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def format_day(value: dt.date | dt.datetime | str | None) -> str:
    """dd.mm.yyyy; also of an ISO date kept as text (JSON). Nothing for a missing value."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = to_user_timezone(value).date()
    return value.strftime("%d.%m.%Y")


def format_moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = to_user_timezone(value)
    return local.strftime("%d.%m.%Y %H:%M")


def format_volume(value: Decimal | str | int | None, places: int = 3) -> str:
    """Estonian grouping and decimal comma in Estonian; also of a figure kept as text.
    Nothing for a missing value (None, "" or a template's undefined)."""
    if value is None or value == "" or isinstance(value, Undefined):
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return str(format_decimal(value, format=pattern))


def format_money(value: Decimal | str | int | None) -> str:
    return format_volume(value, places=2)


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["volume"] = format_volume
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["decimal"] = Decimal  # figures kept as strings (JSON)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale())
