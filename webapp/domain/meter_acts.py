"""Meter acts (KEE §37-§38, DOMAIN.md section 3): the deadlines to install and replace a
meter, the use estimated for a failed meter and the settlement after a control
verification beyond the tolerance.

Volumes are billed in whole cubic metres (KEE §41(1)), rounded once, half up
(``acts_compensation.whole_m3_estimate``); averages are kept exact for computing.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from webapp.domain import parameters
from webapp.domain.acts_compensation import ActsError, deadline_due, whole_m3_estimate
from webapp.domain.billing import FAILED_METER_MONTHS, failed_meter_window
from webapp.domain.deadlines import DeadlineId, DeadlineSet, months_after

_EXACT = Context(prec=200)
_LITRE = Decimal("0.001")
_HUNDRED = Decimal(100)

# KEE §38(2): the months settled after a control verification (rules/parameters/KEE-2012.toml)
CONTROL_VERIFICATION_MONTHS = parameters.integer("control_verification_months")


def _date(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


def _decimal(name: str, value: Decimal, *, negative: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ActsError(f"{name}: expected a finite Decimal, got {value!r}")
    if not negative and value < 0:
        raise ActsError(f"{name}: must not be negative, got {value}")
    return value


# --------------------------------------------------------------------------- deadlines


def installation_deadline(contract_start: dt.date,
                          deadlines: DeadlineSet | None = None) -> dt.date:
    """The last day for the utility to install the meter of a service contract made on
    ``contract_start`` (KEE §37(1)): five working days from the day after."""
    # KEE §37(1): "viie tööpäeva jooksul peale teenuslepingu sõlmimist"
    return deadline_due(DeadlineId.METER_INSTALLATION, contract_start, deadlines)


def replacement_deadline(found_on: dt.date, customer_fault: bool,
                         deadlines: DeadlineSet | None = None, *,
                         paid_on: dt.date | None = None) -> dt.date:
    """The last day to replace a failed meter (KEE §37(4)).

    Not the customer's fault: five working days from the day after ``found_on`` (the
    day the utility learns of the failure, rule data decision), free of charge.
    The customer's fault (also a frozen meter): five calendar days from the day after
    the customer has paid all costs and damage, ``paid_on``, which is then required;
    a last day on a day off moves to the next working day (TsÜS §136(8)).
    ``ActsError`` if ``paid_on`` is missing or before ``found_on``."""
    if not customer_fault:
        # KEE §37(4), first sentence: "viie tööpäeva jooksul ... tasuta"
        return deadline_due(DeadlineId.METER_REPLACEMENT, found_on, deadlines)
    if paid_on is None:
        raise ActsError("a meter the customer damaged is replaced within five days after "
                        "the customer has paid (KEE §37(4)): paid_on is required")
    if paid_on < found_on:
        raise ActsError(f"the customer paid on {_date(paid_on)}, before the failure was "
                        f"found on {_date(found_on)}")
    # KEE §37(4), second sentence: "viie päeva jooksul peale kliendi poolt ... hüvitamist"
    return deadline_due(DeadlineId.METER_REPLACEMENT_CUSTOMER_FAULT, paid_on, deadlines)


# --------------------------------------------------------------------------- §38(1)


@dataclass(frozen=True)
class FailureEstimate:
    """The use of a failed meter (KEE §38(1)): the average daily use of ``months``
    (``base_use_m3`` over ``base_days``), ``daily_average_m3`` shown to the litre, over
    ``days`` from ``period_start`` up to (not including) ``period_end``, the day the
    new meter was installed: ``volume_m3`` in whole m³."""

    months: tuple[tuple[int, int], ...]
    base_days: int
    base_use_m3: Decimal
    daily_average_m3: Decimal
    period_start: dt.date
    period_end: dt.date
    days: int
    volume_m3: int
    clause: str


def failure_estimate(found_on: dt.date, replaced_on: dt.date,
                     use_by_month: Mapping[tuple[int, int], Decimal]) -> FailureEstimate:
    """The use estimated for a meter whose failure (not the customer's fault) was found
    on ``found_on`` and which was replaced on ``replaced_on`` (KEE §38(1)).

    The average daily use of the three calendar months before the month of the finding
    (``use_by_month[(year, month)]``, m³) replaces the meter from the first day of that
    month until the new meter is installed. Decision: the new meter measures from the
    day it is installed, so the estimate covers the days from the first of the month
    up to but not including ``replaced_on``: ``days = (replaced_on - first).days``.
    The volume is that average (exact) x days, in whole m³ half up (§41(1)).

    Found 15.03.2026, replaced 20.03.2026, Dec 9.3 + Jan 10.0 + Feb 8.6 = 27.9 m³ over
    31 + 31 + 28 = 90 days: 0.31 m³/day x 19 days = 5.89 -> 6 m³.

    ``ActsError`` for a month missing from ``use_by_month`` (naming it), a negative
    use, or ``replaced_on`` before ``found_on`` (so also before the first of the month).
    """
    if replaced_on < found_on:
        raise ActsError(f"the new meter cannot have been installed on {_date(replaced_on)}, "
                        f"before the failure was found on {_date(found_on)}")
    # KEE §38(1): "rikke avastamisele eelnenud mõõteperioodi kolme kalendrikuu"
    first_day, last_day = failed_meter_window(found_on)
    months = tuple((day.year, day.month) for day in (
        months_after(first_day, index) for index in range(FAILED_METER_MONTHS)))
    base_use = Decimal(0)
    for year, month in months:
        use = use_by_month.get((year, month))
        if use is None:
            raise ActsError(f"no use for {month:02d}.{year}, one of the three calendar "
                            f"months before the failure found on {_date(found_on)} "
                            "(KEE §38(1))")
        base_use = _EXACT.add(base_use, _decimal(f"use of {month:02d}.{year}", use))
    base_days = (last_day - first_day).days + 1
    # KEE §38(1): "kehtib rikke tuvastamise kalendrikuu kohta kuni uue arvesti paigaldamiseni"
    period_start = found_on.replace(day=1)
    days = (replaced_on - period_start).days
    # Exact: base_use x days / base_days, one division in 200 digits, rounded once.
    volume = whole_m3_estimate(_EXACT.divide(_EXACT.multiply(base_use, Decimal(days)),
                                             Decimal(base_days)))
    daily = _EXACT.divide(base_use, Decimal(base_days)).quantize(
        _LITRE, rounding=ROUND_HALF_UP, context=_EXACT)
    return FailureEstimate(
        months=months, base_days=base_days, base_use_m3=base_use, daily_average_m3=daily,
        period_start=period_start, period_end=replaced_on, days=days, volume_m3=volume,
        clause="KEE §38(1); §41(1)")


# --------------------------------------------------------------------------- §38(2)


@dataclass(frozen=True)
class VerificationSettlement:
    """The settlement after a control verification beyond the tolerance (KEE §38(2)):
    the period ``period_start`` up to (not including) ``period_end``, ``days`` long;
    ``measured_m3`` the meter registered over it, ``true_m3`` what passed through it
    (to the litre, for display); ``settlement_m3`` the difference in whole m³:
    positive = over-registered, credited to the customer; negative = charged."""

    period_start: dt.date
    period_end: dt.date
    days: int
    measured_m3: Decimal
    error_percent: Decimal
    true_m3: Decimal
    settlement_m3: int
    clause: str


def verification_period_start(verified_on: dt.date) -> dt.date:
    """The first day settled after a control verification on ``verified_on`` (KEE
    §38(2)): the first day of the third calendar month before the verification's."""
    # KEE §38(2): "eelneva kolme kalendrikuu veetarvituse kohta"
    return months_after(verified_on.replace(day=1), -CONTROL_VERIFICATION_MONTHS)


def verification_settlement(verified_on: dt.date, replaced_on: dt.date,
                            measured_m3: Decimal, error_percent: Decimal,
                            tolerance_percent: Decimal) -> VerificationSettlement | None:
    """The settlement after a control verification (KEE §37(7)) on ``verified_on``
    found the meter's error ``error_percent`` (positive: it registers too much) beyond
    ``tolerance_percent`` (KEE §38(2)); ``None`` within the tolerance (|error| <=
    tolerance: only an error "lubatust suurem" is settled).

    The period is the previous three calendar months plus the days of the
    verification month until the new meter was installed: from the first day of the
    third month before the verification month up to (not including) ``replaced_on``.
    ``measured_m3`` is what the meter registered over that period.

    Decisions: the true volume is ``measured / (1 + error / 100)``; the settlement is
    ``measured - true`` rounded once to whole m³, half away from zero (§41(1)):
    positive = the meter over-registered, credited to the customer; negative =
    under-registered, charged. Measured 300 m³ at +5 %: true 285.714 m³, 14.286 ->
    14 m³ credited.

    ``ActsError`` for a negative volume or tolerance, an error of -100 % or less, or
    ``replaced_on`` before the period starts."""
    _decimal("measured volume", measured_m3)
    _decimal("error", error_percent, negative=True)
    _decimal("tolerance", tolerance_percent)
    if error_percent <= -_HUNDRED:
        raise ActsError(f"a meter error of {error_percent} % would mean no water passed")
    period_start = verification_period_start(verified_on)
    if replaced_on < period_start:
        raise ActsError(f"the new meter installed on {_date(replaced_on)} is before the "
                        f"settled period starts on {_date(period_start)} (KEE §38(2))")
    # KEE §38(2): "mõõteviga lubatust suuremaks": only beyond the tolerance
    if abs(error_percent) <= tolerance_percent:
        return None
    factor = _EXACT.add(Decimal(1), _EXACT.divide(error_percent, _HUNDRED))
    true = _EXACT.divide(measured_m3, factor)
    difference = _EXACT.subtract(measured_m3, true)
    # KEE §41(1): whole m³, half away from zero whatever the sign
    settled = whole_m3_estimate(abs(difference))
    return VerificationSettlement(
        period_start=period_start, period_end=replaced_on,
        days=(replaced_on - period_start).days, measured_m3=measured_m3,
        error_percent=error_percent,
        true_m3=true.quantize(_LITRE, rounding=ROUND_HALF_UP, context=_EXACT),
        settlement_m3=settled if difference >= 0 else -settled,
        clause="KEE §38(2); §37(7); §41(1)")
