"""The garden-water rebate's checks, methods and statuses in plain words, in the
reader's language: for the application form, the staff queue and decision letters.

The calculation (``domain/rebates.py``) names each check by its id and gives an
English detail for the command line; people read these texts instead, keyed by id.
Add an entry here when a rule set gains a check.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.domain.rule_sets import CheckId, Method
from webapp.models import HouseType, RebateStatus

# id: (what is checked, as met, as not met)
CHECK_TEXTS = {
    "effective_dates": (
        _l("The rules apply to the season"),
        _l("The rules were in force for this season's watering period."),
        _l("The rules were not in force for this season's watering period."),
    ),
    "method_allowed": (
        _l("The method is allowed"),
        _l("The rules allow the method chosen."),
        _l("The rules do not allow the method chosen."),
    ),
    CheckId.CONTRACT_VALID: (
        _l("Valid service contract"),
        _l("There is a valid service contract for the site."),
        _l("There is no valid service contract for the site in the customer's name."),
    ),
    CheckId.READING_CYCLE: (
        _l("Reading cycle"),
        _l("The contract's reading cycle is within what the rules allow."),
        _l("The contract's reading cycle is longer than the rules allow."),
    ),
    CheckId.METER_ACCEPTED: (
        _l("Meter accepted by the utility"),
        _l("The site's main meter is in the utility's register."),
        _l("The site has no single main meter in the utility's register."),
    ),
    CheckId.JOINT_APPLICATION: (
        _l("Joint application"),
        _l("No joint application is needed, or every co-applicant has confirmed it."),
        _l("A semi-detached or terraced house needs a joint application that every "
           "co-applicant has confirmed."),
    ),
    CheckId.HISTORY_SINCE_OCTOBER: (
        _l("Consumption history since October of the previous year"),
        _l("The main meter has readings since October of the previous year."),
        _l("The main meter has no readings since October of the previous year, or none "
           "in the winter period."),
    ),
    CheckId.READINGS_AT_AGREED_FREQUENCY: (
        _l("Readings at the agreed frequency all year"),
        _l("Readings were given at the agreed frequency all year."),
        _l("Some readings were not given at the agreed frequency during the year."),
    ),
    CheckId.INVOICES_PAID_ON_TIME: (
        _l("Invoices paid on time"),
        _l("Invoices have been paid on time."),
        _l("Invoices have not been paid on time."),
    ),
    CheckId.REQUIRED_READINGS: (
        _l("Readings at the start and end of the watering period"),
        _l("Readings were given at the start and at the end of the watering period, on "
           "time."),
        _l("A reading at the start or at the end of the watering period is missing or "
           "late."),
    ),
    CheckId.WATERING_PERIOD_COVERED: (
        _l("Readings cover the watering period"),
        _l("The readings cover the watering period."),
        _l("No readings cover the watering period."),
    ),
    CheckId.SUB_METER_ACCEPTED: (
        _l("Sub-meter node accepted by the utility"),
        _l("The utility has accepted the garden sub-meter's metering node."),
        _l("The utility has not accepted the garden sub-meter's metering node (it is not "
           "in the utility's register)."),
    ),
    CheckId.SUB_METER_SEALED: (
        _l("Sub-meter sealed"),
        _l("The garden sub-meter is sealed by the utility."),
        _l("The garden sub-meter is not sealed by the utility."),
    ),
    CheckId.SUB_METER_VERIFIED: (
        _l("Sub-meter verification valid"),
        _l("The garden sub-meter's verification is valid through the watering period."),
        _l("The garden sub-meter's verification is not valid through the watering "
           "period."),
    ),
    CheckId.OVERDUE_DEBT: (
        _l("No overdue debt"),
        _l("There is no overdue debt to the utility."),
        _l("There is an overdue debt to the utility."),
    ),
    CheckId.FALSE_DATA: (
        _l("No false data"),
        _l("No false data were given."),
        _l("False data were given for the rebate."),
    ),
    CheckId.METER_FAULTY: (
        _l("Meter in working order"),
        _l("The meter works correctly."),
        _l("The meter does not work correctly or is damaged."),
    ),
    CheckId.ACCESS_REFUSED: (
        _l("Access to the metering node"),
        _l("The utility has had access to the metering node."),
        _l("The seal was removed or the utility was refused access to the metering node."),
    ),
    CheckId.BYPASS: (
        _l("No bypass"),
        _l("The metering node has no bypass and no work against the technical conditions."),
        _l("The metering node has a bypass or work against the technical conditions."),
    ),
    CheckId.OTHER_USE: (
        _l("Garden water used for the garden only"),
        _l("Garden water was not used for other purposes."),
        _l("Garden water was used substantially for other purposes."),
    ),
}

UNDECIDED_TEXT = _l("Not due yet: this is checked after the watering period.")

METHOD_NAMES = {
    Method.A: _l("A: the difference between summer and winter use"),
    Method.B: _l("B: the garden sub-meter"),
}

HOUSE_TYPE_NAMES = {
    HouseType.DETACHED: _l("detached house"),
    HouseType.SEMI_DETACHED: _l("semi-detached house"),
    HouseType.TERRACED: _l("terraced house"),
}

STATUS_NAMES = {
    RebateStatus.AWAITING_JOINT: _l("waiting for the co-applicants' confirmation"),
    RebateStatus.SUBMITTED: _l("waiting for the utility's review"),
    RebateStatus.APPROVED: _l("approved"),
    RebateStatus.REFUSED: _l("refused"),
    RebateStatus.WITHDRAWN: _l("withdrawn"),
    RebateStatus.SUPERSEDED: _l("replaced by a later application"),
}


def check_title(check_id: str) -> str:
    texts = CHECK_TEXTS.get(check_id)
    return str(texts[0]) if texts else check_id


def check_text(check_id: str, passed: bool) -> str:
    texts = CHECK_TEXTS.get(check_id)
    if texts is None:
        return check_id
    return str(texts[1] if passed else texts[2])


def init_rebate_texts(app: Flask) -> None:
    app.jinja_env.globals.update(
        check_title=check_title, check_text=check_text, undecided_text=UNDECIDED_TEXT,
        method_names=METHOD_NAMES, house_type_names=HOUSE_TYPE_NAMES,
        rebate_status_names=STATUS_NAMES,
    )
