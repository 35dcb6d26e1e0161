"""Forms used on every page."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectMultipleField
from wtforms.validators import AnyOf
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from webapp.i18n import LANGUAGE_NAMES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def clean_text(value: Any) -> Any:
    """Control characters (a NUL byte breaks PostgreSQL) dropped, the ends stripped."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", value).strip()


def clean_line(value: Any) -> Any:
    """One line: control characters dropped, runs of white space made one space."""
    value = clean_text(value)
    return _SPACES.sub(" ", value) if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageForm(FlaskForm):
    # Sent by one of the language buttons (name="lang"), so one click switches.
    lang = HiddenField(validators=[AnyOf(tuple(LANGUAGE_NAMES))])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so that no link can log you out."""


class LocalDecimalField(DecimalField):
    """A decimal as people type it: a comma or a point, spaces between thousands (a
    text input: a number input refuses the Estonian decimal comma)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            valuelist = [_SPACES.sub("", str(valuelist[0])).replace(",", ".")]
        super().process_formdata(valuelist)
