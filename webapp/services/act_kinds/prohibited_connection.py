"""The act of a prohibited connection and, for wastewater into the storm sewer, the
claim for it (KEE §28-§29).

Decisions:

- Every case gets the act (§29(1)) and says what the utility may close (§29(2),
  ``PROHIBITED_CLOSURE``); only §28(2) p 3 has a compensation (§29(3)), so the daily
  volume and its basis are required only there (checked in ``compute``).
- The compensation's duration is that of §25(2) (``connection_duration``): from the
  day the connection was made where that is proved, otherwise six months.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from webapp.domain import acts_compensation as rules
from webapp.domain.acts_compensation import ProhibitedCase as Case
from webapp.domain.acts_compensation import ProhibitedClosure as Closure
from webapp.models import ActKind, OfficialDocument, PriceKind
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, register

# KEE §28(1) and §28(2) p 1-4, paraphrased: the form's choices and the act's text.
CASE_LABELS: Mapping[str, Any] = {
    Case.BACKFLOW.value: _l(  # KEE §28(1)
        "§28(1): the property's water system does not prevent polluted water, hazardous "
        "liquids or gases from flowing back into the public water supply"),
    Case.OTHER_WATER_SOURCE.value: _l(  # KEE §28(2) p 1
        "§28(2) p 1: water from another source or supply system (e.g. a well on the "
        "property) can enter the water system connected to the public water supply"),
    Case.DIRECT_CONNECTION.value: _l(  # KEE §28(2) p 2
        "§28(2) p 2: the property's water system is connected directly to sewer pipes, "
        "devices or wells, liquid tanks (other than drinking water), high-pressure devices "
        "or equipment using hazardous substances"),
    Case.WASTEWATER_TO_STORM_SEWER.value: _l(  # KEE §28(2) p 3
        "§28(2) p 3: wastewater can be led into the storm sewer"),
    Case.STORMWATER_TO_SEWER.value: _l(  # KEE §28(2) p 4
        "§28(2) p 4: rain, drainage, ground or surface water can be led into the "
        "wastewater sewer without an agreement"),
}

# KEE §29(2): what the utility may close, by ``ProhibitedClosure``.
CLOSURE_LABELS: Mapping[str, Any] = {
    Closure.WATER_WITHOUT_NOTICE.value: _l(
        "The utility may close the water supply without notice (KEE §29(2))."),
    Closure.WASTEWATER.value: _l(
        "The utility may close the wastewater discharge (KEE §29(2))."),
}


class ProhibitedConnectionForm(FlaskForm):
    found_on = common.day_field(_l("Found on"))
    case = SelectField(_l("Prohibited connection (KEE §28)"),
                       choices=[SelectChoice("", _l("Choose the case")),
                                *(SelectChoice(key, label) for key, label in CASE_LABELS.items())],
                       validators=[InputRequired(_l("Choose the case."))])
    description = common.text_field(_l("What was found: the connection, where, what it serves"))
    made_on = common.day_field(_l("Made on, where it can be proved"), required=False)
    made_on_evidence = common.text_field(_l("Proof of when it was made"), required=False,
                                         rows=2)
    daily_m3 = common.volume_field(
        _l("Water used, m³ a day (only for wastewater into the storm sewer, KEE §29(3))"),
        required=False)
    estimate_basis = common.text_field(_l("How the daily volume was established"),
                                       required=False, rows=2)
    closure_taken = BooleanField(_l("The supply or discharge was closed (KEE §29(2))"))


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    today = today_in_tallinn()
    found_on = common.required_day(data, "found_on")
    common.not_in_future(found_on, "found_on", today)
    try:
        case = rules.prohibited_case(str(data.get("case") or ""))
    except rules.ActsError:
        raise ActError(str(_l("Choose the case.")), "case") from None
    made_on = common.day(data, "made_on", required=False)
    if made_on is not None and not data.get("made_on_evidence"):
        raise ActError(str(_l("Say what proves the day the connection was made.")),
                       "made_on_evidence")
    try:
        # KEE §29(3) -> §25(2): from the day it was made, else six months
        duration = rules.connection_duration(made_on, found_on)
    except rules.ActsError:
        raise ActError(str(_l("The connection cannot have been made after it was found.")),
                       "made_on") from None
    result: dict[str, Any] = {
        "case": case.value,
        "closure": rules.PROHIBITED_CLOSURE[case].value,  # KEE §29(2)
        "closure_taken": bool(data.get("closure_taken")),
        "compensation": None,
    }
    # KEE §29(3): a compensation only for §28(2) p 3 (wastewater into the storm sewer).
    if case is not Case.WASTEWATER_TO_STORM_SEWER:
        return result
    if data.get("daily_m3") in (None, ""):
        raise ActError(str(_l("Give the daily water volume: KEE §29(3) charges the sewer "
                              "fee for it.")), "daily_m3")
    if not data.get("estimate_basis"):
        raise ActError(str(_l("Say how the daily volume was established.")), "estimate_basis")
    group = common.group_of(doc.site, found_on)  # KEE §29(3): the customer's group
    sewer = common.prices_on(found_on, group).get(PriceKind.SEWER.value)
    if sewer is None:
        raise ActError(str(_l("The price list has no sewer price on that day.")), "found_on")
    try:
        compensation = rules.prohibited_connection_compensation(
            case, duration, common.decimal(data, "daily_m3"), sewer)
    except rules.ActsError as refused:
        raise ActError(str(refused), "daily_m3") from None
    result.update(compensation=common.plain(compensation), prices_on=found_on.isoformat(),
                  pollution_group=group.value)
    return result


SPEC = register(KindSpec(
    kind=ActKind.PROHIBITED_CONNECTION, prefix="KEU",
    title=_l("Act of a prohibited connection"),
    clauses=("KEE §28", "KEE §29(1)", "KEE §29(2)", "KEE §29(3)", "KEE §25(2)",
             "KEE §41(1)"),
    form=ProhibitedConnectionForm, compute=compute,
    extra={"case_labels": CASE_LABELS, "closure_labels": CLOSURE_LABELS}))
