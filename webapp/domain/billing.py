"""The money rules of billing (issue 11; DOMAIN.md section 3, KEE §4, §22, §38, §40-§43).

Quantities, prices and money in, quantities, invoice lines and totals out: what a
billing run (a service) needs to turn a contract's readings into an invoice. Every
number is a Decimal; the arithmetic in between is exact (fractions), and a result is
rounded once, half up (a half away from zero, like ``decimal.ROUND_HALF_UP``):
volumes to 0.001 m³ (the litre, like readings), money to the cent.

The decisions, each where it is applied:

- A reading dated D states the meter at the end of day D (DOMAIN.md, Decisions); a
  period of days first..last runs from the end of the day before ``first`` to the
  end of ``last``. Between two readings the meter is interpolated linearly in time;
  past the readings it is never extrapolated.
- Prices have validity dates (KEE §4(3): the sewer price by pollution group, §22(1));
  on each day the price in force applies, and a period spanning a change is split
  by days (``split_by_prices``): its quantity is divided pro rata by days with the
  largest-remainder method in the quantity's own smallest unit, so whole m³ give
  whole parts and the parts always add up to the quantity exactly.
- KEE §41(1) bills whole cubic metres: the fraction is carried to the next period
  (``whole_m3``), so over any run of periods the billed m³ plus the last carry equal
  what was measured, and nothing is lost or billed twice.
- VAT is computed per VAT rate on the sum of the lines' nets (EN 16931 BR-CO-17, the
  European e-invoice standard Estonian e-invoices follow: the VAT of a rate category
  is its taxable amount x the rate, rounded once), each line's net being quantity x
  unit price to the cent.
- A prepayment (a garden-water rebate credited for the next invoice, ELVESO 1.2,
  3.4) pays the invoice's gross up to its amount; what is left stays a prepayment.
- Late interest (KEE §41(3)) is simple interest per day of delay: from the day after
  the due date up to and including the day the money arrives (KEE §41(2)).

Pure: no Flask, no database.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from functools import cached_property

from webapp.domain import parameters
from webapp.domain.deadlines import DeadlineId, DeadlineSet, due, months_after
from webapp.domain.readings import PastReading

VOLUME_PLACES = 3  # m³ to the litre, like readings
MONEY_PLACES = 2  # euros to the cent
# The portal's own rule (rules/parameters/portal.toml): a missing reading is
# estimated from the use of the last months.
AVERAGE_MONTHS = parameters.integer("average_months")
# KEE §38(1): "kolme kalendrikuu keskmise ööpäevase tarbimise" (rules/parameters/KEE-2012.toml)
FAILED_METER_MONTHS = parameters.integer("failed_meter_months")

_ONE_DAY = dt.timedelta(days=1)
_HUNDRED = 100
_ONE_HUNDREDTH = Decimal("0.01")  # a percentage as a factor, exactly
# Sums and differences of Decimals kept exact (far beyond the 28 digits of the default
# context), and quotients given to the default context's 28 significant digits,
# whatever context the caller has set.
_EXACT = Context(prec=200)
_QUOTIENT = Context(prec=28)


class BillingError(ValueError):
    """Input the billing rules cannot work with: a day without a price, a rate above
    the cap, a negative number of residents ... ``day`` is the day at fault, if any."""

    def __init__(self, message: str, day: dt.date | None = None) -> None:
        super().__init__(message)
        self.day = day


# --------------------------------------------------------------------------- arithmetic


def _finite(name: str, value: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise BillingError(f"{name}: expected a finite Decimal, got {value!r}")
    return value


def _not_negative(name: str, value: Decimal) -> Decimal:
    if _finite(name, value) < 0:
        raise BillingError(f"{name}: must not be negative, got {value}")
    return value


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BillingError(f"{name}: expected a whole number, got {value!r}")
    if value < 0:
        raise BillingError(f"{name}: must not be negative, got {value}")
    return value


def _round_half_up(value: Fraction, places: int) -> Decimal:
    """``value`` to ``places`` decimals, a half away from zero; exact."""
    units, remainder = divmod(abs(value.numerator) * 10**places, value.denominator)
    if 2 * remainder >= value.denominator:
        units += 1
    sign = "-" if value < 0 and units else ""
    # The string constructor is exact; Decimal arithmetic would round to the context.
    return Decimal(f"{sign}{units}E-{places}")


def _volume(value: Fraction) -> Decimal:
    return _round_half_up(value, VOLUME_PLACES)


def _cents(value: Fraction) -> Decimal:
    return _round_half_up(value, MONEY_PLACES)


_CENT = Decimal("0.01")


def _product_cents(*factors: Decimal) -> Decimal:
    """The product of finite Decimals to the cent, a half away from zero: the product
    is exact in a context of 200 digits, so this equals ``_cents`` of the exact
    product, without the cost of fractions (a billing run makes millions)."""
    product = factors[0]
    for factor in factors[1:]:
        product = _EXACT.multiply(product, factor)
    rounded = product.quantize(_CENT, rounding=ROUND_HALF_UP, context=_EXACT)
    return rounded if rounded else abs(rounded)  # no "-0.00"


def _quotient(value: Fraction) -> Decimal:
    return _QUOTIENT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _units(value: Decimal) -> tuple[int, int]:
    """``value`` as ``units`` x 10^``exponent`` with ``exponent`` <= 0: its smallest
    decimal place as written ("31" -> (31, 0), "31.50" -> (3150, -2))."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise BillingError(f"expected a finite Decimal, got {value!r}")
    magnitude = int("".join(map(str, digits)) or "0")
    if exponent > 0:
        magnitude, exponent = magnitude * 10**exponent, 0
    return (-magnitude if sign else magnitude), exponent


def _date(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class PricePeriod:
    """A unit price (EUR per m³, without VAT) in force from ``valid_from`` through
    ``valid_until`` (None: until further notice). KEE §4(3) makes the sewer price
    depend on the pollution group (§22(1)): the caller passes the group's prices."""

    valid_from: dt.date
    valid_until: dt.date | None
    unit_price: Decimal

    def __post_init__(self) -> None:
        _not_negative("unit_price", self.unit_price)
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise BillingError(
                f"a price valid from {_date(self.valid_from)} cannot end before it, "
                f"on {_date(self.valid_until)}", self.valid_until)

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class PricedPart:
    """The days ``first``..``last`` of a billing period under one unit price, and the
    share of the period's quantity they bear."""

    first: dt.date
    last: dt.date
    days: int
    quantity: Decimal
    unit_price: Decimal


def price_on(day: dt.date, prices: Sequence[PricePeriod]) -> Decimal:
    """The unit price in force on ``day``: of the periods that hold it, the one that
    started last (a new price supersedes one whose end was left open).
    ``BillingError`` naming the day where none does, or where two starting on the same
    day disagree."""
    holding = [price for price in prices if price.in_force(day)]
    if not holding:
        raise BillingError(f"no price in force on {_date(day)}", day)
    newest = max(price.valid_from for price in holding)
    found = {price.unit_price for price in holding if price.valid_from == newest}
    if len(found) > 1:
        raise BillingError(
            f"two prices start on {_date(newest)} and hold {_date(day)}: "
            f"{', '.join(map(str, sorted(found)))}", day)
    return found.pop()


def _price_runs(first: dt.date, last: dt.date, prices: Sequence[PricePeriod]
                ) -> list[tuple[dt.date, dt.date, Decimal]]:
    # The price can change only where a period starts or ends: between two such days
    # the same periods hold every day, so one look-up per stretch is enough.
    starts = {first}
    for price in prices:
        if first < price.valid_from <= last:
            starts.add(price.valid_from)
        if price.valid_until is not None and first <= price.valid_until < last:
            starts.add(price.valid_until + _ONE_DAY)
    ordered = sorted(starts)
    runs: list[tuple[dt.date, dt.date, Decimal]] = []
    for index, start in enumerate(ordered):
        end = ordered[index + 1] - _ONE_DAY if index + 1 < len(ordered) else last
        unit_price = price_on(start, prices)
        if runs and runs[-1][2] == unit_price:
            # The same price on both sides of a boundary: one line, not two.
            runs[-1] = (runs[-1][0], end, unit_price)
        else:
            runs.append((start, end, unit_price))
    return runs


def _apportion(quantity: Decimal, weights: Sequence[int]) -> list[Decimal]:
    """``quantity`` divided in proportion to ``weights`` (all above 0), each share in
    the quantity's smallest unit, the shares adding up to it exactly.

    The largest-remainder (Hamilton) method: every share gets the whole units of its
    exact part, and the units left over (fewer than the parts) go one each to the
    parts with the largest fractions, a tie to the later part. So no share is off its
    exact part by a unit or more.
    """
    units, exponent = _units(quantity)
    sign, units = (-1 if units < 0 else 1), abs(units)
    total = sum(weights)
    shares, remainders = [], []
    for weight in weights:
        share, remainder = divmod(units * weight, total)
        shares.append(share)
        remainders.append(remainder)
    left = units - sum(shares)
    by_fraction = sorted(range(len(weights)), key=lambda i: (remainders[i], i), reverse=True)
    for index in by_fraction[:left]:
        shares[index] += 1
    return [Decimal(f"{sign * share}E{exponent}") for share in shares]


def split_by_prices(first: dt.date, last: dt.date, quantity: Decimal,
                    prices: Sequence[PricePeriod]) -> list[PricedPart]:
    """The quantity of the billing period ``first``..``last`` (days inclusive) divided
    between the prices in force on its days, pro rata by days, oldest first.

    The parts add up to ``quantity`` exactly and have no more decimals than it: 31 m³
    over 30 days with a new price from the 11th day are 10 and 21 m³ (exactly 10.333
    and 20.667; the leftover m³ goes to the larger fraction), and 31.000 m³ are 10.333
    and 20.667. Adjacent days with the same unit price make one part. A negative
    quantity (a correction) is split the same way. ``BillingError`` naming the first
    day without a price (KEE §4(3): only a price in force may be charged).
    """
    if last < first:
        raise BillingError(f"the period ends on {_date(last)}, before it starts on "
                           f"{_date(first)}", last)
    _finite("quantity", quantity)
    runs = _price_runs(first, last, prices)
    days = [(end - start).days + 1 for start, end, _ in runs]
    shares = _apportion(quantity, days)
    return [PricedPart(start, end, count, share, unit_price)
            for (start, end, unit_price), count, share in zip(runs, days, shares, strict=True)]


# --------------------------------------------------------------------------- quantities


@dataclass(frozen=True)
class WholeQuantity:
    """What a period bills in whole m³ and the fraction carried to the next one."""

    billed: int
    carry: Decimal


def whole_m3(measured: Decimal, carried: Decimal) -> WholeQuantity:
    """KEE §41(1) "kuupmeetri täpsusega": the whole m³ of ``measured`` plus the
    fraction ``carried`` from the last period are billed, and the fraction left is
    carried to the next one, so that over any run of periods the billed m³ plus the
    last carry equal what was measured: nothing is lost or billed twice.

    The carry always lies in [0, 1): the billed m³ are the floor of the sum. A
    negative ``measured`` (a correction of an earlier reading) is allowed and may bill
    a negative quantity, a credit: -0.4 m³ with nothing carried bills -1 m³ and
    carries 0.6, which the next period adds to its use. (Rounding toward zero instead
    would carry a negative fraction, and a credit smaller than 1 m³ would disappear
    from the invoice while staying owed.)
    """
    _finite("measured", measured)
    _finite("carried", carried)
    if not 0 <= carried < 1:
        raise BillingError(f"carried: a carried fraction lies in [0, 1), got {carried}")
    total = _EXACT.add(measured, carried)
    billed = int(total.to_integral_value(rounding=ROUND_FLOOR))
    return WholeQuantity(billed, _EXACT.subtract(total, Decimal(billed)))


def sewer_quantity(water: Decimal, unsewered: Decimal = Decimal(0)) -> Decimal:
    """KEE §40(1): the wastewater led to the sewer equals the water used, unless it is
    measured otherwise; ``unsewered`` is what a verified garden sub-meter measured in
    the same period (water that never reached the sewer). It cannot exceed the water
    the main meter measured: ``BillingError``. A garden-water rebate is a prepayment
    on the invoice (ELVESO 3.4), not a smaller quantity here."""
    _finite("water", water)
    _not_negative("unsewered", unsewered)
    if unsewered > max(water, Decimal(0)):
        raise BillingError(f"the garden sub-meter measured {unsewered} m³, more than the "
                           f"{water} m³ of the main meter")
    return _EXACT.subtract(water, unsewered)


def _ordered(readings: Sequence[PastReading]) -> list[PastReading]:
    """The readings oldest first, one a day. Two different values on one day, a
    negative value or a meter running backwards are refused: no order can be told,
    and a replaced meter's readings are another meter's."""
    result: list[PastReading] = []
    for reading in sorted(readings, key=lambda reading: reading.day):
        _not_negative(f"the reading of {_date(reading.day)}", reading.value)
        if result and result[-1].day == reading.day:
            if result[-1].value != reading.value:
                raise BillingError(f"two readings of {_date(reading.day)} differ: "
                                   f"{result[-1].value} and {reading.value}", reading.day)
            continue
        if result and reading.value < result[-1].value:
            raise BillingError(
                f"{reading.value} on {_date(reading.day)} is below {result[-1].value} on "
                f"{_date(result[-1].day)}: a meter does not run backwards", reading.day)
        result.append(reading)
    return result


def _value_at(ordered: Sequence[PastReading], day: dt.date) -> Fraction | None:
    """The meter at the end of ``day``, exactly: a reading of that day or linear
    between the readings around it; None outside the readings (no extrapolation)."""
    before = after = None
    for reading in ordered:
        if reading.day <= day:
            before = reading
        else:
            after = reading
            break
    if before is not None and before.day == day:
        return Fraction(before.value)
    if before is None or after is None:
        return None
    elapsed, span = (day - before.day).days, (after.day - before.day).days
    return (Fraction(before.value)
            + (Fraction(after.value) - Fraction(before.value)) * elapsed / span)


def interpolate_to(day: dt.date, before: PastReading, after: PastReading) -> Decimal:
    """The meter's cumulative value at the end of ``day``, linear in time between the
    readings ``before`` and ``after`` around it (DOMAIN.md, Decisions), to 0.001 m³
    half up: where a billing period ends between two readings.

    ``day`` must lie between the readings' days (no extrapolation); a meter running
    backwards is refused.
    """
    if before.day > after.day:
        raise BillingError(f"the reading before ({_date(before.day)}) is after the reading "
                           f"after ({_date(after.day)})", before.day)
    ordered = _ordered([before, after])
    if not before.day <= day <= after.day:
        raise BillingError(f"{_date(day)} lies outside the readings of {_date(before.day)} "
                           f"and {_date(after.day)}: no extrapolation", day)
    value = _value_at(ordered, day)
    if value is None:  # pragma: no cover - a day between the readings always has one
        raise BillingError(f"no value on {_date(day)}", day)
    return _volume(value)


def average_daily_use(readings: Sequence[PastReading], end: dt.date,
                      months: int = AVERAGE_MONTHS) -> Decimal | None:
    """The meter's use a day over the ``months`` calendar months ending with ``end``:
    the use between the first and the last reading dated in that window (the window
    runs from the end of the same day ``months`` months earlier, TsÜS §136(2)-(3), to
    the end of ``end``) divided by the days between them. None without two readings of
    different days in it. Not rounded (28 significant digits): an estimate multiplies
    it by its days and rounds once (``estimate_use``)."""
    if _count("months", months) == 0:
        raise BillingError("months: the window has at least one month")
    start = months_after(end, -months)
    inside = [reading for reading in _ordered(readings) if start <= reading.day <= end]
    if len(inside) < 2:
        return None
    first, last = inside[0], inside[-1]
    use = Fraction(last.value) - Fraction(first.value)
    return _quotient(use / (last.day - first.day).days)


def estimate_use(days: int, average_daily: Decimal) -> Decimal:
    """The use of ``days`` days estimated from the meter's average daily use of the last
    12 months (``average_daily_use``), to 0.001 m³ half up: a missing reading (issue
    11). The invoice marks it as an estimate; the next real reading corrects it, as
    the use from the last real reading is then billed less what was estimated."""
    _count("days", days)
    _not_negative("average_daily", average_daily)
    return _volume(Fraction(average_daily) * days)


def failed_meter_window(found_on: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the three calendar months before the month in which
    the meter's failure was found (KEE §38(1)).

    §38(1): the use is reckoned "rikke avastamisele eelnenud mõõteperioodi kolme
    kalendrikuu keskmise ööpäevase tarbimise järgi. Nimetatud arveldamiskord kehtib
    rikke tuvastamise kalendrikuu kohta kuni uue arvesti paigaldamiseni". The
    average replaces the meter from the first day of the month of the finding, so the
    months it is taken from are the three whole calendar months before that month: a
    failure found on 15.05.2026 is averaged over 01.02.2026-30.04.2026.
    """
    month_start = found_on.replace(day=1)
    return months_after(month_start, -FAILED_METER_MONTHS), month_start - _ONE_DAY


def _failed_meter_rate(readings: Sequence[PastReading], found_on: dt.date) -> Fraction:
    first, last = failed_meter_window(found_on)
    ordered = _ordered(readings)
    # DOMAIN.md Decisions: a boundary between readings is interpolated; one outside
    # them is not extrapolated: the window shrinks to the readings inside it.
    low = high = None
    if ordered:
        low, high = max(first - _ONE_DAY, ordered[0].day), min(last, ordered[-1].day)
    if low is None or high is None or low >= high:
        raise BillingError(
            f"KEE §38(1): no readings cover a day of {_date(first)}-{_date(last)}, the three "
            f"calendar months before the failure found on {_date(found_on)}", found_on)
    start, end = _value_at(ordered, low), _value_at(ordered, high)
    if start is None or end is None:  # pragma: no cover - low and high lie in the readings
        raise BillingError("KEE §38(1): no readings in the window", found_on)
    return (end - start) / (high - low).days


def failed_meter_daily_use(readings: Sequence[PastReading], found_on: dt.date) -> Decimal:
    """KEE §38(1): the average daily use of the three calendar months before the month
    the failure (not the customer's fault) was found (``failed_meter_window``), from
    the meter's readings up to the failure (the caller leaves out those it does not
    trust); 28 significant digits."""
    return _quotient(_failed_meter_rate(readings, found_on))


def failed_meter_use(readings: Sequence[PastReading], found_on: dt.date, days: int) -> Decimal:
    """KEE §38(1): the use of ``days`` days without a working meter, at the average
    daily use of the three calendar months before the month the failure was found, to
    0.001 m³ half up. The days are those from the first day of the month of the
    finding until the new meter is installed ("rikke tuvastamise kalendrikuu kohta
    kuni uue arvesti paigaldamiseni"). Billed in whole m³ like any use (§41(1),
    ``whole_m3``); §40(3) applies the same to a failed wastewater meter."""
    _count("days", days)
    return _volume(_failed_meter_rate(readings, found_on) * days)


def _residents_fraction(residents: int, per_resident_monthly: Decimal, days: int,
                        days_in_month: int) -> Fraction:
    _count("residents", residents)
    _not_negative("per_resident_monthly", per_resident_monthly)
    _count("days_in_month", days_in_month)
    if not 28 <= days_in_month <= 31:
        raise BillingError(f"days_in_month: a month has 28 to 31 days, got {days_in_month}")
    if not 0 <= _count("days", days) <= days_in_month:
        raise BillingError(f"days: at most the {days_in_month} days of the month, got {days}")
    return Fraction(per_resident_monthly) * residents * days / days_in_month


def residents_use(residents: int, per_resident_monthly: Decimal, days: int,
                  days_in_month: int) -> Decimal:
    """KEE §42: without a meter, the use is reckoned from the number of residents and
    the average use per resident in Kuressaare ("elanike arv, keskmine veetarbimine
    elaniku kohta Kuressaare linna territooriumil"). The regulation gives no figure,
    so the norm is the utility's setting, in m³ per resident a month; ``days`` of a
    month of ``days_in_month`` days bear their share. To 0.001 m³ half up; billed in
    whole m³ like any use (§41(1))."""
    return _volume(_residents_fraction(residents, per_resident_monthly, days, days_in_month))


def residents_use_between(residents: int, per_resident_monthly: Decimal, first: dt.date,
                          last: dt.date) -> Decimal:
    """``residents_use`` for the days ``first``..``last`` (inclusive), each calendar
    month's days at that month's share, added exactly and rounded once."""
    if last < first:
        raise BillingError(f"the period ends on {_date(last)}, before it starts on "
                           f"{_date(first)}", last)
    total, day = Fraction(0), first
    while day <= last:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = day.replace(day=days_in_month)
        until = min(month_end, last)
        total += _residents_fraction(residents, per_resident_monthly,
                                     (until - day).days + 1, days_in_month)
        day = until + _ONE_DAY
    return _volume(total)


# --------------------------------------------------------------------------- money


def round_cents(value: Decimal) -> Decimal:
    """``value`` to the cent, a half away from zero (2.345 -> 2.35, -2.345 -> -2.35)."""
    return _product_cents(_finite("value", value))


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice: ``quantity`` ``unit`` at ``unit_price`` EUR without VAT.
    ``vat_rate`` is a percentage, as EN 16931 (BT-119) states it: 24 is 24 %.
    ``description_key`` is the text's key, translated at the edge."""

    description_key: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.description_key, str) or not self.description_key.strip():
            raise BillingError("description_key: a line needs the key of its description")
        if not isinstance(self.unit, str) or not self.unit.strip():
            raise BillingError("unit: a line needs its unit (m3, month, ...)")
        _finite("quantity", self.quantity)
        _finite("unit_price", self.unit_price)
        if not 0 <= _finite("vat_rate", self.vat_rate) <= _HUNDRED:
            raise BillingError(f"vat_rate: a percentage from 0 to 100, got {self.vat_rate}")

    @cached_property
    def net(self) -> Decimal:
        """Quantity x unit price, to the cent, half up."""
        return _product_cents(self.quantity, self.unit_price)


@dataclass(frozen=True)
class VatSubtotal:
    """The VAT of one rate (EN 16931 BG-23): the nets of its lines and their VAT."""

    rate: Decimal
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    """An invoice's sums, in euros to the cent.

    ``gross`` = ``net`` + ``vat``; ``payable`` = ``gross`` - ``prepayment_applied``,
    never below 0 unless the gross is (a credit invoice); ``prepayment_left`` is what
    stays a prepayment for the next invoice.
    """

    net: Decimal
    vat: Decimal
    gross: Decimal
    prepayment_applied: Decimal
    payable: Decimal
    prepayment_left: Decimal
    vat_subtotals: tuple[VatSubtotal, ...]


def invoice_totals(lines: Sequence[InvoiceLine], prepayments: Decimal) -> Totals:
    """The totals of an invoice of ``lines``, with ``prepayments`` (EUR, to the cent:
    e.g. a garden-water rebate credited as a prepayment, ELVESO 1.2, 3.4) paying it.

    VAT per rate: each rate's VAT is the sum of its lines' nets times the rate,
    rounded to the cent half up once (EN 16931 BR-CO-17 and BG-23; not a sum of VAT
    rounded line by line, which drifts by cents). The prepayment pays the gross up to
    its amount and never makes the payable sum negative; the rest is returned as
    ``prepayment_left``. A negative gross (corrections larger than the charges) is
    payable to the customer and uses no prepayment.
    """
    _not_negative("prepayments", prepayments)
    if round_cents(prepayments) != prepayments:
        raise BillingError(f"prepayments: money to the cent, got {prepayments}")
    taxable: dict[Decimal, Decimal] = {}
    for line in lines:
        # Equal rates written differently (24, 24.0) are one rate: Decimal keys compare
        # and hash by value.
        taxable[line.vat_rate] = _EXACT.add(taxable.get(line.vat_rate, Decimal(0)), line.net)
    subtotals = tuple(
        VatSubtotal(rate, amount, _product_cents(amount, rate, _ONE_HUNDREDTH))
        for rate, amount in sorted(taxable.items()))
    net = sum((subtotal.taxable for subtotal in subtotals), Decimal("0.00"))
    vat = sum((subtotal.vat for subtotal in subtotals), Decimal("0.00"))
    gross = _EXACT.add(net, vat)
    applied = min(prepayments, max(gross, Decimal(0)))
    return Totals(
        net=round_cents(net), vat=round_cents(vat), gross=round_cents(gross),
        prepayment_applied=round_cents(applied),
        payable=round_cents(_EXACT.subtract(gross, applied)),
        prepayment_left=round_cents(_EXACT.subtract(prepayments, applied)),
        vat_subtotals=subtotals,
    )


# --------------------------------------------------------------------------- late interest


def late_days(due_date: dt.date, paid_on: dt.date | None, until: dt.date) -> int:
    """The days of delay: from the day after ``due_date`` (the term passes at 24:00 on
    it, TsÜS §137(1)) up to and including the day the money arrived, ``paid_on``
    (KEE §41(2): an invoice counts as paid on the day the money reaches the utility's
    account, so it is still unpaid that day until it arrives; the Law of Obligations
    Act, VÕS §113(1), charges interest "kuni kohustuse nõuetekohase täitmiseni"), or
    ``until`` (the day interest is reckoned to, e.g. the next invoice's date) where
    the money has not arrived by then. 0 when paid on or before the due date."""
    end = until if paid_on is None else min(paid_on, until)
    return max(0, (end - due_date).days)


def late_interest(unpaid: Decimal, due_date: dt.date, paid_on: dt.date | None,
                  until: dt.date, daily_rate_percent: Decimal, cap_percent: Decimal, *,
                  received_in_time: bool = True, invoice_correct: bool = True) -> Decimal:
    """KEE §41(3): late interest on ``unpaid`` EUR, at ``daily_rate_percent`` % a day
    (the contract's rate, a utility setting), simple interest for each day of
    ``late_days``, rounded to the cent half up; shown on the next invoice.

    The rate may not exceed the cap, "0,15% tasumata summalt päevas", which the caller
    reads with ``deadlines.percentage("late_interest_cap", day)``: a higher rate is
    refused with ``BillingError``. No interest is due where the customer, through no
    fault of their own, did not receive the invoice or not in time
    (``received_in_time=False``) or the invoice was wrong (``invoice_correct=False``).
    """
    _not_negative("unpaid", unpaid)
    _not_negative("cap_percent", cap_percent)
    if _not_negative("daily_rate_percent", daily_rate_percent) > cap_percent:
        raise BillingError(f"KEE §41(3): a late interest of {daily_rate_percent} % a day is "
                           f"above the cap of {cap_percent} % a day")
    if not received_in_time or not invoice_correct:
        return Decimal("0.00")
    days = late_days(due_date, paid_on, until)
    return _cents(Fraction(unpaid) * Fraction(daily_rate_percent) / _HUNDRED * days)


# --------------------------------------------------------------------------- deadlines


def claim_until(received_on: dt.date, deadlines: DeadlineSet | None = None) -> dt.date:
    """KEE §43(1): the last day for a claim about an invoice received on
    ``received_on``: ten working days from the day after."""
    return due(DeadlineId.INVOICE_CLAIM, received_on, deadlines)


def claim_answer_until(claimed_on: dt.date, deadlines: DeadlineSet | None = None) -> dt.date:
    """KEE §43(1): the last day for the utility's answer to a claim received on
    ``claimed_on``: ten working days from the day after. (A claim does not move the
    invoice's due date, same subsection.)"""
    return due(DeadlineId.CLAIM_ANSWER, claimed_on, deadlines)


def closure_warning_from(due_date: dt.date, deadlines: DeadlineSet | None = None) -> dt.date:
    """KEE §43(2): the first day a written warning of closure may be sent for an
    invoice unpaid since ``due_date``: "viie tööpäeva möödudes", once five working
    days after the due date have passed, i.e. the day after the fifth (TsÜS §137(1))."""
    return due(DeadlineId.CLOSURE_WARNING, due_date, deadlines) + _ONE_DAY
