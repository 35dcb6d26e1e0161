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
from webapp.domain.identity import clean_bic, clean_iban, clean_personal_code, clean_vat_number
from webapp.domain.price_variants import POLLUTION_GROUPS, clean_meter_size, variant_of
from webapp.domain.readings import InvalidValue, parse_reading_value
from webapp.models import PriceKind, StaffRoleKind
from webapp.services.admin import (
    DUE_DAYS_MAX,
    DUE_DAYS_MIN,
    LATE_INTEREST_PLACES,
    PRICE_KIND_NAMES,
    STAFF_ROLE_NAMES,
    STAFF_ROLE_ORDER,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    VAT_PLACES,
    parse_percentage,
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


def _meter_size(form: PriceForm, field: StringField) -> None:
    text = (field.data or "").strip()
    field.data = ""
    if not text:
        return
    try:
        field.data = clean_meter_size(text)
    except ValueError:
        raise ValidationError(_l("Enter the meter size as DN and its number, for example "
                                 "DN20.")) from None


def _only_for(kind: PriceKind, message: Any) -> Any:
    """A variant field that applies to one kind of price: blank for the others."""

    def check(form: PriceForm, field: Any) -> None:
        if field.data and form.kind.data != kind.value:
            raise ValidationError(message)

    return check


class PriceForm(FlaskForm):
    kind = SelectField(
        _l("Service"),
        choices=[SelectChoice(kind.value, PRICE_KIND_NAMES[kind]) for kind in PriceKind],
        validators=[InputRequired(_l("Choose the service."))],
    )
    # KEE §4(3), §22(1): the sewer price may depend on the wastewater's pollution group.
    pollution_group = SelectField(
        _l("Pollution group (sewer only)"),
        choices=[SelectChoice("", _l("All groups without a price of their own")),
                 *(SelectChoice(group, group) for group in POLLUTION_GROUPS)],
        default="",
        validators=[_only_for(PriceKind.SEWER, _l("Only a sewer price has a pollution "
                                                  "group: leave it at all groups."))],
    )
    # The monthly fixed fee follows the main meter's size.
    meter_size = StringField(
        _l("Meter size (fixed fee only)"),
        filters=[_strip],
        validators=[Optional(), Length(max=10), _meter_size,
                    _only_for(PriceKind.FIXED_FEE, _l("Only a fixed fee has a meter size: "
                                                      "leave it empty."))],
        render_kw={"autocomplete": "off", "maxlength": 10},
    )
    unit_price = UnitPriceField(
        _l("Price in EUR without VAT"),
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

    def variant(self) -> str:
        """The variant of the price's kind: a pollution group, a meter size or ""."""
        match variant_of(self.kind.data or ""):
            case "pollution_group":
                return str(self.pollution_group.data or "")
            case "meter_size":
                return str(self.meter_size.data or "")
            case _:
                return ""


class PercentageField(StringField):
    """A percentage typed with a decimal comma or point; ``data`` is a Decimal."""

    def __init__(self, *args: Any, places: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = places

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        self.data = parse_percentage(str(valuelist[0]), self.places)  # shown at the field

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data.normalize():f}"


class VatRateForm(FlaskForm):
    # Named apart from the price form's fields: both forms are on one page.
    vat_rate = PercentageField(
        _l("VAT rate, per cent"), places=VAT_PLACES,
        validators=[InputRequired(_l("Enter the rate."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    vat_valid_from = DateField(
        _l("Valid from"),
        format=DATE_FORMATS,
        validators=[InputRequired(_l("Enter the first day of the rate."))],
        invalid_value_message=DATE_MESSAGE,
    )


def _checked(clean: Any, message: Any) -> Any:
    """A validator that stores the cleaned value (no spaces, capitals) or says why not."""

    def check(form: FlaskForm, field: StringField) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = clean(field.data)
        except ValueError:
            raise ValidationError(message) from None

    return check


def _volume(form: FlaskForm, field: StringField) -> None:
    try:
        field.data = parse_reading_value(field.data or "")
    except InvalidValue:
        raise ValidationError(_l("Enter the volume as a number, for example 3,5.")) from None


class BillingSettingsForm(FlaskForm):
    """KEE §41-§43: late interest, due dates, the use per resident without a meter and
    the account customers pay to."""

    late_interest_percent = PercentageField(
        _l("Late interest, per cent a day"), places=LATE_INTEREST_PLACES,
        validators=[InputRequired(_l("Enter the late interest."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    invoice_due_days = IntegerField(
        _l("Days to pay an invoice"),
        validators=[InputRequired(_l("Enter a number.")),
                    NumberRange(DUE_DAYS_MIN, DUE_DAYS_MAX,
                                _l("Enter a whole number from %(low)s to %(high)s.",
                                   low=DUE_DAYS_MIN, high=DUE_DAYS_MAX))],
        invalid_value_message=_l("Enter a whole number from %(low)s to %(high)s.",
                                 low=DUE_DAYS_MIN, high=DUE_DAYS_MAX),
        render_kw={"min": DUE_DAYS_MIN, "max": DUE_DAYS_MAX, "step": 1},
    )
    resident_norm_m3 = StringField(
        _l("Use per resident, m³ a month"),
        validators=[InputRequired(_l("Enter the use per resident.")), _volume],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    iban = StringField(
        _l("IBAN"), filters=[_strip],
        validators=[Optional(), Length(max=42),
                    _checked(clean_iban, _l("Enter a valid IBAN, for example "
                                            "EE38 2200 2210 2014 5685."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    bic = StringField(
        _l("BIC"), filters=[_strip],
        validators=[Optional(), Length(max=11),
                    _checked(clean_bic, _l("Enter a valid BIC of 8 or 11 characters, for "
                                           "example HABAEE2X."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    vat_number = StringField(
        _l("VAT number"), filters=[_strip],
        validators=[Optional(), Length(max=20),
                    _checked(clean_vat_number, _l("Enter a valid VAT number with its "
                                                  "country code, for example EE101987653."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    address = StringField(
        _l("Address on invoices"), filters=[_strip],
        validators=[Optional(), Length(max=255)],
        render_kw={"autocomplete": "off"},
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
