"""The act of unauthorised water use or wastewater discharge and the claim for it
(KEE §26-§27).

Decisions:

- §27 sets no default duration (unlike §25(2) for a connection): the inspector gives
  the day the use started (``used_from``) and what shows it (``used_from_basis``); both
  are required, and the duration is ``Duration.between(used_from, found_on)``.
- The closing cost defaults to the price list's closing fee only where the supply was
  closed without notice (§27(1)); otherwise it is what the inspector enters, or 0.
- Fines (§27(2)-(3)) are imposed by the town government in misdemeanour proceedings
  (§27(4)); the act mentions them but computes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from webapp.domain import acts_compensation as rules
from webapp.domain.acts_compensation import UnauthorisedUseCase as Case
from webapp.models import ActKind, OfficialDocument, PriceKind
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, customer_name, holder_of, register

# KEE §26 p 1-9: the nine cases, paraphrased; the form's choices and the act's text.
CASE_LABELS: Mapping[str, Any] = {
    Case.NO_CONTRACT.value: _l(  # KEE §26 p 1
        "§26 p 1: water used or wastewater led away without a contract with the utility"),
    Case.SEAL_BROKEN.value: _l(  # KEE §26 p 2
        "§26 p 2: a seal the utility put on the pipes, valves, fire system or metering "
        "point was removed or broken"),
    Case.VERIFICATION_SEAL_BROKEN.value: _l(  # KEE §26 p 3
        "§26 p 3: the verification seal of a water or wastewater meter was removed or broken"),
    Case.METER_TAMPERED.value: _l(  # KEE §26 p 4
        "§26 p 4: the meter was damaged (also by frost or heat), its reading distorted, "
        "or it was removed without leave"),
    Case.CLOSURE_DEVICE_REMOVED.value: _l(  # KEE §26 p 5
        "§26 p 5: a closure device the utility put on the water or sewer pipe was removed"),
    Case.CLOSED_VALVE_OPENED.value: _l(  # KEE §26 p 6
        "§26 p 6: a main or connection valve the utility had closed was opened"),
    Case.INLET_PIPE_TAP.value: _l(  # KEE §26 p 7
        "§26 p 7: a connection taking water was fitted to the property's inlet pipe"),
    Case.INSPECTION_WELL_DISCHARGE.value: _l(  # KEE §26 p 8
        "§26 p 8: wastewater or faeces were emptied into the public sewer through an "
        "inspection well without the utility's permission"),
    Case.OTHER_UNPAID_USE.value: _l(  # KEE §26 p 9
        "§26 p 9: another activity aimed at using the services without paying their price"),
}


class UnauthorisedUseForm(FlaskForm):
    found_on = common.day_field(_l("Found on"))
    case = SelectField(_l("Case of unauthorised use (KEE §26)"),
                       choices=[SelectChoice("", _l("Choose the case")),
                                *(SelectChoice(key, label) for key, label in CASE_LABELS.items())],
                       validators=[InputRequired(_l("Choose the case."))])
    description = common.text_field(_l("What was found: where, how, what it served"))
    used_from = common.day_field(_l("Used since (KEE §27 sets no default duration)"))
    used_from_basis = common.text_field(_l("What shows when the use started"), rows=2)
    daily_m3 = common.volume_field(_l("Estimated use, m³ a day"))
    estimate_basis = common.text_field(_l("How the daily use was estimated"), rows=2)
    water_used = BooleanField(_l("Water was taken"), default=True)
    sewer_used = BooleanField(_l("Wastewater was led away"), default=True)
    closed_without_notice = BooleanField(
        _l("Water supply and wastewater discharge were closed without notice (KEE §27(1))"))
    seal_cost_eur = common.money_field(_l("Replacing the removed seal, EUR (KEE §27(1))"))
    damage_eur = common.money_field(_l("Damage to the utility's facilities, EUR"))
    closing_cost_eur = common.money_field(
        _l("Cost of closing, EUR (empty and closed: the price list's closing fee)"),
        default=None)


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    today = today_in_tallinn()
    found_on = common.required_day(data, "found_on")
    common.not_in_future(found_on, "found_on", today)
    try:
        case = rules.unauthorised_use_case(str(data.get("case") or ""))
    except rules.ActsError:
        raise ActError(str(_l("Choose the case.")), "case") from None
    # KEE §27(1): no default duration; the inspector establishes the start of the use.
    used_from = common.required_day(data, "used_from")
    if not data.get("used_from_basis"):
        raise ActError(str(_l("Say what shows when the use started.")), "used_from_basis")
    if used_from > found_on:
        raise ActError(str(_l("The use cannot have started after it was found.")), "used_from")
    duration = rules.Duration.between(used_from, found_on, proven=True, clause="KEE §27(1)")
    prices = common.prices_on(found_on, common.group_of(doc.site, found_on))
    water = prices.get(PriceKind.WATER.value) if data.get("water_used") else None
    sewer = prices.get(PriceKind.SEWER.value) if data.get("sewer_used") else None
    if (data.get("water_used") and water is None) or (data.get("sewer_used") and sewer is None):
        raise ActError(str(_l("The price list has no water or sewer price on that day.")),
                       "found_on")
    closed = bool(data.get("closed_without_notice"))
    # KEE §27(1): closed without notice; the closing cost is the price list's fee
    # (KEE §6(2)) unless the inspector enters another; nothing closed, nothing by default.
    closing_default = prices.get(PriceKind.CLOSURE_FEE.value, Decimal("0")) if closed \
        else Decimal("0")
    try:
        compensation = rules.unauthorised_use_compensation(
            case, duration, common.decimal(data, "daily_m3"), water, sewer,
            common.decimal(data, "closing_cost_eur", closing_default),
            common.decimal(data, "damage_eur", Decimal("0")),
            common.decimal(data, "seal_cost_eur", Decimal("0")))
    except rules.ActsError as refused:
        raise ActError(str(refused), "daily_m3") from None
    # KEE §26 p 1 is use without a contract: where a contract held the site on the
    # day, the act says so (the use may be another person's, or the contract's scope).
    holder = holder_of(doc.site, found_on) if doc.site is not None else None
    return {"case": case.value, "compensation": common.plain(compensation),
            "prices_on": found_on.isoformat(), "closed_without_notice": closed,
            "contract_holder": customer_name(holder)
            if case is Case.NO_CONTRACT and holder is not None else ""}


SPEC = register(KindSpec(
    kind=ActKind.UNAUTHORISED_USE, prefix="OMK",
    title=_l("Act of unauthorised water use or wastewater discharge"),
    clauses=("KEE §26", "KEE §27(1)", "KEE §27(2)-(4)", "KEE §41(1)"),
    form=UnauthorisedUseForm, compute=compute,
    extra={"case_labels": CASE_LABELS}))
