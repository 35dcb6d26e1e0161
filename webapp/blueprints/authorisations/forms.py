"""The "Add representative" form (ITB 3)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.domain.identity import clean_personal_code
from webapp.forms.common import CheckboxesField
from webapp.models import SiteRoleKind
from webapp.services.access import today_in_tallinn


def personal_code(form: Any, field: Any) -> None:
    try:
        field.data = clean_personal_code((field.data or "").strip())
    except ValueError:
        raise ValidationError(
            str(_l("Enter a valid Estonian personal identification code (11 digits)."))
        ) from None


class RepresentativeForm(FlaskForm):
    personal_code = StringField(
        _l("Personal identification code"),
        validators=[DataRequired(_l("Enter the personal identification code.")), personal_code],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11},
    )
    # Decision: the names are asked every time, also for a person the utility knows
    # (whose stored name is kept), so the form never tells whether a code is known.
    given_name = StringField(
        _l("Given name"),
        validators=[DataRequired(_l("Enter the given name.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    family_name = StringField(
        _l("Family name"),
        validators=[DataRequired(_l("Enter the family name.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice(
                SiteRoleKind.MANAGER.value, _l("Manager: sees all documents and uses all functions")
            ),
            SelectChoice(
                SiteRoleKind.USER.value, _l("User: submits readings, sees and pays invoices")
            ),
        ],
        validators=[InputRequired(_l("Choose a role."))],
        invalid_choice_message=_l("Choose a role."),
    )
    valid_from = DateField(
        _l("Valid from"),
        default=today_in_tallinn,
        validators=[InputRequired(_l("Enter the start date."))],
    )
    valid_until = DateField(_l("Valid until (optional)"), validators=[Optional()])
    # Choices: the person's own sites, set by the route. Anything else gets the same
    # message, whether the site exists or not, so nothing about it is revealed.
    sites = CheckboxesField(
        _l("Sites"), coerce=int, invalid_choice_message=_l("Choose among your own sites.")
    )
    save = SubmitField(_l("Add representative"))

    # The service checks the same again (it is the rule); here they are only so that
    # every mistake shows at once, beside its field.
    def validate_valid_from(self, field: Any) -> None:
        if field.data is not None and field.data < today_in_tallinn():
            raise ValidationError(str(_l("The start date cannot be in the past.")))

    def validate_valid_until(self, field: Any) -> None:
        start = self.valid_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(str(_l("The end date cannot be before the start date.")))

    def validate_sites(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(str(_l("Choose at least one site.")))


class RemoveForm(FlaskForm):
    """Only the CSRF token: removing is a POST after a confirmation page."""
