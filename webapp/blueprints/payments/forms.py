"""Forms of the staff's payment pages: the statement upload, the list's filter and the
three ways to settle an unmatched payment by hand (each confirmed before it is done)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from webapp.models import PaymentStatus
from webapp.services.payments import NOTE_MAX, NOTE_MIN

STATUS_NAMES = {
    PaymentStatus.UNMATCHED: _l("unmatched"),
    PaymentStatus.MATCHED: _l("matched"),
    PaymentStatus.IGNORED: _l("ignored"),
}


class UploadForm(FlaskForm):
    statement = FileField(_l("Bank statement (camt.053 XML file)"))


class ListFilterForm(FlaskForm):
    """Sent with GET: a filter changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All")),
                 *(SelectChoice(status.value, label) for status, label in STATUS_NAMES.items())],
        default="",
    )
    q = StringField(_l("Payer, reference, description or invoice number"),
                    validators=[Optional(), Length(max=100)],
                    render_kw={"autocomplete": "off"})


class _Confirmable(FlaskForm):
    """Sent twice: first to see what would happen, then, confirmed, to do it."""

    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return bool(self.confirmed.data == "yes")


class MatchForm(_Confirmable):
    invoice = StringField(
        _l("Invoice number or reference number"),
        validators=[InputRequired(_l("Enter the invoice's number or reference number.")),
                    Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"})


class PrepayForm(_Confirmable):
    customer_code = StringField(
        _l("Customer's personal or registry code"),
        validators=[InputRequired(_l("Enter the customer's personal or registry code.")),
                    Length(max=20)],
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"})


class IgnoreForm(_Confirmable):
    note = TextAreaField(
        _l("Why this is not a customer's payment"),
        validators=[InputRequired(_l("Write why the payment is not a customer's.")),
                    Length(min=NOTE_MIN, max=NOTE_MAX,
                           message=_l("Write %(low)s to %(high)s characters.",
                                      low=NOTE_MIN, high=NOTE_MAX))])
