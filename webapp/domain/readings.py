"""The rules a meter reading must meet, whatever channel brought it (ITB 1).

Web form, CSV import, the API and staff entry all call these functions, so a
reading is judged the same way everywhere. Pure: plain values in, plain values
out; the caller turns the codes into messages in the reader's language.

A reading dated D states the meter at the end of day D (DOMAIN.md, Decisions).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from decimal import Decimal, InvalidOperation
from typing import Protocol

DECIMALS = 3  # readings are kept to the litre: m³ with three decimals
MAX_VALUE = Decimal("999999999.999")  # what the reading column holds (NUMERIC(12, 3))
INTEGER_DIGITS = 9  # NUMERIC(12, 3)
HISTORY_DAYS = 365  # the average daily use is taken over the last 12 months
DEFAULT_WARNING_FACTOR = Decimal(3)

# Digits 0-9 only (no Unicode digits, exponents, NaN or infinity), one decimal
# separator, a comma or a point; spaces may group thousands ("1 234,5").
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+")
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'")


class ValueProblem(enum.StrEnum):
    """Why the text typed in is not a reading at all."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"


class InvalidValue(ValueError):
    def __init__(self, problem: ValueProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_reading_value(text: str) -> Decimal:
    """The reading in ``text`` as a Decimal with three decimals, or ``InvalidValue``.

    A decimal comma and a decimal point are both accepted, and spaces between
    groups of digits.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidValue(ValueProblem.EMPTY)
    negative = cleaned.startswith(("-", "\u2212"))
    digits = cleaned.lstrip("-\u2212+").translate(_GROUPING)
    if not _NUMBER.fullmatch(digits):
        raise InvalidValue(ValueProblem.NOT_A_NUMBER)
    whole = digits.replace(",", ".").partition(".")[0]
    if len(whole.lstrip("0")) > INTEGER_DIGITS:
        raise InvalidValue(ValueProblem.TOO_LARGE)
    try:
        value = Decimal(digits.replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise InvalidValue(ValueProblem.NOT_A_NUMBER) from error
    if negative and value != 0:
        raise InvalidValue(ValueProblem.NEGATIVE)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMALS:
        raise InvalidValue(ValueProblem.TOO_MANY_DECIMALS)
    if value > MAX_VALUE:
        raise InvalidValue(ValueProblem.TOO_LARGE)
    return value.quantize(Decimal(1).scaleb(-DECIMALS))


class Problem(enum.StrEnum):
    """A rule the reading breaks: it is not saved."""

    METER_REMOVED = "meter_removed"
    VERIFICATION_EXPIRED = "verification_expired"
    DATE_IN_FUTURE = "date_in_future"
    DATE_BEFORE_INSTALLATION = "date_before_installation"
    DATE_BEFORE_LAST = "date_before_last"
    BELOW_LAST = "below_last"


class ReadingWarning(enum.StrEnum):
    """Something unusual: the reading is saved only once the person confirms it."""

    UNUSUALLY_HIGH = "unusually_high"
    ABOVE_DAILY_CEILING = "above_daily_ceiling"


@dataclass(frozen=True)
class PastReading:
    day: dt.date
    value: Decimal


@dataclass(frozen=True)
class MeterState:
    """What the rules need to know of a meter.

    ``last`` is its newest accepted reading and ``previous`` the one before it,
    ``average_daily_use`` comes from ``average_daily_use`` below.
    """

    active: bool
    installed_on: dt.date
    needs_verification: bool
    verified_until: dt.date | None
    last: PastReading | None
    previous: PastReading | None = None
    average_daily_use: Decimal | None = None


@dataclass(frozen=True)
class Limits:
    """The utility's settings for warnings."""

    warning_factor: Decimal = DEFAULT_WARNING_FACTOR
    daily_ceiling: Decimal | None = None  # m³ a day; None: no ceiling


@dataclass(frozen=True)
class Finding:
    code: Problem | ReadingWarning
    field: str  # the form field it concerns: "value" or "reading_date"
    params: Mapping[str, object] = default(default_factory=dict)


@dataclass(frozen=True)
class ReadingCheck:
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    replaces_same_day: bool  # a reading of the same meter and date is replaced

    @property
    def accepted(self) -> bool:
        return not self.errors

    def needs_confirmation(self, confirmed: bool) -> bool:
        return self.accepted and bool(self.warnings) and not confirmed


def needs_verification(kind: str) -> bool:
    """A garden sub-meter's readings count only while its verification is valid
    (ELVESO 3.1.2, TV-2020): the utility must verify it before it is read again."""
    return kind == "garden_sub_meter"


class DatedValue(Protocol):
    """Anything with a day and a cumulative value: a ``PastReading``, or a row."""

    @property
    def day(self) -> dt.date: ...

    @property
    def value(self) -> Decimal: ...


def average_daily_use(readings: Sequence[DatedValue]) -> Decimal | None:
    """The meter's average use a day over the 12 months up to its newest reading
    (or over its whole history if shorter); None with fewer than two readings."""
    if len(readings) < 2:
        return None
    ordered = sorted(readings, key=lambda reading: reading.day)
    newest = ordered[-1]
    start = newest.day - dt.timedelta(days=HISTORY_DAYS)
    first = next(reading for reading in ordered if reading.day >= start)
    days = (newest.day - first.day).days
    if days <= 0:
        return None
    return max(Decimal(0), newest.value - first.value) / days


def check_reading(
    meter: MeterState, value: Decimal, day: dt.date, today: dt.date, limits: Limits | None = None
) -> ReadingCheck:
    """Every rule the reading breaks (errors) and every doubt about it (warnings).

    A reading dated the same day as the meter's last one replaces it; it is then
    compared with the reading before that one.
    """
    limits = limits or Limits()
    errors: list[Finding] = []
    if not meter.active:
        errors.append(Finding(Problem.METER_REMOVED, "value"))
    if meter.needs_verification and (meter.verified_until is None or meter.verified_until < day):
        errors.append(
            Finding(Problem.VERIFICATION_EXPIRED, "value", {"until": meter.verified_until})
        )
    last = meter.last
    replaces = last is not None and last.day == day
    baseline = meter.previous if replaces else last
    if day > today:
        errors.append(Finding(Problem.DATE_IN_FUTURE, "reading_date", {"today": today}))
    elif day < meter.installed_on:
        errors.append(
            Finding(Problem.DATE_BEFORE_INSTALLATION, "reading_date", {"day": meter.installed_on})
        )
    elif last is not None and day < last.day:
        errors.append(Finding(Problem.DATE_BEFORE_LAST, "reading_date", {"day": last.day}))
    if baseline is not None and value < baseline.value:
        errors.append(
            Finding(Problem.BELOW_LAST, "value", {"value": baseline.value, "day": baseline.day})
        )
    warnings: list[Finding] = []
    if not errors and baseline is not None:
        warnings = _doubts(meter, value, day, baseline, limits)
    return ReadingCheck(tuple(errors), tuple(warnings), replaces)


def _doubts(
    meter: MeterState, value: Decimal, day: dt.date, baseline: PastReading, limits: Limits
) -> list[Finding]:
    use = value - baseline.value
    days = max(1, (day - baseline.day).days)
    found = []
    average = meter.average_daily_use
    if average and use > limits.warning_factor * average * days:
        expected = (average * days).quantize(Decimal("0.001"))
        found.append(
            Finding(ReadingWarning.UNUSUALLY_HIGH, "value",
                    {"use": use, "expected": expected, "days": days, "since": baseline.day,
                     "factor": limits.warning_factor})
        )
    if limits.daily_ceiling is not None and use > limits.daily_ceiling * days:
        found.append(
            Finding(ReadingWarning.ABOVE_DAILY_CEILING, "value",
                    {"use": use, "days": days, "since": baseline.day,
                     "ceiling": limits.daily_ceiling})
        )
    return found


def month_starts(last_month: dt.date, count: int) -> list[dt.date]:
    """The first days of ``count`` months ending with ``last_month``'s, oldest first."""
    year, month = last_month.year, last_month.month
    starts = []
    for _ in range(count):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def value_at(readings: Sequence[PastReading], moment: dt.date) -> Decimal | None:
    """The meter's cumulative value at the end of day ``moment``: a reading of that
    day, or interpolated linearly between the readings around it; None outside
    the readings (no extrapolation, DOMAIN.md Decisions). ``readings`` oldest first,
    the last of a day standing for the day."""
    before = after = None
    for reading in readings:
        if reading.day <= moment:
            before = reading
        elif after is None:
            after = reading
            break
    if before is not None and before.day == moment:
        return before.value
    if before is None or after is None:
        return None
    span = Decimal((after.day - before.day).days)
    return before.value + (after.value - before.value) * (moment - before.day).days / span


def monthly_use(readings: Sequence[PastReading], months: Sequence[dt.date]
                ) -> list[Decimal | None]:
    """Use in each month (given by its first day): the value at the end of its last
    day minus the value at the end of the day before it; None where unknown."""
    uses: list[Decimal | None] = []
    for start in months:
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        begin = value_at(readings, start - dt.timedelta(days=1))
        end = value_at(readings, following - dt.timedelta(days=1))
        if begin is None or end is None:
            uses.append(None)
        else:
            uses.append(max(Decimal(0), end - begin).quantize(Decimal("0.001")))
    return uses
