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

A season run evaluates up to 100,000 cases (bench/bench_rebates.py), so the exact
arithmetic is done on integer ratios rather than Fractions, rounding divides integers,
and what a rule set fixes for a season (windows, dates, the checks that apply) is
worked out once and kept.

Pure: no database, no Flask.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
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


# --------------------------------------------------------------------------- exact values

# An exact value: an integer numerator over a positive integer denominator, not
# necessarily in lowest terms. A Fraction is the same number, but every step with
# one costs a gcd and a new object, which was most of the time of a case; with two
# integers a step is a multiplication or two, and only ``_round`` ever divides.
_Exact = tuple[int, int]
_ZERO: _Exact = (0, 1)


def _exact(value: Decimal) -> _Exact:
    return value.as_integer_ratio()


def _minus(a: _Exact, b: _Exact) -> _Exact:
    if a[1] == b[1]:
        return a[0] - b[0], a[1]
    return a[0] * b[1] - b[0] * a[1], a[1] * b[1]


def _times_over(a: _Exact, b: _Exact, c: _Exact) -> _Exact:
    """a x b / c, for c above 0."""
    return a[0] * b[0] * c[1], a[1] * b[1] * c[0]


def _less(a: _Exact, b: _Exact) -> bool:
    return a[0] * b[1] < b[0] * a[1]


# --------------------------------------------------------------------------- readings


def ordered_readings(readings: Sequence[PastReading], field: str) -> tuple[PastReading, ...]:
    """The readings oldest first, one a day; ``InvalidCase`` for a negative value,
    two different values on one day, or a meter running backwards."""
    return _ordered(readings, field)[0]


def _ordered(readings: Sequence[PastReading], field: str
             ) -> tuple[tuple[PastReading, ...], list[dt.date]]:
    """``ordered_readings``, with their days (to bisect)."""
    values = [reading.value for reading in readings]
    if not all(map(Decimal.is_finite, values)) or (values and min(values) < 0):
        for index, value in enumerate(values):
            if not value.is_finite() or value < 0:
                raise InvalidCase(f"{field}[{index}].value", "a reading is a number of at least 0")
    days = [reading.day for reading in readings]
    if all(map(operator.lt, days, days[1:])):
        # The usual case, readings from the database: already in order, one a day.
        if not all(map(operator.le, values, values[1:])):
            index = next(index for index in range(1, len(values))
                         if values[index] < values[index - 1])
            raise _backwards(field, index, readings[index], readings[index - 1])
        return tuple(readings), days
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
            raise _backwards(field, index, reading, result[-1])
        result.append(reading)
        previous_index = index
    return tuple(result), [reading.day for reading in result]


def _backwards(field: str, index: int, reading: PastReading, before: PastReading
               ) -> InvalidCase:
    return InvalidCase(f"{field}[{index}].value",
                       f"{reading.value} on {reading.day} is below {before.value} on "
                       f"{before.day}: a meter does not run backwards")


def _value_at(readings: Sequence[PastReading], days: Sequence[dt.date], day: dt.date
              ) -> tuple[_Exact, bool]:
    """The meter at the end of ``day``, within the readings' span, and whether it is
    interpolated (linearly in time between the readings around it)."""
    position = bisect.bisect_left(days, day)
    if position < len(days) and days[position] == day:
        return _exact(readings[position].value), False
    before, after = readings[position - 1], readings[position]
    (low, low_denominator), (high, high_denominator) = _exact(before.value), _exact(after.value)
    span = (after.day - before.day).days
    elapsed = (day - before.day).days
    # before + (after - before) x elapsed / span, over one denominator
    return ((low * high_denominator * span
             + (high * low_denominator - low * high_denominator) * elapsed),
            low_denominator * high_denominator * span), True


@dataclass(frozen=True, slots=True)
class _Window:
    """A window of a rule set in one season: it runs from the end of ``start`` to the
    end of ``end``."""

    start: dt.date
    end: dt.date
    days: int
    months: int

    @classmethod
    def of(cls, window: Window, season: int) -> _Window:
        start, end = window.boundaries(season)
        return cls(start, end, (end - start).days, window.months)


@dataclass(frozen=True, slots=True)
class _Use:
    """A window's use, exactly."""

    window: _Window
    covered: tuple[dt.date, dt.date] | None
    covered_days: int
    values: tuple[tuple[_Exact, bool], tuple[_Exact, bool]] | None
    consumption: _Exact
    # DOMAIN.md Decisions: a covered length is its days x (window's months / window's days).
    covered_months: _Exact


def _use(readings: Sequence[PastReading], days: Sequence[dt.date], window: _Window) -> _Use:
    if readings:
        # No extrapolation: the window shrinks to the readings inside it.
        low, high = max(window.start, days[0]), min(window.end, days[-1])
        if low < high:
            start, end = _value_at(readings, days, low), _value_at(readings, days, high)
            covered_days = (high - low).days
            return _Use(window, (low, high), covered_days, (start, end),
                        _minus(end[0], start[0]), (covered_days * window.months, window.days))
    return _Use(window, None, 0, None, _ZERO, (0, window.days))


# --------------------------------------------------------------------------- rounding


def round_half_up(value: Fraction, places: int) -> Decimal:
    """``value`` to ``places`` decimals, a half away from zero; exact."""
    return _round(value.numerator, value.denominator, places)


def _round(numerator: int, denominator: int, places: int) -> Decimal:
    # floor(|numerator| / denominator x 10^places + 1/2) in integers: the quotient,
    # and one more when the remainder is at least half the divisor.
    if places >= 0:
        scaled, divisor = abs(numerator) * 10**places, denominator
    else:
        scaled, divisor = abs(numerator), denominator * 10**-places
    units, remainder = divmod(scaled, divisor)
    if 2 * remainder >= divisor:
        units += 1
    return Decimal(-units if numerator < 0 else units).scaleb(-places)


def _shown(value: _Exact) -> Decimal:
    return _round(value[0], value[1], SHOWN_PLACES)


# --------------------------------------------------------------------------- evaluation

_Judge = Callable[["_Context"], tuple[bool, str]]


@dataclass(frozen=True)
class _SeasonRules:
    """What a rule set fixes for one season, the same for every case of it: its
    windows and dates, the checks that apply to each method, and the two checks
    that depend on nothing else (``effective_dates``, ``method_allowed``)."""

    watering: _Window
    winter: _Window | None
    watering_period: tuple[dt.date, dt.date]  # its first and last day
    history_since: dt.date | None
    deadlines: tuple[tuple[str, dt.date, dt.date], ...] | None
    fixed_checks: Mapping[Method, tuple[Check, Check]]
    checks: Mapping[Method, tuple[tuple[str, str, _Judge], ...]]

    @classmethod
    def of(cls, rule_set: RuleSet, season: int) -> _SeasonRules:
        window = rule_set.watering_window
        period = window.first_day(season), window.last_day(season)
        deadlines = rule_set.reading_deadlines
        effective = _effective_check(rule_set, season, period)
        return cls(
            watering=_Window.of(window, season),
            winter=None if rule_set.winter_window is None else (
                _Window.of(rule_set.winter_window, season)),
            watering_period=period,
            history_since=None if rule_set.history is None else (
                rule_set.history.since.in_year(season - 1)),
            deadlines=None if deadlines is None else (
                ("start", deadlines.start_from.in_year(season),
                 deadlines.start_to.in_year(season)),
                ("end", deadlines.end_from.in_year(season), deadlines.end_to.in_year(season))),
            fixed_checks={method: (effective, _method_check(rule_set, method))
                          for method in Method},
            checks={method: tuple((check_id.value, rule.clause, _CHECKS[check_id])
                                  for check_id, rule in rule_set.checks.items()
                                  if method in rule.methods)
                    for method in Method},
        )


# Rule sets hold dicts and cannot be hashed, so they are known by identity here; an
# entry keeps its rule set alive, so that no other object can come to have its id.
_SEASON_RULES: dict[tuple[int, int], tuple[RuleSet, _SeasonRules]] = {}
_SEASON_RULES_KEPT = 64


def _season_rules(rule_set: RuleSet, season: int) -> _SeasonRules:
    key = (id(rule_set), season)
    entry = _SEASON_RULES.get(key)
    if entry is None:
        if len(_SEASON_RULES) >= _SEASON_RULES_KEPT:
            _SEASON_RULES.clear()
        entry = _SEASON_RULES[key] = (rule_set, _SeasonRules.of(rule_set, season))
    return entry[1]


@dataclass(frozen=True, slots=True)
class _Context:
    case: RebateCase
    rules: _SeasonRules
    main: tuple[PastReading, ...]
    main_days: list[dt.date]
    sub: tuple[PastReading, ...]
    sub_days: list[dt.date]
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
    rule_set, season, method = case.rule_set, case.season, case.method
    rules = _season_rules(rule_set, season)
    main, main_days = _ordered(case.main_meter, MAIN_METER)
    sub: tuple[PastReading, ...] = ()
    sub_days: list[dt.date] = []
    if case.sub_meter is not None:
        sub, sub_days = _ordered(case.sub_meter.readings, f"{SUB_METER}.readings")
    winter = None
    if method is Method.A:
        watering = _use(main, main_days, rules.watering)
        if rules.winter is not None:
            winter = _use(main, main_days, rules.winter)
    else:
        watering = _use(sub, sub_days, rules.watering)
    context = _Context(case, rules, main, main_days, sub, sub_days, watering, winter)

    checks = list(rules.fixed_checks[method])
    for check_id, clause, judge in rules.checks[method]:
        passed, detail = judge(context)
        checks.append(_check(check_id, clause, passed, detail))

    computation, capped = _computation(context)
    eligible = capped is not None and all(check.passed for check in checks)
    volume = _round(*(capped if eligible and capped is not None else _ZERO), VOLUME_PLACES)
    # The refund is the rounded volume x the price, exactly, then rounded.
    (volume_units, volume_denominator), (price, price_denominator) = (
        _exact(volume), _exact(case.sewer_price))
    refund = _round(volume_units * price, volume_denominator * price_denominator, MONEY_PLACES)
    return RebateDecision(rule_set.id, season, method, eligible, volume, refund,
                          tuple(checks), computation)


@functools.lru_cache(maxsize=1024, typed=True)
def _check(check_id: str, clause: str, passed: bool, detail: str) -> Check:
    """A check, shared: checks are immutable and mostly the same from one case to the
    next, and a season run keeps its decisions (fewer objects, less garbage collection)."""
    return Check(check_id, clause, passed, detail)


def _computation(context: _Context) -> tuple[Computation, _Exact | None]:
    case, watering, winter = context.case, context.watering, context.winter
    summer_use, summer_months = watering.consumption, watering.covered_months
    winter_use = winter_months = share = None
    raw: _Exact | None
    if case.method is Method.A:
        formula = "max(0, S - W * mS / mW)"
        raw = None
        if winter is not None:
            winter_use, winter_months = winter.consumption, winter.covered_months
            if winter_months[0]:
                share = _times_over(winter_use, summer_months, winter_months)
                raw = _minus(summer_use, share)
                if raw[0] < 0:
                    raw = _ZERO
    else:
        formula = "S"
        raw = summer_use
    cap = case.rule_set.caps.get(case.method)
    cap_m3 = None
    if cap is not None:
        # A raised cap replaces the rule set's; one below it is no raise (ELVESO 2.2).
        cap_m3 = cap.m3 if case.cap_m3 is None else max(cap.m3, case.cap_m3)
    capped = raw
    if raw is not None and cap_m3 is not None and _less(_exact(cap_m3), raw):
        capped = _exact(cap_m3)
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
        window_from=use.window.start,
        window_to=use.window.end,
        window_days=use.window.days,
        window_months=use.window.months,
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


def _effective_check(rule_set: RuleSet, season: int,
                     watering_period: tuple[dt.date, dt.date]) -> Check:
    effective = rule_set.effective
    first, last = watering_period
    passed = effective.start <= first and (effective.end is None or last <= effective.end)
    span = f"from {effective.start}" + (f" to {effective.end}" if effective.end else "")
    detail = (f"season {season} (watering period {first} to {last}) "
              f"{'lies within' if passed else 'is outside'} {rule_set.id}'s "
              f"effective dates ({span})")
    return Check("effective_dates", effective.clause, passed, detail)


def _method_check(rule_set: RuleSet, method: Method) -> Check:
    methods = rule_set.methods
    passed = method in methods.allowed
    allowed = ", ".join(methods.allowed)
    detail = (f"method {method} {'is' if passed else 'is not'} allowed by "
              f"{rule_set.id} (allowed: {allowed})")
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
    since = context.rules.history_since
    assert since is not None  # noqa: S101 - rule_sets checks it at load
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
    deadlines = context.rules.deadlines
    assert deadlines is not None  # noqa: S101 - rule_sets checks it at load
    meters = [("main meter", context.main_days)]
    if context.case.method is Method.B:
        meters.append(("sub-meter", context.sub_days))
    passed, parts = True, []
    for name, days in meters:
        for which, first, last in deadlines:
            position = bisect.bisect_left(days, first)  # the first reading dated first or later
            if position < len(days) and days[position] <= last:
                parts.append(f"{name} {which} reading dated {days[position]}")
            else:
                passed = False
                parts.append(f"{name}: no {which} reading dated {first} to {last}")
    return passed, "; ".join(parts)


def _watering_covered(context: _Context) -> tuple[bool, str]:
    use = context.watering
    if use.covered is None:
        return False, "no readings cover any part of the watering period"
    return True, (f"readings cover {use.covered_days} of the watering period's "
                  f"{use.window.days} days")


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
    last = context.rules.watering_period[1]
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
