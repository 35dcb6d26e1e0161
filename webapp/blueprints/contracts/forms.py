"""The service contract application's steps (KEE §5, §6, §10, §22, §30, §42)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from webapp.domain.identity import clean_personal_code, clean_registry_code
from webapp.models import (
    Company,
    ContractApplicationKind,
    DocumentKind,
    InvoiceDelivery,
    PollutionGroup,
    TemporaryPurpose,
)
from webapp.services.contract_applications import DOCUMENT_NAMES, KIND_NAMES

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_MESSAGE = _l("Enter the date as dd.mm.yyyy.")
MYSELF = "self"
# Estonian cadastral code: 5 + 3 + 4 digits (katastritunnus), e.g. 34901:005:0123.
CADASTRAL = re.compile(r"\d{5}:\d{3}:\d{4}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def _strip(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


class KindForm(FlaskForm):
    kind = RadioField(
        _l("I apply for"),
        # A renewal (KEE §7) starts from the ended contract's page, not here.
        choices=[SelectChoice(kind.value, KIND_NAMES[kind]) for kind in ContractApplicationKind
                 if kind is not ContractApplicationKind.RENEWAL],
        default=ContractApplicationKind.NEW.value,
        validators=[InputRequired(_l("Choose what you apply for."))])
    party = RadioField(_l("The customer will be"),
                       validators=[InputRequired(_l("Choose the customer."))])
    temporary_purpose = RadioField(
        _l("Temporary use for (KEE §30)"),
        choices=[SelectChoice(TemporaryPurpose.CONSTRUCTION.value, _l("construction")),
                 SelectChoice(TemporaryPurpose.STREET_TRADE.value, _l("street trade")),
                 SelectChoice(TemporaryPurpose.WATERING.value, _l("watering"))],
        validators=[Optional()])
    period_start = DateField(_l("Temporary use from"), format=DATE_FORMATS,
                             validators=[Optional()], invalid_value_message=DATE_MESSAGE)
    period_end = DateField(_l("Temporary use until"), format=DATE_FORMATS,
                           validators=[Optional()], invalid_value_message=DATE_MESSAGE)
    acquired_on = DateField(_l("I acquired the property on"), format=DATE_FORMATS,
                            validators=[Optional()], invalid_value_message=DATE_MESSAGE)
    # Asked only when the login brought no name (the state's TARA always does).
    given_name = StringField(_l("Given name"), filters=[_strip],
                             validators=[Optional(), Length(max=100)])
    family_name = StringField(_l("Family name"), filters=[_strip],
                              validators=[Optional(), Length(max=100)])
    needs_name = False

    def ask_name(self) -> None:
        self.needs_name = True

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.needs_name:
            for field, message in ((self.given_name, _l("Enter your given name.")),
                                   (self.family_name, _l("Enter your family name."))):
                if not field.data:
                    field.errors = [*field.errors, str(message)]
                    valid = False
        return valid

    def set_parties(self, companies: list[Company]) -> None:
        self.party.choices = [SelectChoice(MYSELF, _l("myself")),
                              *(SelectChoice(str(company.id), f"{company.name} "
                                             f"({company.registry_code})")
                                for company in companies)]
        if self.party.data is None:
            self.party.data = MYSELF

    def validate_period_end(self, field: DateField) -> None:
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_l("The end cannot be before the start."))

    def values(self) -> dict[str, Any]:
        kind = ContractApplicationKind(self.kind.data)
        return {
            "kind": kind,
            "company_id": None if self.party.data == MYSELF else int(self.party.data),
            "temporary_purpose": (TemporaryPurpose(self.temporary_purpose.data)
                                  if self.temporary_purpose.data else None),
            "period_start": self.period_start.data,
            "period_end": self.period_end.data,
            "acquired_on": self.acquired_on.data,
        }


def _cadastral(form: Any, field: Any) -> None:
    if field.data and not CADASTRAL.fullmatch(field.data):
        raise ValidationError(_l("Enter the cadastral code as 12345:123:1234."))


class PropertyForm(FlaskForm):
    cadastral_number = StringField(
        _l("Cadastral code"), filters=[_strip],
        validators=[InputRequired(_l("Enter the cadastral code.")), _cadastral],
        render_kw={"autocomplete": "off", "maxlength": 14})
    address = StringField(_l("Address"), filters=[_strip],
                          validators=[InputRequired(_l("Enter the address.")),
                                      Length(max=255)],
                          render_kw={"autocomplete": "street-address"})
    residents = IntegerField(
        _l("Number of residents (where there is no meter, KEE §42)"),
        validators=[Optional(), NumberRange(0, 10_000, _l("Enter a number from 0 to 10000."))],
        invalid_value_message=_l("Enter a whole number."))
    pollution_group = RadioField(
        _l("Wastewater"),
        choices=[SelectChoice("", _l("household wastewater only")),
                 *(SelectChoice(group.value, _l("pollution group %(group)s (KEE §22)",
                                                group=group.value))
                   for group in PollutionGroup)],
        default="", validators=[Optional()])
    co_owned = BooleanField(_l("The property has several owners, and I am the "
                               "representative they chose by majority (KEE §10(1))"))
    wanted_start = DateField(_l("Contract wanted from"), format=DATE_FORMATS,
                             validators=[Optional()], invalid_value_message=DATE_MESSAGE)

    def values(self) -> dict[str, Any]:
        return {
            "cadastral_number": self.cadastral_number.data,
            "address": self.address.data,
            "residents": self.residents.data,
            "pollution_group": (PollutionGroup(self.pollution_group.data)
                                if self.pollution_group.data else None),
            "co_owned": bool(self.co_owned.data),
            "wanted_start": self.wanted_start.data,
        }


def _party_code(form: Any, field: Any) -> None:
    if not field.data:
        return
    for clean in (clean_personal_code, clean_registry_code):
        try:
            field.data = clean(field.data)
            return
        except ValueError:
            continue
    raise ValidationError(_l("Enter a valid Estonian personal identification code (11 "
                             "digits) or registry code (8 digits)."))


class ContactForm(FlaskForm):
    email = StringField(_l("E-mail"), filters=[_strip],
                        validators=[Optional(), Regexp(EMAIL, message=_l(
                            "Enter a valid e-mail address.")), Length(max=255)],
                        render_kw={"autocomplete": "email", "type": "email"})
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=40)],
                        render_kw={"autocomplete": "tel", "type": "tel"})
    invoice_delivery = RadioField(
        _l("Invoices by"),
        choices=[SelectChoice(InvoiceDelivery.EMAIL.value, _l("e-mail")),
                 SelectChoice(InvoiceDelivery.E_INVOICE.value, _l("e-invoice to my internet bank")),
                 SelectChoice(InvoiceDelivery.POST.value, _l("post"))],
        validators=[InputRequired(_l("Choose how invoices are delivered."))])
    postal_address = StringField(_l("Postal address for invoices"), filters=[_strip],
                                 validators=[Optional(), Length(max=255)])
    payer_code = StringField(_l("Payer's personal or registry code (if someone else pays)"),
                             filters=[_strip], validators=[Optional(), _party_code],
                             render_kw={"autocomplete": "off", "maxlength": 11})
    payer_name = StringField(_l("Payer's name"), filters=[_strip],
                             validators=[Optional(), Length(max=255)])

    def validate(self, extra_validators: Any = None) -> bool:
        """Fields that one answer makes required (an empty optional field skips its
        own validators, so these are checked here)."""
        valid = super().validate(extra_validators)
        delivery = self.invoice_delivery.data
        needed = [
            (self.payer_name, bool(self.payer_code.data), _l("Enter the payer's name.")),
            (self.postal_address, delivery == InvoiceDelivery.POST.value,
             _l("Enter the postal address for the invoices.")),
            (self.email, delivery == InvoiceDelivery.EMAIL.value,
             _l("Enter the e-mail address for the invoices.")),
        ]
        for field, required, message in needed:
            if required and not field.data and not field.errors:
                field.errors = [*field.errors, str(message)]
                valid = False
        return valid

    def values(self) -> dict[str, Any]:
        return {
            "email": self.email.data or None,
            "phone": self.phone.data or None,
            "invoice_delivery": InvoiceDelivery(self.invoice_delivery.data),
            "postal_address": self.postal_address.data or None,
            "payer_code": self.payer_code.data or None,
            "payer_name": self.payer_name.data or None,
        }


class DocumentForm(FlaskForm):
    kind = RadioField(
        _l("The document is"),
        choices=[SelectChoice(kind.value, DOCUMENT_NAMES[kind]) for kind in DocumentKind
                 if kind is not DocumentKind.SIGNED_CONTRACT],
        default=DocumentKind.OWNERSHIP.value,
        validators=[InputRequired(_l("Choose what the document is."))])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a button's form."""


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Message to the applicant"),
                         validators=[InputRequired(_l("Write the message.")),
                                     Length(max=2000)])


class AssignForm(FlaskForm):
    clerk = RadioField(_l("Clerk"), validators=[InputRequired(_l("Choose a clerk."))])


class DraftForm(FlaskForm):
    """The clerk's terms of the draft contract (KEE §5(3))."""

    site_code = StringField(_l("Site code"), filters=[_strip],
                            validators=[InputRequired(_l("Enter the site's code.")),
                                        Length(max=40)],
                            render_kw={"autocomplete": "off"})
    meter_number = StringField(_l("Meter number (optional)"), filters=[_strip],
                               validators=[Optional(), Length(max=40)],
                               render_kw={"autocomplete": "off"})
    contract_number = StringField(_l("Contract number"), filters=[_strip],
                                  validators=[InputRequired(_l("Enter the contract number.")),
                                              Length(max=40)],
                                  render_kw={"autocomplete": "off"})
    start_date = DateField(_l("In force from"), format=DATE_FORMATS,
                           validators=[InputRequired(_l("Enter the start day."))],
                           invalid_value_message=DATE_MESSAGE)
    end_date = DateField(_l("In force until (a fixed-term contract)"), format=DATE_FORMATS,
                         validators=[Optional()], invalid_value_message=DATE_MESSAGE)
    reading_cycle_months = IntegerField(
        _l("Readings every (months)"), default=1,
        validators=[InputRequired(_l("Enter a number.")),
                    NumberRange(1, 12, _l("Enter a whole number from 1 to 12."))],
        invalid_value_message=_l("Enter a whole number from 1 to 12."))


class AcceptForm(FlaskForm):
    accept = BooleanField(
        _l("I have read the draft contract and accept it. My acceptance is recorded with "
           "the time and the eID method of this login."),
        validators=[InputRequired(_l("Tick the box to accept the contract."))])


class SaleForm(FlaskForm):
    """KEE §6(1): a sale notified at least 14 days ahead."""

    sale_on = DateField(_l("The new owner's day (the day the property passes to them)"),
                        format=DATE_FORMATS,
                        validators=[InputRequired(_l("Enter the day."))],
                        invalid_value_message=DATE_MESSAGE)
    new_owner = StringField(_l("The new owner (optional)"), filters=[_strip],
                            validators=[Optional(), Length(max=255)])


class ClosureForm(FlaskForm):
    """KEE §6(2): the supply closed for up to a year."""

    start = DateField(_l("Closed from"), format=DATE_FORMATS,
                      validators=[InputRequired(_l("Enter the first day."))],
                      invalid_value_message=DATE_MESSAGE)
    until = DateField(_l("Closed until"), format=DATE_FORMATS,
                      validators=[InputRequired(_l("Enter the last day."))],
                      invalid_value_message=DATE_MESSAGE)


class TerminationForm(FlaskForm):
    """KEE §6(1): the contract ended at the customer's request, with final readings."""

    end_on = DateField(_l("The contract's last day"), format=DATE_FORMATS,
                       validators=[InputRequired(_l("Enter the last day."))],
                       invalid_value_message=DATE_MESSAGE)
    reading_day = DateField(_l("Date of the final readings"), format=DATE_FORMATS,
                            validators=[InputRequired(_l("Enter the date of the readings."))],
                            invalid_value_message=DATE_MESSAGE)


class UtilityTerminationForm(FlaskForm):
    """KEE §6(3)-(4): the utility's termination, on a ground, with a written notice."""

    ground = RadioField(_l("Ground (KEE §6(3))"),
                        validators=[InputRequired(_l("Choose the ground of the termination."))])
    end_on = DateField(_l("The contract's last day"), format=DATE_FORMATS,
                       validators=[InputRequired(_l("Enter the last day."))],
                       invalid_value_message=DATE_MESSAGE)
    note = TextAreaField(_l("Explanation for the customer (optional)"),
                         validators=[Optional(), Length(max=2000)])
