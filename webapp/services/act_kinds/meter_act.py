"""The act of a meter's installation or replacement (KEE §36-§37): the new meter, its
seals and first reading, the old meter's last reading, whether the §37(1) or §37(4)
deadline was kept, and the §37(2) acceptance after which the customer answers for the
meter, the meter node and their seals. Issuing it registers the new meter as the
site's meter and, for a replacement, removes the old one (``on_issue``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from webapp.domain import meter_acts
from webapp.domain.acts_compensation import ActsError
from webapp.domain.deadlines import working_days_between
from webapp.extensions import db
from webapp.forms.common import clean_line
from webapp.models import (
    ActKind,
    Meter,
    MeterKind,
    MeterStatus,
    OfficialDocument,
    Reading,
    ReadingChannel,
)
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.act_kinds.inspection_report import last_reading, meter_field, reading_field
from webapp.services.acts import ActError, KindSpec, register

INSTALLATION = "installation"
REPLACEMENT = "replacement"
# KEE §37(4): who answers for the failure decides the deadline and who pays.
NOT_CUSTOMER_FAULT = "not_customer_fault"
CUSTOMER_FAULT = "customer_fault"
VERIFICATION_DUE = "verification_due"
OTHER = "other"
DEFAULT_SIZE = "DN15"


class MeterActForm(FlaskForm):
    purpose = SelectField(_l("Purpose"), choices=[
        SelectChoice(INSTALLATION, _l("Installation of a meter")),
        SelectChoice(REPLACEMENT, _l("Replacement of a meter"))],
        validators=[InputRequired(_l("Choose the purpose."))])
    done_on = common.day_field(_l("Installed or replaced on"))
    contract_start = common.day_field(
        _l("Service contract made on (for the KEE §37(1) deadline)"), required=False)
    meter_id = meter_field(_l("Old meter (for a replacement)"), required=False)
    old_reading = reading_field(_l("Old meter's last reading, m³"))
    replacement_reason = SelectField(_l("Reason for the replacement (KEE §37(4))"), choices=[
        SelectChoice("", _l("Choose for a replacement")),
        SelectChoice(NOT_CUSTOMER_FAULT, _l("A failure not caused by the customer")),
        SelectChoice(CUSTOMER_FAULT, _l("Damaged or frozen by the customer's fault")),
        SelectChoice(VERIFICATION_DUE, _l("The verification is due")),
        SelectChoice(OTHER, _l("Other"))], validators=[Optional()])
    failure_found_on = common.day_field(_l("Failure found on (for the KEE §37(4) deadline)"),
                                        required=False)
    paid_on = common.day_field(
        _l("The customer paid the costs on (a replacement by the customer's fault)"),
        required=False)
    new_meter_number = StringField(_l("New meter's number"), filters=[clean_line], validators=[
        InputRequired(_l("Give the new meter's number.")), Length(max=40)])
    new_meter_reading = reading_field(_l("New meter's first reading, m³"), required=True)
    new_seal_number = StringField(_l("New meter's seal number"), filters=[clean_line],
                                  validators=[Optional(), Length(max=40)])
    new_verified_until = common.day_field(_l("New meter verified until"), required=False)
    node_seals = common.text_field(_l("Seals of the meter node"), required=False, rows=2)


def _purpose(data: Mapping[str, Any]) -> str:
    purpose = data.get("purpose")
    if purpose not in (INSTALLATION, REPLACEMENT):
        raise ActError(str(_l("Choose the purpose.")), "purpose")
    return str(purpose)


def _corrected(doc: OfficialDocument) -> dict[str, Any]:
    """The result of the issued meter act this draft corrects (empty if none): its
    meters are this act's own, not another's."""
    corrected = doc.corrects
    if corrected is None or corrected.kind is not ActKind.METER_ACT or not corrected.is_issued:
        return {}
    return dict(corrected.result or {})


def _registered_by_corrected(doc: OfficialDocument) -> Meter | None:
    """The meter the corrected act registered: a correction changes it, not a new one."""
    number = (_corrected(doc).get("new_meter") or {}).get("number")
    if not number:
        return None
    return db.session.scalar(select(Meter).where(Meter.number == number,
                                                 Meter.site_id == doc.site_id))


def _old_meter(doc: OfficialDocument) -> Meter:
    meter = db.session.get(Meter, doc.meter_id) if doc.meter_id else None
    if meter is None or meter.site_id != doc.site_id:
        raise ActError(str(_l("Choose the meter that was replaced.")), "meter_id")
    removed_by_corrected = (_corrected(doc).get("old_meter") or {}).get("number") == meter.number
    if meter.status is MeterStatus.REMOVED and not removed_by_corrected:
        raise ActError(str(_l("This meter has been removed already.")), "meter_id")
    return meter


def _number_taken(number: str, doc: OfficialDocument) -> bool:
    """Another meter has ``number`` (not the one the corrected act registered)."""
    own = _registered_by_corrected(doc)
    found = db.session.scalar(select(Meter.id).where(Meter.number == number))
    return found is not None and (own is None or found != own.id)


def _deadline(due: dt.date, done_on: dt.date, clause: str) -> dict[str, Any]:
    late = working_days_between(due, done_on)
    return {"due": due.isoformat(), "days_late": late, "clause": clause}


def deadline_of(purpose: str, done_on: dt.date, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The deadline the act was to be done by and how many working days late it was:
    KEE §37(1) for an installation (from the contract), §37(4) for a replacement of a
    failed meter (from the finding, or the customer's payment)."""
    try:
        if purpose == INSTALLATION:
            start = common.day(data, "contract_start", required=False)
            if start is None:
                return None
            if start > done_on:
                raise ActError(str(_l("The contract cannot have been made after the meter "
                                      "was installed.")), "contract_start")
            # KEE §37(1): within five working days after the service contract is made
            return _deadline(meter_acts.installation_deadline(start), done_on, "KEE §37(1)")
        reason = data.get("replacement_reason")
        found_on = common.day(data, "failure_found_on", required=False)
        if reason not in (NOT_CUSTOMER_FAULT, CUSTOMER_FAULT) or found_on is None:
            return None
        if found_on > done_on:
            raise ActError(str(_l("The failure cannot have been found after the meter was "
                                  "replaced.")), "failure_found_on")
        if reason == CUSTOMER_FAULT:
            paid_on = common.day(data, "paid_on", required=False)
            if paid_on is None:
                return None
            # KEE §37(4), second sentence: five days after the customer has paid
            due = meter_acts.replacement_deadline(found_on, True, paid_on=paid_on)
        else:
            # KEE §37(4), first sentence: five working days, free of charge
            due = meter_acts.replacement_deadline(found_on, False)
        return _deadline(due, done_on, "KEE §37(4)")
    except ActsError:
        field = "contract_start" if purpose == INSTALLATION else "paid_on"
        raise ActError(str(_l("No deadline can be computed from this date; check it.")),
                       field) from None


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    purpose = _purpose(data)
    done_on = common.required_day(data, "done_on")
    common.not_in_future(done_on, "done_on", today_in_tallinn())
    number = str(data.get("new_meter_number") or "").strip()
    if not number:
        raise ActError(str(_l("Give the new meter's number.")), "new_meter_number")
    if _number_taken(number, doc):
        raise ActError(str(_l("Another meter has the number %(number)s already.",
                              number=number)), "new_meter_number")
    new_reading = common.decimal(data, "new_meter_reading")
    verified_until = common.day(data, "new_verified_until", required=False)
    if verified_until is not None and verified_until <= done_on:
        raise ActError(str(_l("The new meter's verification must be valid after the day it "
                              "is installed.")), "new_verified_until")
    old: dict[str, Any] | None = None
    kind, size = MeterKind.COLD_WATER, DEFAULT_SIZE
    if purpose == REPLACEMENT:
        meter = _old_meter(doc)
        if data.get("old_reading") in (None, ""):
            raise ActError(str(_l("Give the old meter's last reading.")), "old_reading")
        old_reading = common.decimal(data, "old_reading")
        last = last_reading(meter.id, done_on)
        if last is not None and old_reading < last.value:
            raise ActError(str(_l("The last reading cannot be lower than the one on record, "
                                  "%(value)s m³.", value=str(last.value))), "old_reading")
        if data.get("replacement_reason") in (None, ""):
            raise ActError(str(_l("Choose the reason for the replacement.")),
                           "replacement_reason")
        kind, size = meter.kind, meter.size
        old = {"number": meter.number, "reading": str(old_reading),
               "seal_number": meter.seal_number}
    return {
        "purpose": purpose,
        "done_on": done_on.isoformat(),
        "old_meter": old,
        "new_meter": {"number": number, "kind": kind.value, "size": size,
                      "reading": str(new_reading),
                      "seal_number": data.get("new_seal_number") or None,
                      "verified_until": verified_until.isoformat() if verified_until else None},
        "deadline": deadline_of(purpose, done_on, data),
    }


def _store_reading(meter: Meter, value: Decimal, day: dt.date, doc: OfficialDocument) -> None:
    """A reading taken by staff (``ReadingChannel.STAFF``); a current reading of the same
    day is kept in the history, replaced, as ``readings.save_ready`` does."""
    reading = Reading(meter=meter, value=value, reading_date=day, channel=ReadingChannel.STAFF,
                      submitted_by_id=doc.issued_by.id if doc.issued_by else doc.created_by_id)
    db.session.add(reading)
    db.session.flush()
    same_day = db.session.scalars(select(Reading).where(
        Reading.meter_id == meter.id, Reading.reading_date == day, Reading.measured_at.is_(None),
        Reading.replaced_by_id.is_(None), Reading.id != reading.id))
    for earlier in same_day:
        earlier.replaced_by_id = reading.id
        earlier.correction_reason = doc.number


def on_issue(doc: OfficialDocument) -> None:
    """Register the new meter as the site's meter; for a replacement, the old meter is
    removed with its last reading (KEE §37(1), §37(4))."""
    result = doc.result or {}
    new = result["new_meter"]
    done_on = dt.date.fromisoformat(result["done_on"])
    if _number_taken(new["number"], doc):  # registered by someone since it was computed
        raise ActError(str(_l("Another meter has the number %(number)s already.",
                              number=new["number"])), "new_meter_number")
    if result["purpose"] == REPLACEMENT and doc.meter is not None:
        old = doc.meter
        _store_reading(old, Decimal(result["old_meter"]["reading"]), done_on, doc)
        old.status = MeterStatus.REMOVED
    # A correction changes the meter the corrected act registered; otherwise a new one.
    meter = _registered_by_corrected(doc) or Meter(site_id=doc.site_id)
    meter.number, meter.kind, meter.installed_on = new["number"], MeterKind(new["kind"]), done_on
    meter.size, meter.seal_number = new["size"], new["seal_number"]
    meter.verified_until = (dt.date.fromisoformat(new["verified_until"])
                            if new["verified_until"] else None)
    meter.status = MeterStatus.ACTIVE
    db.session.add(meter)
    db.session.flush()
    _store_reading(meter, Decimal(new["reading"]), done_on, doc)


SPEC = register(KindSpec(
    kind=ActKind.METER_ACT, prefix="ARV",
    title=_l("Act of a meter's installation or replacement"),
    clauses=("KEE §36", "KEE §37(1)", "KEE §37(2)", "KEE §37(3)", "KEE §37(4)"),
    form=MeterActForm, compute=compute, needs_meter=True, on_issue=on_issue))
