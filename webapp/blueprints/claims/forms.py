"""Forms of the claims pages: the customer's claim, the staff's filter and answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from webapp.forms.common import clean_text
from webapp.models import ClaimStatus
from webapp.services.claims import STATUS_NAMES, TEXT_MAX


class ClaimForm(FlaskForm):
    text = TextAreaField(
        _l("What is wrong with the invoice?"), filters=[clean_text],
        validators=[InputRequired(_l("Describe what is wrong with the invoice.")),
                    Length(max=TEXT_MAX)],
        render_kw={"rows": 8})


class QueueFilterForm(FlaskForm):
    """Sent with GET: a filter changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All")),
                 *(SelectChoice(status.value, STATUS_NAMES[status]) for status in ClaimStatus)],
        default=ClaimStatus.OPEN.value)


class RejectForm(FlaskForm):
    answer = TextAreaField(
        _l("Answer to the customer: why the claim is rejected"), filters=[clean_text],
        validators=[InputRequired(_l("Write the answer to the customer.")),
                    Length(max=TEXT_MAX)],
        render_kw={"rows": 5})


class AcceptForm(FlaskForm):
    answer = TextAreaField(
        _l("Answer to the customer"), filters=[clean_text],
        validators=[InputRequired(_l("Write the answer to the customer.")),
                    Length(max=TEXT_MAX)],
        render_kw={"rows": 5})
    # Checked by the service, which knows what can still be credited; empty with
    # "credit in full".
    amount = StringField(_l("Net amount to credit, EUR (VAT is added)"), filters=[clean_text],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    credit = SubmitField(_l("Accept and credit this amount"))
    credit_in_full = SubmitField(_l("Accept and credit in full"))
