"""Forms of the staff administration pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from webapp.audit_labels import ACTION_LABELS
from webapp.domain.identity import clean_personal_code
from webapp.domain.readings import InvalidValue, parse_reading_value
from webapp.models import PriceKind, StaffRoleKind
from webapp.services.admin import (
    PRICE_KIND_NAMES,
    STAFF_ROLE_NAMES,
    STAFF_ROLE_ORDER,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    parse_unit_price,
)

# type="date" sends yyyy-mm-dd; a browser without a date picker lets people type dd.mm.yyyy.
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_MESSAGE = _l("Enter the date as dd.mm.yyyy.")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _personal_code(form: FlaskForm, field: StringField) -> None:
    if not field.data:
        return
    try:
        field.data = clean_personal_code(field.data)
    except ValueError as error:
        raise ValidationError(
            _l("Enter a valid Estonian personal identification code (11 digits).")
        ) from error


class StaffRoleForm(FlaskForm):
    personal_code = StringField(
        _l("Personal identification code"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter the personal identification code.")),
                    _personal_code],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11},
    )
    given_name = StringField(_l("Given name"), filters=[_strip],
                             validators=[Optional(), Length(max=100)])
    family_name = StringField(_l("Family name"), filters=[_strip],
                              validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(kind.value, STAFF_ROLE_NAMES[kind])
                 for kind in sorted(StaffRoleKind, key=STAFF_ROLE_ORDER.__getitem__)],
        default=StaffRoleKind.CLERK.value,
        validators=[InputRequired(_l("Choose a role."))],
    )


class RemoveStaffRoleForm(FlaskForm):
    """Only the CSRF token: the confirmation page's button."""


def _threshold(form: FlaskForm, field: IntegerField) -> None:
    if field.data is None:
        return  # not a number: already said so
    if not THRESHOLD_MIN <= field.data <= THRESHOLD_MAX:
        raise ValidationError(
            _l("Enter a whole number from %(low)s to %(high)s.", low=THRESHOLD_MIN,
               high=THRESHOLD_MAX)
        )


def _threshold_field(label: Any) -> IntegerField:
    return IntegerField(
        label,
        validators=[InputRequired(_l("Enter a number.")), _threshold],
        invalid_value_message=_l("Enter a whole number from %(low)s to %(high)s.",
                                 low=THRESHOLD_MIN, high=THRESHOLD_MAX),
        render_kw={"min": THRESHOLD_MIN, "max": THRESHOLD_MAX, "step": 1},
    )


class ThresholdsForm(FlaskForm):
    """ITB 1.2: from how many meters on one site, or sites linked to one customer,
    the mass view also offers groups, CSV import and the API."""

    meter_threshold = _threshold_field(_l("Meters on one site"))
    site_threshold = _threshold_field(_l("Sites linked to one customer"))


WARNING_FACTOR_MIN, WARNING_FACTOR_MAX = 2, 100


def _ceiling(form: FlaskForm, field: StringField) -> None:
    """Empty: no ceiling; else a positive volume in m³ a day."""
    text = (field.data or "").strip()
    if not text:
        field.data = None
        return
    try:
        value = parse_reading_value(text)
    except InvalidValue:
        raise ValidationError(_l("Enter the volume as a number, for example 2,5.")) from None
    if value <= 0:
        raise ValidationError(_l("Enter more than zero, or leave it empty for no ceiling."))
    field.data = value


class ReadingWarningsForm(FlaskForm):
    """ITB 1: when a reading is unusual enough that the person must confirm it."""

    warning_factor = IntegerField(
        _l("Times the usual use"),
        validators=[InputRequired(_l("Enter a number.")),
                    NumberRange(WARNING_FACTOR_MIN, WARNING_FACTOR_MAX,
                                _l("Enter a whole number from %(low)s to %(high)s.",
                                   low=WARNING_FACTOR_MIN, high=WARNING_FACTOR_MAX))],
        invalid_value_message=_l("Enter a whole number from %(low)s to %(high)s.",
                                 low=WARNING_FACTOR_MIN, high=WARNING_FACTOR_MAX),
        render_kw={"min": WARNING_FACTOR_MIN, "max": WARNING_FACTOR_MAX, "step": 1},
    )
    daily_ceiling = StringField(_l("Ceiling, m³ a day"), validators=[_ceiling],
                                render_kw={"inputmode": "decimal", "autocomplete": "off"})


class UnitPriceField(StringField):
    """A price in EUR per m³, typed with a decimal comma or point; ``data`` is a Decimal."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        self.data = parse_unit_price(str(valuelist[0]))  # ValueError: shown at the field

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


def _not_before_start(form: PriceForm, field: DateField) -> None:
    if field.data and form.valid_from.data and field.data < form.valid_from.data:
        raise ValidationError(_l("The end date cannot be before the start date."))


class PriceForm(FlaskForm):
    kind = SelectField(
        _l("Service"),
        choices=[SelectChoice(kind.value, PRICE_KIND_NAMES[kind]) for kind in PriceKind],
        validators=[InputRequired(_l("Choose the service."))],
    )
    unit_price = UnitPriceField(
        _l("Unit price, EUR per m³ without VAT"),
        validators=[InputRequired(_l("Enter the unit price."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    valid_from = DateField(
        _l("Valid from"),
        format=DATE_FORMATS,
        validators=[InputRequired(_l("Enter the first day of the price."))],
        invalid_value_message=DATE_MESSAGE,
    )
    valid_until = DateField(
        _l("Valid until (optional)"),
        format=DATE_FORMATS,
        validators=[Optional(), _not_before_start],
        invalid_value_message=DATE_MESSAGE,
    )


def _dates_in_order(form: AuditFilterForm, field: DateField) -> None:
    if field.data and form.date_from.data and field.data < form.date_from.data:
        raise ValidationError(_l("The end date cannot be before the start date."))


class AuditFilterForm(FlaskForm):
    """Filters of the audit trail, sent with GET: a search changes nothing, so it
    carries no CSRF token (which would also end up in addresses and the history)."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Who did it (personal code)"), filters=[_strip],
        validators=[Optional(), _personal_code],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11},
    )
    subject = StringField(
        _l("Whose data (personal code)"), filters=[_strip],
        validators=[Optional(), _personal_code],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11},
    )
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("", _l("All actions")),
            *(SelectChoice(code, label) for code, label in ACTION_LABELS.items()),
        ],
        default="",
    )
    object_type = StringField(
        _l("Object type"), filters=[_strip],
        validators=[Optional(), Length(max=40),
                    Regexp(r"^[a-z_]+$", message=_l("Use small letters and underscores only, "
                                                     "for example staff_role."))],
        render_kw={"autocomplete": "off"},
    )
    date_from = DateField(_l("From"), format=DATE_FORMATS, validators=[Optional()],
                          invalid_value_message=DATE_MESSAGE)
    date_to = DateField(_l("To"), format=DATE_FORMATS, validators=[Optional(), _dates_in_order],
                        invalid_value_message=DATE_MESSAGE)


NO_RULE_SET = "none"


class RebateRulesForm(FlaskForm):
    """The garden-water rebate rules in force (a file in rules/), or none."""

    rule_set = SelectField(_l("Rules in force"),
                           validators=[InputRequired(_l("Choose the rules."))])

    def set_choices(self, rule_sets: list[Any]) -> None:
        self.rule_set.choices = [SelectChoice(NO_RULE_SET, _l("None: no rebates in the portal")),
                                 *(SelectChoice(rule_set.id, f"{rule_set.id}: {rule_set.name}")
                                   for rule_set in rule_sets)]

    def chosen(self) -> str | None:
        return None if self.rule_set.data == NO_RULE_SET else self.rule_set.data
