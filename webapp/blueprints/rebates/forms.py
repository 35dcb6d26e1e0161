"""The garden-water rebate application form (ELVESO 3.3, TV) and its confirmations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from webapp.domain.identity import clean_personal_code
from webapp.domain.rule_sets import Method, RuleSet
from webapp.models import HouseType
from webapp.rebate_texts import HOUSE_TYPE_NAMES, METHOD_NAMES
from webapp.services.rebates import MAX_JOINT_APPLICANTS, ApplicationInput

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
JOINT_ROWS = 3  # co-applicants the form offers (a semi-detached house has one)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _meter_text(value: Any) -> Any:
    """Meter and seal numbers as people type them: outer spaces dropped."""
    return " ".join(value.split()) if isinstance(value, str) else value


class RebateApplicationForm(FlaskForm):
    method = RadioField(_l("Method"), validators=[InputRequired(_l("Choose the method."))])
    house_type = RadioField(
        _l("The house is"),
        choices=[SelectChoice(kind.value, HOUSE_TYPE_NAMES[kind]) for kind in HouseType],
        default=HouseType.DETACHED.value,
        validators=[InputRequired(_l("Choose the kind of house."))],
    )
    sub_meter_number = StringField(
        _l("Sub-meter number"), filters=[_meter_text],
        validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "off"})
    sub_meter_verified_until = DateField(
        _l("Verification valid until"), format=DATE_FORMATS, validators=[Optional()],
        invalid_value_message=_l("Enter the date as dd.mm.yyyy."))
    sub_meter_seal = StringField(
        _l("Seal number"), filters=[_meter_text],
        validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "off"})
    installation_requested = BooleanField(
        _l("I have no garden sub-meter yet: I ask the utility to install one at my cost"))
    attachment = FileField(_l("Attachment (optional)"))
    consent = BooleanField(
        _l("I confirm that the data given are true, that garden water is used only for "
           "watering, and that the utility may check the metering node (ELVESO 3.5)."),
        validators=[InputRequired(_l("Confirm the statement to send the application."))],
    )

    def set_rule_set(self, rule_set: RuleSet) -> None:
        self.method.choices = [SelectChoice(method.value, METHOD_NAMES[method])
                               for method in rule_set.methods.allowed]
        if self.method.data is None and len(rule_set.methods.allowed) == 1:
            self.method.data = rule_set.methods.allowed[0].value

    def joint_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"joint_code_{row}"], self[f"joint_name_{row}"])
                for row in range(1, JOINT_ROWS + 1)]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for code, name in self.joint_rows():
            if code.data and not name.data:
                name.errors = [*name.errors, str(_l("Enter the co-applicant's name."))]
                valid = False
            if name.data and not code.data:
                code.errors = [*code.errors, str(_l("Enter the co-applicant's personal "
                                                    "identification code."))]
                valid = False
        return valid

    def application_input(self) -> ApplicationInput:
        joint = tuple((code.data, name.data) for code, name in self.joint_rows()
                      if code.data and name.data)[:MAX_JOINT_APPLICANTS]
        method = Method(self.method.data)
        return ApplicationInput(
            method=method,
            house_type=HouseType(self.house_type.data),
            joint=joint,
            sub_meter_number=self.sub_meter_number.data or None,
            sub_meter_verified_until=self.sub_meter_verified_until.data,
            sub_meter_seal=self.sub_meter_seal.data or None,
            installation_requested=bool(self.installation_requested.data),
        )


def _personal_code(form: Any, field: Any) -> None:
    if not field.data:
        return
    try:
        field.data = clean_personal_code(field.data)
    except ValueError:
        raise ValidationError(
            str(_l("Enter a valid Estonian personal identification code (11 digits)."))
        ) from None


for _row in range(1, JOINT_ROWS + 1):
    setattr(RebateApplicationForm, f"joint_code_{_row}", StringField(
        _l("Co-applicant %(number)s: personal identification code", number=_row),
        filters=[_strip], validators=[Optional(), _personal_code],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11}))
    setattr(RebateApplicationForm, f"joint_name_{_row}", StringField(
        _l("Co-applicant %(number)s: name", number=_row),
        filters=[_strip], validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off"}))


def preview_input(form: RebateApplicationForm) -> ApplicationInput | None:
    """What the preview can judge from a form that may not be complete yet."""
    valid = {choice[0] for choice in form.method.iter_choices()}
    if form.method.data not in valid or form.house_type.data not in set(HouseType):
        return None
    number = form.sub_meter_number.data
    return ApplicationInput(
        method=Method(form.method.data),
        house_type=HouseType(form.house_type.data),
        joint=tuple((code.data, name.data) for code, name in form.joint_rows()
                    if code.data and name.data),
        sub_meter_number=(" ".join(number.split())[:40] if isinstance(number, str) else None)
        or None,
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a confirmation page's button."""


def verification_hint(rule_set: RuleSet) -> str | None:
    if rule_set.verification is None:
        return None
    return str(_l("The verification of a garden sub-meter is valid for %(years)s years "
                  "(%(clause)s); it must be valid through the end of the watering period.",
                  years=rule_set.verification.interval_years,
                  clause=rule_set.verification.clause))
