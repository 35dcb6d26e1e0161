"""Forms of the staff's rebate pages: the queue's filter, the review's decisions and
the season run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.domain.readings import InvalidValue, parse_reading_value
from webapp.rebate_texts import STATUS_NAMES
from webapp.services.rebates import NOTE_MAX, QUEUE_STATUSES

CAP_MAX = Decimal(10_000)  # m³ a season: far above any garden, well inside Numeric(12, 3)


class QueueFilterForm(FlaskForm):
    """Sent with GET: a filter changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All")),
                 *(SelectChoice(status.value, STATUS_NAMES[status])
                   for status in QUEUE_STATUSES)],
        default="submitted",
    )
    q = StringField(_l("Site or address"), validators=[Optional(), Length(max=100)],
                    render_kw={"autocomplete": "off"})


class ApproveForm(FlaskForm):
    """Only the CSRF token."""


class RefuseForm(FlaskForm):
    ground = SelectField(_l("Ground"), validators=[InputRequired(_l("Choose the ground."))])
    note = TextAreaField(_l("Explanation for the customer (optional)"),
                         validators=[Optional(), Length(max=NOTE_MAX)])


def _cap(form: Any, field: Any) -> None:
    text = (field.data or "").strip()
    try:
        value = parse_reading_value(text)
    except InvalidValue:
        raise ValidationError(_l("Enter the cap in cubic metres, for example 40.")) from None
    if not 0 < value <= CAP_MAX:
        raise ValidationError(_l("Enter more than zero and at most %(most)s m³.",
                                 most=CAP_MAX))
    field.data = value


class CapForm(FlaskForm):
    cap_m3 = StringField(_l("Raised cap, m³ per watering period"),
                         validators=[InputRequired(_l("Enter the cap.")), _cap],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    justification = TextAreaField(
        _l("Justification (ELVESO 2.2)"),
        validators=[InputRequired(_l("Give the justification.")), Length(max=NOTE_MAX)])


class RunForm(FlaskForm):
    season = IntegerField(
        _l("Season (the year of the watering period)"),
        validators=[InputRequired(_l("Enter the year.")),
                    NumberRange(2000, 2100, _l("Enter a year from %(low)s to %(high)s.",
                                               low=2000, high=2100))],
        invalid_value_message=_l("Enter a year, for example 2025."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
