"""Forms of the staff back office.

Every text field is cleaned the same way: control characters (a NUL byte breaks
PostgreSQL) are dropped and surrounding space is stripped, before any check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    StopValidation,
    ValidationError,
)

from webapp.domain.readings import InvalidValue, parse_reading_value
from webapp.forms.common import clean_line, clean_text
from webapp.services.backoffice import (
    PURPOSE_CHOICES,
    PURPOSE_DETAILS_MAX,
    PURPOSE_OTHER,
    QUERY_MAX,
    QUERY_MIN,
    REASON_MAX,
    REASON_MIN,
)
from webapp.services.readings import VALUE_MESSAGES


def parse_volume(raw: str) -> Decimal:
    """A meter reading in m³ as typed (``1234,5`` or ``1 234.500``), or ValueError
    with a message that says what is wrong: the same rules as every other channel."""
    try:
        return parse_reading_value(raw)
    except InvalidValue as invalid:
        raise ValueError(VALUE_MESSAGES[invalid.problem]) from invalid


class VolumeGiven:
    """Required for a ``VolumeField``: zero is a reading, an empty box is not."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: VolumeField) -> None:
        if field.data is None and not field.process_errors:
            field.errors[:] = []
            raise StopValidation(self.message)


class VolumeField(StringField):
    """A text box (so that a decimal comma works everywhere) holding a ``Decimal``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not isinstance(valuelist[0], str):
            return
        if not valuelist[0].strip():
            return
        self.data = parse_volume(valuelist[0])  # a ValueError becomes the field's error

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data).replace(".", ",")


class SearchForm(FlaskForm):
    """The back office's one search box (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search"),
        filters=[clean_line],
        validators=[
            Length(
                min=QUERY_MIN,
                max=QUERY_MAX,
                message=_l("Enter between %(min)d and %(max)d characters."),
            )
        ],
    )


class PurposeForm(FlaskForm):
    purpose = RadioField(
        _l("Purpose of viewing the data"),
        choices=[SelectChoice(code, label) for code, _english, label in PURPOSE_CHOICES],
        validate_choice=False,  # AnyOf below says it in the portal's words
        validators=[
            InputRequired(message=_l("Choose the purpose.")),
            AnyOf([code for code, _english, _label in PURPOSE_CHOICES],
                  message=_l("Choose one of the purposes listed.")),
        ],
    )
    details = TextAreaField(
        _l("Details"),
        filters=[clean_text],
        validators=[
            Length(max=PURPOSE_DETAILS_MAX,
                   message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"rows": 3, "maxlength": PURPOSE_DETAILS_MAX},
    )

    def validate_details(self, field: StringField) -> None:
        if self.purpose.data == PURPOSE_OTHER and not field.data:
            raise ValidationError(_l("Describe the purpose when you choose “other”."))


class EnterReadingForm(FlaskForm):
    value = VolumeField(
        _l("Reading, m³"),
        validators=[VolumeGiven(_l("Enter the reading."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reading_date = DateField(
        _l("Date of reading"),
        format=["%Y-%m-%d", "%d.%m.%Y"],
        invalid_value_message=_l("Enter the date as dd.mm.yyyy."),
        validators=[InputRequired(message=_l("Enter the date of the reading."))],
    )


class CorrectReadingForm(FlaskForm):
    value = VolumeField(
        _l("Correct reading, m³"),
        validators=[VolumeGiven(_l("Enter the correct reading."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        filters=[clean_text],
        validators=[
            InputRequired(message=_l("Give the reason for the correction.")),
            Length(
                min=REASON_MIN,
                max=REASON_MAX,
                message=_l("Write between %(min)d and %(max)d characters."),
            ),
        ],
        render_kw={"rows": 4, "maxlength": REASON_MAX},
    )
