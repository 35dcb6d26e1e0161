"""The settlement of a failed meter's use (KEE §38(1)) or after a control verification
beyond the tolerance (KEE §38(2), §37(7)).

**§38(1)** The use of each of the three calendar months before the month the failure
was found comes from the meter's current readings (``Reading.replaced_by_id`` is None,
the day's highest value where a day has several, as the billing run loads them), and
only those read before the failure was found (billing trusts no later reading of a
failed meter either). A month's use is the meter's value at the end of its last day
less the value at the end of the day before its first, each taken as billing takes a
period's edges: the reading of that day, else interpolated linearly between the
readings around it (``billing_run._value_on``, reused, not copied), never
extrapolated. So the three months telescope to the same difference billing averages
(``billing.failed_meter_daily_use``) when the readings cover the window (the values at
the month edges are interpolated to the litre, so the sums may differ from billing's
exact fractions by less than 0.001 m³). Where billing would shrink the window to the
readings it has, the act refuses and names the months without readings: an official
settlement states whole months. ``meter_acts.failure_estimate`` does the rest: the
average over the months' days, times the days from the first of the month of the
finding until the new meter (§38(1)), in whole m³ (§41(1)).

**§38(2)** ``meter_acts.verification_settlement``: the volume the meter registered over
the previous three calendar months and the verification month's days until the new
meter is entered, or else read from the readings at the period's edges (the end of
the day before the period, the end of the day before the new meter), as above.
The tolerance defaults to 2 (per cent): the maximum permissible error of a cold water
meter in the upper flow zone (Q2 <= Q <= Q4) under the Measuring Instruments Directive
2014/32/EU, Annex MI-001; the lower zone (Q1 <= Q < Q2) allows 5, so staff enter
what the verification certificate states.

**Billing** (``Meter.failure_found_on``) is NOT set when the act is issued: the billing
run bills a meter with that date at the average for every whole billing month while
the meter stays active, ignoring the day the new meter was installed, so the new
meter's days would be billed twice and the estimate would go on in the following
months; once the old meter is removed, billing no longer reads it at all. The act
states the volume; the billing staff enter it (decision, see the report of issue 9).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from webapp.domain import meter_acts as rules
from webapp.domain.acts_compensation import ActsError
from webapp.domain.billing import FAILED_METER_MONTHS, failed_meter_window
from webapp.domain.deadlines import months_after
from webapp.domain.readings import PastReading
from webapp.extensions import db
from webapp.forms.common import LocalDecimalField
from webapp.models import ActKind, Meter, OfficialDocument, Reading
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, register

# The billing run's own edge of a period (a reading of the day, or interpolated
# between the readings around it): reused so that the act and the invoices agree.
from webapp.services.billing_run import _value_on

FAILURE = "failure"
CONTROL_VERIFICATION = "control_verification"
DEFAULT_TOLERANCE = Decimal("2")  # MID 2014/32/EU MI-001: upper flow zone, cold water
_ONE_DAY = dt.timedelta(days=1)


class MeterFailureForm(FlaskForm):
    meter_id = SelectField(_l("Meter"), choices=[],
                           validators=[InputRequired(_l("Choose the meter."))])
    case = SelectField(_l("Case"), default=FAILURE, choices=[
        SelectChoice(FAILURE, _l("The meter failed, not through the customer's fault "
                                 "(KEE §38(1))")),
        SelectChoice(CONTROL_VERIFICATION, _l("A control verification found an error "
                                              "beyond the tolerance (KEE §38(2))"))])
    found_on = common.day_field(_l("Failure found on, or control verification made on"))
    replaced_on = common.day_field(_l("New meter installed on"))
    error_percent = LocalDecimalField(
        _l("Control verification: the meter's error, per cent (positive: it registers "
           "too much)"), places=None,
        validators=[Optional(), NumberRange(min=Decimal("-99.99"), max=Decimal("1000"),
                                            message=_l("Give an error from -99.99 to 1000."))],
        render_kw={"inputmode": "decimal"})
    tolerance_percent = LocalDecimalField(
        _l("Control verification: the permitted error, per cent (2 for a cold water meter's "
           "upper flow zone; as on the verification certificate)"), places=None,
        default=DEFAULT_TOLERANCE,
        validators=[Optional(), NumberRange(min=0, max=100,
                                            message=_l("Give a tolerance from 0 to 100."))],
        render_kw={"inputmode": "decimal"})
    measured_m3 = common.volume_field(
        _l("Control verification: what the meter registered over the settled period, m³ "
           "(empty: from the readings)"), required=False)
    notes = common.text_field(_l("Notes"), required=False, rows=3)


# --------------------------------------------------------------------------- readings


def readings_of(meter_id: int, before: dt.date | None = None) -> list[PastReading]:
    """The meter's current readings, one a day (the highest, as billing loads them),
    oldest first; only those before ``before`` when given."""
    statement = (select(Reading.reading_date, func.max(Reading.value))
                 .where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None))
                 .group_by(Reading.reading_date).order_by(Reading.reading_date))
    if before is not None:
        statement = statement.where(Reading.reading_date < before)
    return [PastReading(day, Decimal(value)) for day, value in db.session.execute(statement)]


def _value_at_end_of(readings: Sequence[PastReading], day: dt.date) -> Decimal | None:
    found = _value_on(readings, day)
    return found[0] if found is not None else None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def monthly_use(readings: Sequence[PastReading], months: Sequence[tuple[int, int]]
                ) -> tuple[dict[tuple[int, int], Decimal], list[dict[str, Any]]]:
    """The use of each calendar month (see the module's text) and the figures shown on
    the act; ``ActError`` naming the months whose edges no readings cover."""
    use: dict[tuple[int, int], Decimal] = {}
    shown: list[dict[str, Any]] = []
    missing: list[str] = []
    for year, month in months:
        first, last = dt.date(year, month, 1), _month_end(year, month)
        start = _value_at_end_of(readings, first - _ONE_DAY)
        end = _value_at_end_of(readings, last)
        if start is None or end is None:
            missing.append(f"{month:02d}.{year}")
            continue
        if end < start:
            raise ActError(_("The meter's readings run backwards in %(month)s; correct the "
                             "readings first.", month=f"{month:02d}.{year}"), "found_on")
        use[(year, month)] = end - start
        shown.append({"month": f"{year:04d}-{month:02d}", "first": first.isoformat(),
                      "last": last.isoformat(), "start_value": str(start),
                      "end_value": str(end), "use_m3": str(end - start),
                      "days": (last - first).days + 1})
    if missing:
        # KEE §38(1): the three calendar months before the month of the finding
        raise ActError(_("The meter has no readings to tell the use of %(months)s: each of "
                         "the three calendar months before the failure needs a reading on "
                         "or around the day before it starts and its last day (KEE §38(1)).",
                         months=", ".join(missing)), "found_on")
    return use, shown


# --------------------------------------------------------------------------- computing


def _meter(doc: OfficialDocument) -> Meter:
    meter = db.session.get(Meter, doc.meter_id) if doc.meter_id else None
    if meter is None or meter.site_id != doc.site_id:
        raise ActError(_("Choose the meter."), "meter_id")
    return meter


def _percent(data: Mapping[str, Any], name: str, default: Decimal | None = None) -> Decimal:
    try:
        return common.decimal(data, name, default)
    except InvalidOperation:
        raise ActError(_("Give a number."), name) from None


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    today = today_in_tallinn()
    meter = _meter(doc)
    case = data.get("case") or FAILURE
    found_on = common.required_day(data, "found_on")
    replaced_on = common.required_day(data, "replaced_on")
    common.not_in_future(found_on, "found_on", today)
    common.not_in_future(replaced_on, "replaced_on", today)
    if replaced_on < found_on.replace(day=1):
        # KEE §38(1)-(2): the settled days run until the new meter was installed
        raise ActError(_("The new meter cannot have been installed before %(day)s, the "
                         "first day of the month settled.",
                         day=found_on.replace(day=1).strftime("%d.%m.%Y")), "replaced_on")
    if meter.installed_on > found_on:
        raise ActError(_("The meter was installed on %(day)s, after that date.",
                         day=meter.installed_on.strftime("%d.%m.%Y")), "found_on")
    if case == CONTROL_VERIFICATION:
        return _verification(meter, data, found_on, replaced_on)
    return _failure(meter, found_on, replaced_on)


def _failure(meter: Meter, found_on: dt.date, replaced_on: dt.date) -> dict[str, Any]:
    """KEE §38(1): the average daily use of the three calendar months before the month
    of the finding, from its first day until the new meter was installed."""
    if replaced_on < found_on:
        raise ActError(_("The new meter cannot have been installed before the failure was "
                         "found."), "replaced_on")
    first, _last = failed_meter_window(found_on)
    months = [(day.year, day.month) for day in
              (months_after(first, index) for index in range(FAILED_METER_MONTHS))]
    # Readings after the finding are not trusted (as in billing_run.meter_use).
    use, shown = monthly_use(readings_of(meter.id, before=found_on), months)
    try:
        estimate = rules.failure_estimate(found_on, replaced_on, use)
    except ActsError as refused:  # pragma: no cover - the checks above come first
        raise ActError(str(refused), "found_on") from None
    return {"case": FAILURE, "months": shown, "estimate": common.plain(estimate)}


def _verification(meter: Meter, data: Mapping[str, Any], verified_on: dt.date,
                  replaced_on: dt.date) -> dict[str, Any]:
    """KEE §38(2): the previous three calendar months and the verification month's days
    until the new meter, settled by the error found (§37(7))."""
    if data.get("error_percent") in (None, ""):
        raise ActError(_("Give the error the control verification found."), "error_percent")
    error = _percent(data, "error_percent")
    tolerance = _percent(data, "tolerance_percent", DEFAULT_TOLERANCE)
    period_start = rules.verification_period_start(verified_on)
    measured_from = "entered"
    start_value = end_value = None
    if data.get("measured_m3") in (None, ""):
        readings = readings_of(meter.id)
        start_value = _value_at_end_of(readings, period_start - _ONE_DAY)
        end_value = _value_at_end_of(readings, replaced_on - _ONE_DAY)
        if start_value is None or end_value is None or end_value < start_value:
            raise ActError(_("The readings do not tell what the meter registered from %(start)s "
                             "to %(end)s: give the volume.",
                             start=period_start.strftime("%d.%m.%Y"),
                             end=(replaced_on - _ONE_DAY).strftime("%d.%m.%Y")), "measured_m3")
        measured = end_value - start_value
        measured_from = "readings"
    else:
        measured = _percent(data, "measured_m3")
    try:
        settlement = rules.verification_settlement(verified_on, replaced_on, measured, error,
                                                   tolerance)
    except ActsError as refused:
        raise ActError(str(refused), "error_percent") from None
    if settlement is None:
        # KEE §38(2): only an error "lubatust suurem" is settled
        raise ActError(_("An error of %(error)s per cent is within the tolerance of %(tolerance)s "
                         "per cent: KEE §38(2) settles nothing.",
                         error=str(error), tolerance=str(tolerance)), "error_percent")
    return {"case": CONTROL_VERIFICATION, "settlement": common.plain(settlement),
            "tolerance_percent": str(tolerance), "measured_from": measured_from,
            "start_value": str(start_value) if start_value is not None else None,
            "end_value": str(end_value) if end_value is not None else None}


SPEC = register(KindSpec(
    kind=ActKind.METER_FAILURE, prefix="RIK",
    title=_l("Settlement of a failed meter's use"),
    clauses=("KEE §37(7)", "KEE §38(1)", "KEE §38(2)", "KEE §41(1)"),
    form=MeterFailureForm, compute=compute, needs_meter=True))
