"""Forms of the staff's billing pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Regexp


class RunForm(FlaskForm):
    period = StringField(
        _l("Month to bill (YYYY-MM)"),
        validators=[InputRequired(_l("Enter the month.")),
                    Regexp(r"^\s*[0-9]{4}-[0-9]{2}\s*$",
                           message=_l("Give the month as YYYY-MM, for example 2026-10."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2026-10"},
    )


class IssueForm(FlaskForm):
    period = HiddenField(validators=[InputRequired()])
