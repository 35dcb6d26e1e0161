"""Forms used on every page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf

from webapp.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    # Sent by one of the language buttons (name="lang"), so one click switches.
    lang = HiddenField(validators=[AnyOf(tuple(LANGUAGE_NAMES))])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so that no link can log you out."""
