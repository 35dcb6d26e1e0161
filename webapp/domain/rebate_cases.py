"""A rebate case as JSON (``flask rebates evaluate CASE.json``, docs/rebates.md) and
its decision as JSON.

``parse_case`` validates the document completely before anything is computed and
raises ``CaseError`` with one message a problem, each naming the field by its
JSON path (``main_meter[2].date``). Numbers are decimals: a string ("1.5240") or a
JSON number read as ``Decimal`` (``json.loads(text, parse_float=Decimal)``), never
a float. Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, ValidationError
from pydantic_core import PydanticCustomError

from webapp.domain.readings import PastReading
from webapp.domain.rebates import (
    Computation,
    Facts,
    InvalidCase,
    RebateCase,
    RebateDecision,
    SubMeter,
    WindowUse,
)
from webapp.domain.rule_sets import Method, json_path, load_rule_set, rule_set_ids

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class CaseError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _date(value: object) -> dt.date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date", "not a date of the form YYYY-MM-DD: {value}",
                              {"value": repr(value)})


def _decimal(value: object) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = Decimal(value.strip())
    elif isinstance(value, Decimal) and value.is_finite():
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    if number is None:
        raise PydanticCustomError("decimal", "not a number (e.g. \"1.5240\"): {value}",
                                  {"value": repr(value)})
    if number < 0:
        raise PydanticCustomError("decimal", "must not be negative: {value}", {"value": str(value)})
    return number


def _rule_set_id(value: object) -> str:
    known = rule_set_ids()
    if not isinstance(value, str) or value not in known:
        raise PydanticCustomError("rule_set", "unknown rule set {value} (known: {known})",
                                  {"value": repr(value), "known": ", ".join(known)})
    return value


IsoDate = Annotated[dt.date, PlainValidator(_date)]
Number = Annotated[Decimal, PlainValidator(_decimal)]
_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Reading(BaseModel):
    model_config = _STRICT
    date: IsoDate
    value: Number


class _SubMeter(BaseModel):
    model_config = _STRICT
    accepted: StrictBool
    sealed: StrictBool
    verified_until: IsoDate | None
    readings: list[_Reading]


class _Facts(BaseModel):
    model_config = _STRICT
    contract_valid: StrictBool
    overdue_debt: StrictBool
    invoices_paid_on_time: StrictBool
    readings_at_agreed_frequency: StrictBool
    meter_accepted: StrictBool
    reading_cycle_months: Annotated[int, Field(strict=True, ge=1)]
    joint_application_required: StrictBool
    joint_application: StrictBool
    false_data: StrictBool
    meter_faulty: StrictBool
    access_refused: StrictBool
    bypass: StrictBool
    other_use: StrictBool


class _Case(BaseModel):
    model_config = _STRICT
    rule_set: Annotated[str, PlainValidator(_rule_set_id)]
    season: Annotated[int, Field(strict=True, ge=1901, le=9998)]
    method: Literal["A", "B"]
    sewer_price: Number
    cap_m3: Number | None = None
    main_meter: list[_Reading]
    sub_meter: _SubMeter | None = None
    facts: _Facts


def parse_case(data: Any) -> RebateCase:
    """The case in ``data`` (the parsed JSON), or ``CaseError`` naming every bad field."""
    try:
        case = _Case.model_validate(data)
    except ValidationError as error:
        raise CaseError([f"{json_path(e['loc'])}: {e['msg']}" for e in error.errors()]) from None
    rule_set = load_rule_set(case.rule_set)
    sub_meter = None
    if case.sub_meter is not None:
        sub_meter = SubMeter(case.sub_meter.accepted, case.sub_meter.sealed,
                             case.sub_meter.verified_until, _readings(case.sub_meter.readings))
    return RebateCase(
        rule_set=rule_set,
        season=case.season,
        method=Method(case.method),
        sewer_price=case.sewer_price,
        main_meter=_readings(case.main_meter),
        sub_meter=sub_meter,
        facts=Facts(**case.facts.model_dump()),
        cap_m3=case.cap_m3,
    )


def _readings(readings: list[_Reading]) -> tuple[PastReading, ...]:
    return tuple(PastReading(reading.date, reading.value) for reading in readings)


def case_json(case: RebateCase) -> dict[str, Any]:
    """The case as ``parse_case`` reads it: what a stored decision keeps as its inputs,
    so that ``flask rebates evaluate`` can recompute it."""
    sub = case.sub_meter
    return {
        "rule_set": case.rule_set.id,
        "season": case.season,
        "method": case.method.value,
        "sewer_price": str(case.sewer_price),
        "cap_m3": None if case.cap_m3 is None else str(case.cap_m3),
        "main_meter": _readings_json(case.main_meter),
        "sub_meter": None if sub is None else {
            "accepted": sub.accepted,
            "sealed": sub.sealed,
            "verified_until": _text(sub.verified_until),
            "readings": _readings_json(sub.readings),
        },
        "facts": dict(vars(case.facts)),  # flat booleans and a number: no deep copy
    }


def _readings_json(readings: tuple[PastReading, ...]) -> list[dict[str, str]]:
    return [{"date": reading.day.isoformat(), "value": str(reading.value)}
            for reading in readings]


def case_errors(error: CaseError | InvalidCase) -> list[str]:
    return error.problems if isinstance(error, CaseError) else [str(error)]


# --------------------------------------------------------------------------- output


def decision_json(decision: RebateDecision, details: bool = True) -> dict[str, Any]:
    """The decision in the shape of issue 7: decimals as strings, dates ISO.

    Without ``details`` the checks leave out their English explanations, which the
    inputs give again (a stored decision keeps its inputs; the letters and pages
    word each check in the reader's language from its id).
    """
    return {
        "rule_set": decision.rule_set,
        "season": decision.season,
        "method": decision.method.value,
        "eligible": decision.eligible,
        "volume_m3": str(decision.volume_m3),
        "refund_eur": str(decision.refund_eur),
        "checks": [
            {"id": check.id, "clause": check.clause, "passed": check.passed,
             "detail": check.detail} if details else
            {"id": check.id, "clause": check.clause, "passed": check.passed}
            for check in decision.checks
        ],
        "computation": _computation_json(decision.computation),
    }


def _text(value: Decimal | dt.date | None) -> str | None:
    return None if value is None else str(value)


def _computation_json(computation: Computation) -> dict[str, Any]:
    return {
        "formula": computation.formula,
        "watering": _window_json(computation.watering),
        "winter": None if computation.winter is None else _window_json(computation.winter),
        "S": _text(computation.summer_use),
        "mS": _text(computation.summer_months),
        "W": _text(computation.winter_use),
        "mW": _text(computation.winter_months),
        "winter_share": _text(computation.winter_share),
        "raw_volume_m3": _text(computation.raw_volume_m3),
        "cap_m3": _text(computation.cap_m3),
        "cap_clause": computation.cap_clause,
        "capped_volume_m3": _text(computation.capped_volume_m3),
        "sewer_price": _text(computation.sewer_price),
    }


def _window_json(use: WindowUse) -> dict[str, Any]:
    return {
        "meter": use.meter,
        "from_end_of": _text(use.window_from),
        "to_end_of": _text(use.window_to),
        "days": use.window_days,
        "months": use.window_months,
        "covered_from_end_of": _text(use.covered_from),
        "covered_to_end_of": _text(use.covered_to),
        "covered_days": use.covered_days,
        "covered_months": _text(use.covered_months),
        "reading_from": _text(use.reading_from),
        "reading_from_interpolated": use.reading_from_interpolated,
        "reading_to": _text(use.reading_to),
        "reading_to_interpolated": use.reading_to_interpolated,
        "consumption": _text(use.consumption),
    }
