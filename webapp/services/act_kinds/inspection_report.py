"""The inspection report of a site's water connection and meter node (KEE §36, §37(2)-(3),
§37(6), §37(8)): what the inspector found at the meter, its seals and verification, the
defects and the day by which the customer is to remedy them. Photos may be attached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.extensions import db
from webapp.forms.common import LocalDecimalField, clean_line
from webapp.models import ActKind, Meter, OfficialDocument, Reading
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, register

READING_MAX = Decimal("99999999")


def reading_field(label: Any, required: bool = False) -> LocalDecimalField:
    """A meter's cumulative reading in m³ (to the litre)."""
    return LocalDecimalField(label, places=None, validators=[
        InputRequired(_l("Give the reading.")) if required else Optional(),
        NumberRange(min=0, max=READING_MAX,
                    message=_l("Give a reading from 0 to 99 999 999 m³."))],
        render_kw={"inputmode": "decimal"})


def meter_field(label: Any, required: bool = True) -> SelectField:
    """The site's meter; its choices are filled in by ``acts._prepare``."""
    return SelectField(label, choices=[], validate_choice=False, validators=[
        InputRequired(_l("Choose the meter.")) if required else Optional()])


class InspectionReportForm(FlaskForm):
    inspected_on = common.day_field(_l("Inspected on"))
    meter_id = meter_field(_l("Meter"))
    reading = reading_field(_l("Reading at the inspection, m³"))
    seal_number_found = StringField(_l("Number of the seal found on the meter node"),
                                    filters=[clean_line],
                                    validators=[Optional(), Length(max=40)])
    seal_intact = BooleanField(_l("The seals are intact (KEE §37(8))"))
    node_condition = common.text_field(
        _l("Condition of the meter node and its room or well (KEE §36, §37(3))"))
    defects = common.text_field(_l("Defects found"), required=False, rows=3)
    remedy_by = common.day_field(_l("The customer is to remedy the defects by"), required=False)
    present = StringField(_l("Present at the inspection"), filters=[clean_line],
                          validators=[Optional(), Length(max=200)])


def _clean_seal(value: Any) -> str:
    return "".join(str(value or "").split()).upper()


def seal_result(registered: str | None, found: str | None) -> str:
    """Does the seal found match the meter's registered seal (KEE §37(8))?"""
    if not registered:
        return "none_registered"
    return "matches" if _clean_seal(registered) == _clean_seal(found) else "differs"


def verification_result(verified_until: dt.date | None, on: dt.date) -> str:
    """Is the meter's verification valid on the day of the inspection?"""
    if verified_until is None:
        return "unknown"
    return "valid" if verified_until >= on else "expired"


def last_reading(meter_id: int, on: dt.date) -> Reading | None:
    """The meter's last current reading on or before ``on``."""
    return db.session.scalar(
        select(Reading).where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None),
                              Reading.reading_date <= on)
        .order_by(Reading.reading_date.desc(), Reading.id.desc()).limit(1))


def _meter(doc: OfficialDocument) -> Meter:
    meter = db.session.get(Meter, doc.meter_id) if doc.meter_id else None
    if meter is None or meter.site_id != doc.site_id:
        raise ActError(str(_l("Choose the meter.")), "meter_id")
    return meter


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    inspected_on = common.required_day(data, "inspected_on")
    common.not_in_future(inspected_on, "inspected_on", today_in_tallinn())
    remedy_by = common.day(data, "remedy_by", required=False)
    if remedy_by is not None and remedy_by <= inspected_on:
        raise ActError(str(_l("The day to remedy the defects must be after the inspection.")),
                       "remedy_by")
    if remedy_by is not None and not data.get("defects"):
        raise ActError(str(_l("Describe the defects the customer is to remedy.")), "defects")
    meter = _meter(doc)
    reading = data.get("reading")
    last = last_reading(meter.id, inspected_on)
    below_last = (reading not in (None, "") and last is not None
                  and Decimal(str(reading)) < last.value)
    return {
        "meter_number": meter.number,
        "registered_seal": meter.seal_number,
        # KEE §37(8): the seals of the meter node
        "seal": seal_result(meter.seal_number, data.get("seal_number_found")),
        "verified_until": meter.verified_until.isoformat() if meter.verified_until else None,
        "verification": verification_result(meter.verified_until, inspected_on),
        "last_reading": {"value": str(last.value), "day": last.reading_date.isoformat()}
        if last is not None else None,
        "reading_below_last": below_last,
    }


SPEC = register(KindSpec(
    kind=ActKind.INSPECTION_REPORT, prefix="ULE",
    title=_l("Inspection report of the water connection and meter node"),
    clauses=("KEE §36", "KEE §37(2)-(3)", "KEE §37(5)-(6)", "KEE §37(8)"),
    form=InspectionReportForm, compute=compute, needs_meter=True, photos=True))
