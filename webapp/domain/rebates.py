"""The garden-water rebate of one customer for one season (DOMAIN.md section 2).

Water used for watering a garden never reaches the sewer, so its sewer fee is
refunded. ``evaluate`` takes a rule set (``rule_sets``), the season, the method,
the sewer price, the meters' readings and the facts about the customer, and
returns a ``RebateDecision``: eligible or not, volume and refund, every check with
its clause, and the computation with its inputs. It follows the Decisions of
DOMAIN.md exactly:

- a reading dated D states the meter at the end of day D, so a window of days
  first..last runs from the end of the day before ``first`` to the end of ``last``;
- at a window edge with readings on both sides the meter is interpolated
  linearly in time; an edge outside the readings is not extrapolated: the window
  shrinks to the readings inside it (TV "lühem periood");
- method A: volume = max(0, S - W x mS / mW), S and W the consumption in the
  covered watering and winter windows, mS and mW their covered lengths in months
  (covered days x the window's months / the window's days); method B: the
  sub-meter's consumption in the covered watering window;
- the cap, where the rule set has one (a raised cap replaces it, never creates
  one); only the final volume is rounded (0.001 m³), the refund is that volume x
  the price (0.01 EUR), both half up. The arithmetic before is exact (fractions).

Readings may come in any order. Two readings of one meter on one day with the
same value count once; with different values the case is refused as bad input
(``InvalidCase``), since no order between them can be told. A meter that runs
backwards is bad input too.

Pure: no database, no Flask.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from webapp.domain.readings import PastReading
from webapp.domain.rule_sets import CheckId, Method, RuleSet, Window

VOLUME_PLACES = 3  # m³ to the litre
MONEY_PLACES = 2
SHOWN_PLACES = 6  # intermediate values in the computation, shown; computed exactly

MAIN_METER = "main_meter"
SUB_METER = "sub_meter"


class InvalidCase(ValueError):
    """Input that cannot be judged at all; ``field`` is its path in the case JSON."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SubMeter:
    accepted: bool  # the metering node accepted by the utility's act (ELVESO 2.1.1)
    sealed: bool
    verified_until: dt.date | None  # the verification is valid through this day
    readings: tuple[PastReading, ...]


@dataclass(frozen=True)
class Facts:
    """What the utility knows of the customer at the time of the calculation."""

    contract_valid: bool
    overdue_debt: bool
    invoices_paid_on_time: bool
    readings_at_agreed_frequency: bool
    meter_accepted: bool
    reading_cycle_months: int
    joint_application_required: bool  # a semi-detached or terraced house
    joint_application: bool
    false_data: bool
    meter_faulty: bool
    access_refused: bool
    bypass: bool
    other_use: bool


@dataclass(frozen=True)
class RebateCase:
    rule_set: RuleSet
    season: int
    method: Method
    sewer_price: Decimal  # EUR/m³ in force
    main_meter: tuple[PastReading, ...]
    sub_meter: SubMeter | None
    facts: Facts
    cap_m3: Decimal | None = None  # a raised cap granted by the utility (ELVESO 2.2)


@dataclass(frozen=True)
class Check:
    id: str
    clause: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class WindowUse:
    """One meter's consumption in one window, with what it was computed from.

    The window runs from the end of ``window_from`` to the end of ``window_to``;
    the readings cover it from the end of ``covered_from`` to the end of
    ``covered_to`` (None: not at all). Values are shown to six decimals.
    """

    meter: str
    window_from: dt.date
    window_to: dt.date
    window_days: int
    window_months: int
    covered_from: dt.date | None
    covered_to: dt.date | None
    covered_days: int
    covered_months: Decimal
    reading_from: Decimal | None
    reading_from_interpolated: bool
    reading_to: Decimal | None
    reading_to_interpolated: bool
    consumption: Decimal


@dataclass(frozen=True)
class Computation:
    """The arithmetic of the decision: S, mS, W, mW (DOMAIN.md names), the raw and
    the capped volume, shown to six decimals. None where it cannot be computed
    (method A without any covered winter)."""

    formula: str
    watering: WindowUse
    winter: WindowUse | None
    summer_use: Decimal  # S
    summer_months: Decimal  # mS
    winter_use: Decimal | None  # W
    winter_months: Decimal | None  # mW
    winter_share: Decimal | None  # W x mS / mW
    raw_volume_m3: Decimal | None
    cap_m3: Decimal | None
    cap_clause: str | None
    capped_volume_m3: Decimal | None
    sewer_price: Decimal


@dataclass(frozen=True)
class RebateDecision:
    rule_set: str
    season: int
    method: Method
    eligible: bool
    volume_m3: Decimal
    refund_eur: Decimal
    checks: tuple[Check, ...]
    computation: Computation

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)


# --------------------------------------------------------------------------- readings


def ordered_readings(readings: Sequence[PastReading], field: str) -> tuple[PastReading, ...]:
    """The readings oldest first, one a day; ``InvalidCase`` for a negative value,
    two different values on one day, or a meter running backwards."""
    for index, reading in enumerate(readings):
        if not reading.value.is_finite() or reading.value < 0:
            raise InvalidCase(f"{field}[{index}].value", "a reading is a number of at least 0")
    indexed = sorted(enumerate(readings), key=lambda pair: (pair[1].day, pair[1].value))
    result: list[PastReading] = []
    previous_index = -1
    for index, reading in indexed:
        if result and result[-1].day == reading.day:
            if result[-1].value != reading.value:
                raise InvalidCase(
                    f"{field}[{index}].date",
                    f"two readings dated {reading.day} differ ({result[-1].value} in "
                    f"{field}[{previous_index}] and {reading.value})",
                )
            continue
        if result and reading.value < result[-1].value:
            raise InvalidCase(
                f"{field}[{index}].value",
                f"{reading.value} on {reading.day} is below {result[-1].value} on "
                f"{result[-1].day}: a meter does not run backwards",
            )
        result.append(reading)
        previous_index = index
    return tuple(result)


def _value_at(readings: Sequence[PastReading], day: dt.date) -> tuple[Fraction, bool]:
    """The meter at the end of ``day``, within the readings' span, and whether it is
    interpolated (linearly in time between the readings around it)."""
    days = [reading.day for reading in readings]
    position = bisect.bisect_left(days, day)
    if position < len(readings) and readings[position].day == day:
        return Fraction(readings[position].value), False
    before, after = readings[position - 1], readings[position]
    span = (after.day - before.day).days
    rise = Fraction(after.value) - Fraction(before.value)
    return Fraction(before.value) + rise * (day - before.day).days / span, True


@dataclass(frozen=True)
class _Use:
    """A window's use, exactly."""

    window: tuple[dt.date, dt.date]
    months: int
    covered: tuple[dt.date, dt.date] | None
    values: tuple[tuple[Fraction, bool], tuple[Fraction, bool]] | None

    @property
    def window_days(self) -> int:
        return (self.window[1] - self.window[0]).days

    @property
    def covered_days(self) -> int:
        return 0 if self.covered is None else (self.covered[1] - self.covered[0]).days

    @property
    def consumption(self) -> Fraction:
        return Fraction(0) if self.values is None else self.values[1][0] - self.values[0][0]

    @property
    def covered_months(self) -> Fraction:
        # DOMAIN.md Decisions: a covered length is its days x (window's months / window's days).
        return Fraction(self.covered_days * self.months, self.window_days)


def _use(readings: Sequence[PastReading], window: Window, season: int) -> _Use:
    start, end = window.boundaries(season)
    if not readings:
        return _Use((start, end), window.months, None, None)
    # No extrapolation: the window shrinks to the readings inside it.
    low, high = max(start, readings[0].day), min(end, readings[-1].day)
    if low >= high:
        return _Use((start, end), window.months, None, None)
    values = (_value_at(readings, low), _value_at(readings, high))
    return _Use((start, end), window.months, (low, high), values)


# --------------------------------------------------------------------------- rounding


def round_half_up(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    units = math.floor(scaled + Fraction(1, 2))
    return Decimal(units if value >= 0 else -units).scaleb(-places)


def _shown(value: Fraction) -> Decimal:
    return round_half_up(value, SHOWN_PLACES)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Context:
    case: RebateCase
    main: tuple[PastReading, ...]
    sub: tuple[PastReading, ...]
    watering: _Use
    winter: _Use | None


def evaluate(case: RebateCase) -> RebateDecision:
    """The decision on ``case``: every check of the rule set, the computation, and
    the volume and refund (0 on a refusal). ``InvalidCase`` for input that cannot
    be judged."""
    if case.sewer_price < 0 or not case.sewer_price.is_finite():
        raise InvalidCase("sewer_price", "a price is a number of at least 0")
    if case.cap_m3 is not None and (case.cap_m3 < 0 or not case.cap_m3.is_finite()):
        raise InvalidCase("cap_m3", "a cap is a number of at least 0")
    rule_set, season = case.rule_set, case.season
    main = ordered_readings(case.main_meter, MAIN_METER)
    sub = (ordered_readings(case.sub_meter.readings, f"{SUB_METER}.readings")
           if case.sub_meter is not None else ())
    measured = main if case.method is Method.A else sub
    watering = _use(measured, rule_set.watering_window, season)
    winter = None
    if case.method is Method.A and rule_set.winter_window is not None:
        winter = _use(main, rule_set.winter_window, season)
    context = _Context(case, main, sub, watering, winter)

    checks = [_effective_check(case), _method_check(case)]
    for check_id, rule in rule_set.checks.items():
        if case.method in rule.methods:
            passed, detail = _CHECKS[check_id](context)
            checks.append(Check(check_id.value, rule.clause, passed, detail))

    computation, capped = _computation(context)
    eligible = all(check.passed for check in checks) and capped is not None
    volume = round_half_up(capped, VOLUME_PLACES) if eligible and capped is not None else (
        round_half_up(Fraction(0), VOLUME_PLACES))
    refund = round_half_up(Fraction(volume) * Fraction(case.sewer_price), MONEY_PLACES)
    return RebateDecision(rule_set.id, season, case.method, eligible, volume, refund,
                          tuple(checks), computation)


def _computation(context: _Context) -> tuple[Computation, Fraction | None]:
    case, watering, winter = context.case, context.watering, context.winter
    summer_use, summer_months = watering.consumption, watering.covered_months
    winter_use = winter_months = share = None
    raw: Fraction | None
    if case.method is Method.A:
        formula = "max(0, S - W * mS / mW)"
        raw = None
        if winter is not None:
            winter_use, winter_months = winter.consumption, winter.covered_months
            if winter_months:
                share = winter_use * summer_months / winter_months
                raw = max(Fraction(0), summer_use - share)
    else:
        formula = "S"
        raw = summer_use
    cap = case.rule_set.caps.get(case.method)
    cap_m3 = None
    if cap is not None:
        # A raised cap replaces the rule set's; one below it is no raise (ELVESO 2.2).
        cap_m3 = cap.m3 if case.cap_m3 is None else max(cap.m3, case.cap_m3)
    capped = raw if raw is None or cap_m3 is None else min(raw, Fraction(cap_m3))
    computation = Computation(
        formula=formula,
        watering=_window_use(watering, MAIN_METER if case.method is Method.A else SUB_METER),
        winter=None if winter is None else _window_use(winter, MAIN_METER),
        summer_use=_shown(summer_use),
        summer_months=_shown(summer_months),
        winter_use=None if winter_use is None else _shown(winter_use),
        winter_months=None if winter_months is None else _shown(winter_months),
        winter_share=None if share is None else _shown(share),
        raw_volume_m3=None if raw is None else _shown(raw),
        cap_m3=cap_m3,
        cap_clause=None if cap is None else cap.clause,
        capped_volume_m3=None if capped is None else _shown(capped),
        sewer_price=case.sewer_price,
    )
    return computation, capped


def _window_use(use: _Use, meter: str) -> WindowUse:
    start = end = None
    if use.values is not None:
        start, end = use.values
    return WindowUse(
        meter=meter,
        window_from=use.window[0],
        window_to=use.window[1],
        window_days=use.window_days,
        window_months=use.months,
        covered_from=None if use.covered is None else use.covered[0],
        covered_to=None if use.covered is None else use.covered[1],
        covered_days=use.covered_days,
        covered_months=_shown(use.covered_months),
        reading_from=None if start is None else _shown(start[0]),
        reading_from_interpolated=start is not None and start[1],
        reading_to=None if end is None else _shown(end[0]),
        reading_to_interpolated=end is not None and end[1],
        consumption=_shown(use.consumption),
    )


# --------------------------------------------------------------------------- checks


def _watering_period(case: RebateCase) -> tuple[dt.date, dt.date]:
    window = case.rule_set.watering_window
    return window.first_day(case.season), window.last_day(case.season)


def _effective_check(case: RebateCase) -> Check:
    effective = case.rule_set.effective
    first, last = _watering_period(case)
    passed = effective.start <= first and (effective.end is None or last <= effective.end)
    span = f"from {effective.start}" + (f" to {effective.end}" if effective.end else "")
    detail = (f"season {case.season} (watering period {first} to {last}) "
              f"{'lies within' if passed else 'is outside'} {case.rule_set.id}'s "
              f"effective dates ({span})")
    return Check("effective_dates", effective.clause, passed, detail)


def _method_check(case: RebateCase) -> Check:
    methods = case.rule_set.methods
    passed = case.method in methods.allowed
    allowed = ", ".join(methods.allowed)
    detail = (f"method {case.method} {'is' if passed else 'is not'} allowed by "
              f"{case.rule_set.id} (allowed: {allowed})")
    return Check("method_allowed", methods.clause, passed, detail)


def _fact(passed: bool, yes: str, no: str) -> tuple[bool, str]:
    return passed, yes if passed else no


def _contract(context: _Context) -> tuple[bool, str]:
    return _fact(context.case.facts.contract_valid, "a valid service contract",
                 "no valid service contract")


def _reading_cycle(context: _Context) -> tuple[bool, str]:
    cycle = context.case.rule_set.reading_cycle
    assert cycle is not None  # noqa: S101 - rule_sets checks it at load
    months = context.case.facts.reading_cycle_months
    return (months <= cycle.max_months,
            f"reading cycle {months} month(s); at most {cycle.max_months}")


def _meter_accepted(context: _Context) -> tuple[bool, str]:
    return _fact(context.case.facts.meter_accepted, "the meter is accepted by the utility",
                 "the meter is not accepted by the utility")


def _joint_application(context: _Context) -> tuple[bool, str]:
    facts = context.case.facts
    if not facts.joint_application_required:
        return True, "no joint application needed (not a semi-detached or terraced house)"
    return _fact(facts.joint_application, "the joint application has been made",
                 "a semi-detached or terraced house without a joint application")


def _history(context: _Context) -> tuple[bool, str]:
    history = context.case.rule_set.history
    assert history is not None  # noqa: S101 - rule_sets checks it at load
    since = history.since.in_year(context.case.season - 1)
    if not context.main or context.main[0].day > since:
        first = f"the first is dated {context.main[0].day}" if context.main else "none given"
        return False, f"no main-meter reading dated on or before {since} ({first})"
    detail = f"main-meter reading dated {context.main[0].day}, on or before {since}"
    winter = context.winter
    if context.case.method is Method.A and winter is not None and not winter.covered_days:
        # DOMAIN.md Decisions: a winter window with no covered days means no history.
        return False, f"{detail}, but no readings cover any of the winter period"
    return True, detail


def _frequency(context: _Context) -> tuple[bool, str]:
    return _fact(context.case.facts.readings_at_agreed_frequency,
                 "readings given at the agreed frequency all year",
                 "readings not given at the agreed frequency all year")


def _invoices(context: _Context) -> tuple[bool, str]:
    return _fact(context.case.facts.invoices_paid_on_time, "invoices paid on time",
                 "invoices not paid on time")


def _required_readings(context: _Context) -> tuple[bool, str]:
    deadlines = context.case.rule_set.reading_deadlines
    assert deadlines is not None  # noqa: S101 - rule_sets checks it at load
    season = context.case.season
    meters = [("main meter", context.main)]
    if context.case.method is Method.B:
        meters.append(("sub-meter", context.sub))
    passed, parts = True, []
    for name, readings in meters:
        for which, first, last in (
            ("start", deadlines.start_from.in_year(season), deadlines.start_to.in_year(season)),
            ("end", deadlines.end_from.in_year(season), deadlines.end_to.in_year(season)),
        ):
            found = [reading.day for reading in readings if first <= reading.day <= last]
            if found:
                parts.append(f"{name} {which} reading dated {found[0]}")
            else:
                passed = False
                parts.append(f"{name}: no {which} reading dated {first} to {last}")
    return passed, "; ".join(parts)


def _watering_covered(context: _Context) -> tuple[bool, str]:
    use = context.watering
    if use.covered is None:
        return False, "no readings cover any part of the watering period"
    return True, (f"readings cover {use.covered_days} of the watering period's "
                  f"{use.window_days} days")


def _sub_meter_accepted(context: _Context) -> tuple[bool, str]:
    sub = context.case.sub_meter
    if sub is None:
        return False, "no garden sub-meter"
    return _fact(sub.accepted, "the sub-meter's metering node is accepted by the utility",
                 "the sub-meter's metering node is not accepted by the utility")


def _sub_meter_sealed(context: _Context) -> tuple[bool, str]:
    sub = context.case.sub_meter
    if sub is None:
        return False, "no garden sub-meter"
    return _fact(sub.sealed, "the sub-meter is sealed", "the sub-meter is not sealed")


def _sub_meter_verified(context: _Context) -> tuple[bool, str]:
    sub = context.case.sub_meter
    if sub is None:
        return False, "no garden sub-meter"
    last = _watering_period(context.case)[1]
    if sub.verified_until is None:
        return False, "the sub-meter's verification date is not known"
    # DOMAIN.md Decisions: valid through the last day of the watering period.
    return (sub.verified_until >= last,
            f"verification valid until {sub.verified_until}; needed through {last}")


def _not(attribute: str, present: str, absent: str) -> Callable[[_Context], tuple[bool, str]]:
    def check(context: _Context) -> tuple[bool, str]:
        found = bool(getattr(context.case.facts, attribute))
        return not found, present if found else absent

    return check


_CHECKS: dict[CheckId, Callable[[_Context], tuple[bool, str]]] = {
    CheckId.CONTRACT_VALID: _contract,
    CheckId.READING_CYCLE: _reading_cycle,
    CheckId.METER_ACCEPTED: _meter_accepted,
    CheckId.JOINT_APPLICATION: _joint_application,
    CheckId.HISTORY_SINCE_OCTOBER: _history,
    CheckId.READINGS_AT_AGREED_FREQUENCY: _frequency,
    CheckId.INVOICES_PAID_ON_TIME: _invoices,
    CheckId.REQUIRED_READINGS: _required_readings,
    CheckId.WATERING_PERIOD_COVERED: _watering_covered,
    CheckId.SUB_METER_ACCEPTED: _sub_meter_accepted,
    CheckId.SUB_METER_SEALED: _sub_meter_sealed,
    CheckId.SUB_METER_VERIFIED: _sub_meter_verified,
    CheckId.OVERDUE_DEBT: _not("overdue_debt", "an overdue debt at the time of calculation",
                               "no overdue debt"),
    CheckId.FALSE_DATA: _not("false_data", "false data were given", "no false data"),
    CheckId.METER_FAULTY: _not("meter_faulty", "the meter is faulty or damaged",
                               "the meter works"),
    CheckId.ACCESS_REFUSED: _not("access_refused", "access to the metering node refused",
                                 "access to the metering node not refused"),
    CheckId.BYPASS: _not("bypass", "a bypass or work against the technical conditions",
                         "no bypass"),
    CheckId.OTHER_USE: _not("other_use", "garden water used for other purposes",
                            "garden water not used for other purposes"),
}
