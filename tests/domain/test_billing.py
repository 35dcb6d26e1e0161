"""The money rules of billing (issue 11; KEE §4(3), §38(1), §40(1), §41-§43), with no
app or database. The worked examples are done by hand in the comment above each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.billing import (
    BillingError,
    InvoiceLine,
    PricePeriod,
    average_daily_use,
    claim_answer_until,
    claim_until,
    closure_warning_from,
    estimate_use,
    failed_meter_daily_use,
    failed_meter_use,
    failed_meter_window,
    interpolate_to,
    invoice_totals,
    late_days,
    late_interest,
    price_on,
    residents_use,
    residents_use_between,
    round_cents,
    sewer_quantity,
    split_by_prices,
    whole_m3,
)
from webapp.domain.deadlines import percentage
from webapp.domain.readings import PastReading

D = dt.date
M = Decimal


def r(day: str, value: str) -> PastReading:
    return PastReading(D.fromisoformat(day), Decimal(value))


CAP = percentage("late_interest_cap", D(2026, 1, 1))  # KEE §41(3): 0.15 % a day


# --------------------------------------------------------------------------- prices

PRICES = (
    PricePeriod(D(2025, 1, 1), D(2026, 3, 10), M("1.5000")),
    PricePeriod(D(2026, 3, 11), None, M("1.8000")),
)


def test_a_period_spanning_a_price_change_is_split_by_days() -> None:
    # 30 days (01.03-30.03), a new price from the 11th day, 31 m³: exactly 31 x 10/30
    # = 10.333... and 31 x 20/30 = 20.666...; in whole m³ the floors are 10 and 20 and
    # the m³ left goes to the larger fraction (0.667): 10 and 21.
    parts = split_by_prices(D(2026, 3, 1), D(2026, 3, 30), M(31), PRICES)
    assert [(p.first, p.last, p.days, p.quantity, p.unit_price) for p in parts] == [
        (D(2026, 3, 1), D(2026, 3, 10), 10, M(10), M("1.5000")),
        (D(2026, 3, 11), D(2026, 3, 30), 20, M(21), M("1.8000")),
    ]
    assert sum(p.quantity for p in parts) == 31


def test_a_quantity_in_litres_is_split_in_litres() -> None:
    # 31.000 m³: 10.333 and 20.667 (the leftover litre to the larger fraction).
    parts = split_by_prices(D(2026, 3, 1), D(2026, 3, 30), M("31.000"), PRICES)
    assert [p.quantity for p in parts] == [M("10.333"), M("20.667")]
    assert sum(p.quantity for p in parts) == M("31.000")


def test_equal_fractions_give_the_leftover_to_the_later_part() -> None:
    # 20 days, change on the 11th: 5 m³ is 2.5 and 2.5 -> 2 and 3.
    parts = split_by_prices(D(2026, 3, 1), D(2026, 3, 20), M(5), PRICES)
    assert [p.quantity for p in parts] == [M(2), M(3)]


def test_a_period_under_one_price_is_one_part() -> None:
    parts = split_by_prices(D(2026, 4, 1), D(2026, 4, 30), M(7), PRICES)
    assert len(parts) == 1
    assert (parts[0].days, parts[0].quantity, parts[0].unit_price) == (30, M(7), M("1.8000"))


def test_adjacent_periods_at_one_price_make_one_part() -> None:
    prices = [PricePeriod(D(2026, 1, 1), D(2026, 1, 15), M("2.00")),
              PricePeriod(D(2026, 1, 16), None, M("2.00"))]
    parts = split_by_prices(D(2026, 1, 1), D(2026, 1, 31), M(12), prices)
    assert [(p.first, p.last, p.quantity) for p in parts] == [
        (D(2026, 1, 1), D(2026, 1, 31), M(12))]


def test_a_newer_price_supersedes_one_left_open() -> None:
    # The old price was never closed; the one that started last is in force.
    prices = [PricePeriod(D(2020, 1, 1), None, M("1.00")),
              PricePeriod(D(2026, 2, 1), None, M("1.20"))]
    assert price_on(D(2026, 1, 31), prices) == M("1.00")
    assert price_on(D(2026, 2, 1), prices) == M("1.20")
    parts = split_by_prices(D(2026, 1, 1), D(2026, 2, 28), M(59), prices)
    assert [(p.days, p.quantity) for p in parts] == [(31, M(31)), (28, M(28))]


def test_a_period_with_two_price_changes() -> None:
    # 01.01-31.03.2026 is 90 days: 31 + 28 + 31. 100 m³ exactly: 34.444, 31.111,
    # 34.444; floors 34 + 31 + 34 = 99; the leftover m³ goes to the largest
    # fraction, a tie between the first and third, so to the later: 34, 31, 35.
    prices = [PricePeriod(D(2025, 1, 1), D(2026, 1, 31), M("1")),
              PricePeriod(D(2026, 2, 1), D(2026, 2, 28), M("2")),
              PricePeriod(D(2026, 3, 1), None, M("3"))]
    parts = split_by_prices(D(2026, 1, 1), D(2026, 3, 31), M(100), prices)
    assert [p.quantity for p in parts] == [M(34), M(31), M(35)]


def test_a_negative_correction_is_split_like_a_use() -> None:
    parts = split_by_prices(D(2026, 3, 1), D(2026, 3, 30), M(-31), PRICES)
    assert [p.quantity for p in parts] == [M(-10), M(-21)]


def test_a_day_without_a_price_is_refused_by_name() -> None:
    prices = [PricePeriod(D(2026, 1, 1), D(2026, 1, 10), M("1.5")),
              PricePeriod(D(2026, 1, 15), None, M("1.8"))]
    with pytest.raises(BillingError, match=r"no price in force on 11\.01\.2026") as error:
        split_by_prices(D(2026, 1, 1), D(2026, 1, 31), M(10), prices)
    assert error.value.day == D(2026, 1, 11)
    with pytest.raises(BillingError, match=r"31\.12\.2025"):
        split_by_prices(D(2025, 12, 31), D(2026, 1, 5), M(10), prices)
    with pytest.raises(BillingError, match="no price"):
        split_by_prices(D(2026, 1, 1), D(2026, 1, 5), M(10), [])


def test_bad_periods_and_prices_are_refused() -> None:
    with pytest.raises(BillingError, match="before it starts"):
        split_by_prices(D(2026, 1, 2), D(2026, 1, 1), M(1), PRICES)
    with pytest.raises(BillingError, match="cannot end before"):
        PricePeriod(D(2026, 2, 1), D(2026, 1, 31), M(1))
    with pytest.raises(BillingError, match="negative"):
        PricePeriod(D(2026, 2, 1), None, M(-1))
    with pytest.raises(BillingError, match="two prices start"):
        price_on(D(2026, 1, 1), [PricePeriod(D(2026, 1, 1), None, M(1)),
                                 PricePeriod(D(2026, 1, 1), None, M(2))])
    with pytest.raises(BillingError, match="finite"):
        split_by_prices(D(2026, 3, 1), D(2026, 3, 2), M("NaN"), PRICES)


@st.composite
def _priced_periods(draw: st.DrawFn) -> tuple[D, D, Decimal, list[PricePeriod]]:
    first = draw(st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)))
    last = first + dt.timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    offsets = sorted(set(draw(st.lists(
        st.integers(min_value=1, max_value=(last - first).days + 30), max_size=5))))
    starts = [first - dt.timedelta(days=draw(st.integers(0, 30)))]
    starts += [first + dt.timedelta(days=offset) for offset in offsets]
    amounts = [M("1.20"), M("1.50"), M("2.0055")]
    prices = [PricePeriod(start, following - dt.timedelta(days=1) if following else None,
                          draw(st.sampled_from(amounts)))
              for start, following in zip(starts, [*starts[1:], None], strict=True)]
    places = draw(st.integers(min_value=0, max_value=3))
    quantity = draw(st.decimals(min_value=-1000, max_value=100000, places=places,
                                allow_nan=False, allow_infinity=False))
    return first, last, quantity, prices


@given(_priced_periods())
def test_split_parts_add_up_and_stay_within_a_unit(
        case: tuple[D, D, Decimal, list[PricePeriod]]) -> None:
    first, last, quantity, prices = case
    parts = split_by_prices(first, last, quantity, prices)
    assert sum(part.quantity for part in parts) == quantity
    assert parts[0].first == first
    assert parts[-1].last == last
    assert sum(part.days for part in parts) == (last - first).days + 1
    exponent = min(0, int(quantity.as_tuple().exponent))
    unit = Fraction(10) ** exponent
    total_days = (last - first).days + 1
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        assert part.days == (part.last - part.first).days + 1
        assert part.unit_price == price_on(part.first, prices) == price_on(part.last, prices)
        # Whole m³ stay whole: no part is finer than the quantity.
        assert int(part.quantity.as_tuple().exponent) >= exponent
        assert abs(Fraction(part.quantity) - Fraction(quantity) * part.days / total_days) < unit
        if following is not None:
            assert following.first == part.last + dt.timedelta(days=1)
            assert following.unit_price != part.unit_price


# --------------------------------------------------------------------------- whole m³


def test_whole_m3_carries_the_fraction() -> None:
    # KEE §41(1): 10.4 + 0.7 carried = 11.1 -> 11 billed, 0.1 carried.
    result = whole_m3(M("10.4"), M("0.7"))
    assert (result.billed, result.carry) == (11, M("0.1"))
    assert whole_m3(M("12.000"), M(0)) == whole_m3(M(12), M(0))
    result = whole_m3(M("0.999"), M(0))
    assert (result.billed, result.carry) == (0, M("0.999"))


def test_three_months_of_whole_m3() -> None:
    # 4.6, 5.7 and 3.9 m³: 4 (0.6), 6 (0.3), 4 (0.2): 14 m³ billed + 0.2 = 14.2.
    carry, billed = M(0), []
    for measured in (M("4.6"), M("5.7"), M("3.9")):
        quantity = whole_m3(measured, carry)
        billed.append(quantity.billed)
        carry = quantity.carry
    assert billed == [4, 6, 4]
    assert carry == M("0.2")


def test_a_negative_correction_bills_a_credit_and_keeps_the_carry_in_range() -> None:
    # -0.4 m³ (a reading corrected down): floor is -1 m³ billed, 0.6 carried.
    quantity = whole_m3(M("-0.4"), M(0))
    assert (quantity.billed, quantity.carry) == (-1, M("0.6"))
    quantity = whole_m3(M("-2.5"), M("0.7"))
    assert (quantity.billed, quantity.carry) == (-2, M("0.2"))


@pytest.mark.parametrize("carried", [M("-0.1"), M(1), M("1.5")])
def test_a_carry_outside_zero_to_one_is_refused(carried: Decimal) -> None:
    with pytest.raises(BillingError, match=r"\[0, 1\)"):
        whole_m3(M(5), carried)


@given(st.lists(st.decimals(min_value=-50, max_value=5000, places=3, allow_nan=False,
                            allow_infinity=False), max_size=40))
def test_whole_m3_loses_nothing_and_bills_nothing_twice(measured: list[Decimal]) -> None:
    carry, billed = M(0), 0
    for value in measured:
        quantity = whole_m3(value, carry)
        assert 0 <= quantity.carry < 1
        assert quantity.billed + quantity.carry == value + carry
        billed += quantity.billed
        carry = quantity.carry
    assert billed + carry == sum(measured, M(0))


def test_sewer_quantity_is_the_water_less_a_garden_sub_meter() -> None:
    # KEE §40(1).
    assert sewer_quantity(M("12.5")) == M("12.5")
    assert sewer_quantity(M("12.5"), M("4.2")) == M("8.3")
    with pytest.raises(BillingError, match="more than"):
        sewer_quantity(M("3"), M("4"))
    with pytest.raises(BillingError, match="negative"):
        sewer_quantity(M("3"), M("-1"))


# --------------------------------------------------------------------------- readings


def test_interpolate_to_the_end_of_a_period() -> None:
    # 100 on 15.03, 131 on 14.04 (30 days): the end of 31.03 is 16 days in, 100 +
    # 31 x 16/30 = 116.5333... -> 116.533.
    assert interpolate_to(D(2026, 3, 31), r("2026-03-15", "100"), r("2026-04-14", "131")
                          ) == M("116.533")
    # Half a litre rounds up: 0 to 0.001 over 2 days, the middle is 0.0005 -> 0.001.
    assert interpolate_to(D(2026, 1, 2), r("2026-01-01", "0"), r("2026-01-03", "0.001")
                          ) == M("0.001")
    # On a reading's day, the reading.
    assert interpolate_to(D(2026, 3, 15), r("2026-03-15", "100"), r("2026-04-14", "131")
                          ) == M("100.000")
    assert interpolate_to(D(2026, 3, 15), r("2026-03-15", "100"), r("2026-03-15", "100")
                          ) == M("100.000")


def test_interpolation_refuses_extrapolation_and_backwards_meters() -> None:
    before, after = r("2026-03-15", "100"), r("2026-04-14", "131")
    with pytest.raises(BillingError, match="no extrapolation"):
        interpolate_to(D(2026, 4, 15), before, after)
    with pytest.raises(BillingError, match="no extrapolation"):
        interpolate_to(D(2026, 3, 14), before, after)
    with pytest.raises(BillingError, match="is after"):
        interpolate_to(D(2026, 3, 31), after, before)
    with pytest.raises(BillingError, match="backwards"):
        interpolate_to(D(2026, 3, 31), r("2026-03-15", "100"), r("2026-04-14", "99"))


def test_average_daily_use_over_twelve_months() -> None:
    # The window ending 31.03.2026 starts at the end of 31.03.2025: the reading of
    # 30.03.2025 is outside it. 10.04.2025 to 20.03.2026 is 344 days, 172 m³: 0.5.
    readings = [r("2025-03-30", "0"), r("2025-04-10", "28"), r("2025-10-01", "100"),
                r("2026-03-20", "200"), r("2026-04-05", "300")]
    assert average_daily_use(readings, D(2026, 3, 31)) == M("0.5")
    assert average_daily_use(readings, D(2026, 3, 31), months=6) == M("100") / M(170)
    assert average_daily_use(readings[:1], D(2026, 3, 31)) is None
    assert average_daily_use([r("2026-03-20", "200")] * 2, D(2026, 3, 31)) is None
    assert average_daily_use([], D(2026, 3, 31)) is None


def test_average_daily_use_refuses_bad_readings() -> None:
    with pytest.raises(BillingError, match="differ"):
        average_daily_use([r("2026-03-20", "200"), r("2026-03-20", "201")], D(2026, 3, 31))
    with pytest.raises(BillingError, match="backwards"):
        average_daily_use([r("2026-03-20", "200"), r("2026-03-25", "199")], D(2026, 3, 31))
    with pytest.raises(BillingError, match="months"):
        average_daily_use([], D(2026, 3, 31), months=0)


def test_estimate_use_from_the_average() -> None:
    # 31 days at 0.3456 m³ a day: 10.7136 -> 10.714.
    assert estimate_use(31, M("0.3456")) == M("10.714")
    assert estimate_use(0, M("0.3456")) == M("0.000")
    assert estimate_use(30, M(1) / M(3)) == M("10.000")
    with pytest.raises(BillingError, match="negative"):
        estimate_use(-1, M(1))
    with pytest.raises(BillingError, match="negative"):
        estimate_use(1, M(-1))


@pytest.mark.parametrize(("found_on", "first", "last"), [
    (D(2026, 5, 15), D(2026, 2, 1), D(2026, 4, 30)),
    (D(2026, 5, 1), D(2026, 2, 1), D(2026, 4, 30)),
    (D(2026, 5, 31), D(2026, 2, 1), D(2026, 4, 30)),
    (D(2026, 1, 10), D(2025, 10, 1), D(2025, 12, 31)),
    (D(2026, 3, 31), D(2025, 12, 1), D(2026, 2, 28)),
])
def test_the_failed_meter_window_is_the_three_calendar_months_before_the_month(
        found_on: D, first: D, last: D) -> None:
    # KEE §38(1): the average applies from the month the failure was found ("rikke
    # tuvastamise kalendrikuu kohta"), so it is taken over the three whole months before.
    assert failed_meter_window(found_on) == (first, last)


def test_failed_meter_use() -> None:
    # Found 15.05.2026: the window runs from the end of 31.01 to the end of 30.04 (89
    # days). Readings 20.01 (100), 10.02 (121), 15.04 (186), 10.05 (211): the end of
    # 31.01 is 11 of 21 days from 20.01 to 10.02 -> 111; the end of 30.04 is 15 of 25
    # days from 15.04 to 10.05 -> 201. 90 m³ / 89 days; 31 days -> 31.348 m³.
    readings = [r("2026-01-20", "100"), r("2026-02-10", "121"), r("2026-04-15", "186"),
                r("2026-05-10", "211")]
    assert failed_meter_daily_use(readings, D(2026, 5, 15)) == M(90) / M(89)
    assert failed_meter_use(readings, D(2026, 5, 15), 31) == M("31.348")
    assert failed_meter_use(readings, D(2026, 5, 15), 0) == M("0.000")


def test_failed_meter_use_shrinks_to_the_readings_inside_the_window() -> None:
    # The meter was installed in March: 01.03 (0) to 30.04 (61), 60 days -> 1.0 a day.
    readings = [r("2026-03-01", "0"), r("2026-04-30", "60")]
    assert failed_meter_daily_use(readings, D(2026, 5, 15)) == M(1)
    with pytest.raises(BillingError, match=r"KEE §38\(1\)"):
        failed_meter_use([r("2026-04-30", "60")], D(2026, 5, 15), 31)
    with pytest.raises(BillingError, match=r"KEE §38\(1\)"):
        failed_meter_use([r("2026-05-02", "60"), r("2026-05-10", "70")], D(2026, 5, 15), 31)
    with pytest.raises(BillingError, match="negative"):
        failed_meter_use(readings, D(2026, 5, 15), -1)


def test_residents_use_without_a_meter() -> None:
    # KEE §42: 3 residents at 2.5 m³ a month each; 15 days of a 30-day month: 3.750.
    assert residents_use(3, M("2.5"), 15, 30) == M("3.750")
    assert residents_use(3, M("2.5"), 31, 31) == M("7.500")
    # 1 resident, 3 m³, 10 of 31 days: 0.967741... -> 0.968.
    assert residents_use(1, M(3), 10, 31) == M("0.968")
    assert residents_use(0, M(3), 10, 31) == M("0.000")
    # 10.02-15.03.2026: 19 of 28 days + 15 of 31 days at 2 x 3 m³: 4.071428... +
    # 2.903225... = 6.974654... -> 6.975, rounded once.
    assert residents_use_between(2, M(3), D(2026, 2, 10), D(2026, 3, 15)) == M("6.975")
    assert residents_use_between(2, M(3), D(2026, 1, 1), D(2026, 12, 31)) == M("72.000")


@pytest.mark.parametrize(("residents", "norm", "days", "month", "message"), [
    (-1, M(3), 10, 30, "residents: must not be negative"),
    (True, M(3), 10, 30, "residents: expected a whole number"),
    (2, M(-3), 10, 30, "per_resident_monthly: must not be negative"),
    (2, M(3), 31, 30, "days: at most"),
    (2, M(3), -1, 30, "days: must not be negative"),
    (2, M(3), 10, 27, "days_in_month"),
])
def test_bad_resident_figures_are_refused(residents: int, norm: Decimal, days: int,
                                          month: int, message: str) -> None:
    with pytest.raises(BillingError, match=message):
        residents_use(residents, norm, days, month)


def test_residents_use_between_refuses_a_backwards_period() -> None:
    with pytest.raises(BillingError, match="before it starts"):
        residents_use_between(2, M(3), D(2026, 2, 10), D(2026, 2, 9))
    with pytest.raises(BillingError, match="residents"):
        residents_use_between(-2, M(3), D(2026, 2, 10), D(2026, 2, 19))


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(("value", "cents"), [
    ("2.345", "2.35"), ("2.344999", "2.34"), ("-2.345", "-2.35"), ("0.005", "0.01"),
    ("0.004", "0.00"), ("-0.004", "0.00"), ("10", "10.00"), ("1E+3", "1000.00"),
])
def test_round_cents_half_up(value: str, cents: str) -> None:
    result = round_cents(M(value))
    assert result == M(cents)
    assert str(result) == cents


def test_a_lines_net_is_rounded_to_the_cent() -> None:
    # 12 m³ x 1.4567 = 17.4804 -> 17.48; 3 x 0.125 = 0.375 -> 0.38.
    assert InvoiceLine("water", M(12), "m3", M("1.4567"), M(24)).net == M("17.48")
    assert InvoiceLine("fee", M(3), "month", M("0.125"), M(24)).net == M("0.38")
    assert InvoiceLine("credit", M(-3), "m3", M("0.125"), M(24)).net == M("-0.38")


@pytest.mark.parametrize("rate", [M(-1), M(101), M("NaN")])
def test_a_vat_rate_outside_a_percentage_is_refused(rate: Decimal) -> None:
    with pytest.raises(BillingError, match="vat_rate"):
        InvoiceLine("water", M(1), "m3", M(1), rate)


def test_an_invoice_line_needs_its_key_and_unit() -> None:
    with pytest.raises(BillingError, match="description_key"):
        InvoiceLine(" ", M(1), "m3", M(1), M(24))
    with pytest.raises(BillingError, match="unit"):
        InvoiceLine("water", M(1), "", M(1), M(24))


def test_vat_per_rate_on_the_sum_of_the_nets() -> None:
    # Three lines of 1 x 0.10 at 24 %: VAT line by line would be 3 x 0.02 (0.024
    # rounded) = 0.06; on the sum, 0.30 x 24 % = 0.072 -> 0.07 (EN 16931 BR-CO-17).
    lines = [InvoiceLine(f"line{i}", M(1), "pcs", M("0.10"), M(24)) for i in range(3)]
    totals = invoice_totals(lines, M(0))
    assert (totals.net, totals.vat, totals.gross) == (M("0.30"), M("0.07"), M("0.37"))


def test_an_invoice_of_water_sewer_and_a_fixed_fee() -> None:
    # Water 10 m³ x 1.4567 = 14.567 -> 14.57; sewer 10 x 2.0011 = 20.011 -> 20.01;
    # fee 1 x 3.333 -> 3.33 at "24.0" (the same rate written otherwise); a 0 % line
    # 5.00. Nets 42.91; VAT 24 % of 37.91 = 9.0984 -> 9.10, 0 % of 5.00 = 0; gross
    # 52.01. A prepayment of 50.00 (a garden-water rebate) pays 50.00: 2.01 payable.
    lines = [InvoiceLine("water", M(10), "m3", M("1.4567"), M(24)),
             InvoiceLine("sewer", M(10), "m3", M("2.0011"), M(24)),
             InvoiceLine("fee", M(1), "month", M("3.333"), M("24.0")),
             InvoiceLine("exempt", M(1), "pcs", M(5), M(0))]
    totals = invoice_totals(lines, M("50.00"))
    assert totals.net == M("42.91")
    assert totals.vat == M("9.10")
    assert totals.gross == M("52.01")
    assert totals.prepayment_applied == M("50.00")
    assert totals.payable == M("2.01")
    assert totals.prepayment_left == M("0.00")
    assert [(s.rate, s.taxable, s.vat) for s in totals.vat_subtotals] == [
        (M(0), M("5.00"), M("0.00")), (M(24), M("37.91"), M("9.10"))]


def test_a_prepayment_larger_than_the_invoice_is_carried() -> None:
    # Gross 12.40 (10.00 + 24 %); a prepayment of 30.00 pays it and 17.60 is left.
    totals = invoice_totals([InvoiceLine("water", M(10), "m3", M(1), M(24))], M(30))
    assert (totals.gross, totals.prepayment_applied, totals.payable, totals.prepayment_left
            ) == (M("12.40"), M("12.40"), M("0.00"), M("17.60"))


def test_a_credit_invoice_uses_no_prepayment() -> None:
    totals = invoice_totals([InvoiceLine("correction", M(-10), "m3", M(1), M(24))], M(5))
    assert (totals.gross, totals.prepayment_applied, totals.payable, totals.prepayment_left
            ) == (M("-12.40"), M("0.00"), M("-12.40"), M("5.00"))


def test_an_empty_invoice() -> None:
    totals = invoice_totals([], M(0))
    assert (totals.net, totals.vat, totals.gross, totals.payable) == (M(0),) * 4
    assert totals.vat_subtotals == ()


@pytest.mark.parametrize("prepayment", [M(-1), M("1.005"), M("Infinity")])
def test_bad_prepayments_are_refused(prepayment: Decimal) -> None:
    with pytest.raises(BillingError, match="prepayments"):
        invoice_totals([], prepayment)


_lines = st.builds(
    InvoiceLine,
    description_key=st.just("water"),
    quantity=st.decimals(min_value=0, max_value=10000, places=3, allow_nan=False,
                         allow_infinity=False),
    unit=st.just("m3"),
    unit_price=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False,
                           allow_infinity=False),
    vat_rate=st.sampled_from([M(0), M(9), M(22), M(24)]),
)
_money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False,
                     allow_infinity=False)


@given(st.lists(_lines, max_size=8), _money)
def test_totals_add_up(lines: list[InvoiceLine], prepayment: Decimal) -> None:
    totals = invoice_totals(lines, prepayment)
    assert totals.gross == totals.net + totals.vat
    assert totals.payable >= 0
    assert totals.payable + totals.prepayment_applied == totals.gross
    assert totals.prepayment_applied + totals.prepayment_left == prepayment
    assert 0 <= totals.prepayment_applied <= prepayment
    assert totals.net == sum((line.net for line in lines), M(0))
    assert totals.vat == sum((s.vat for s in totals.vat_subtotals), M(0))
    for subtotal in totals.vat_subtotals:
        assert subtotal.vat == round_cents(subtotal.taxable * subtotal.rate / 100)
    for value in (totals.net, totals.vat, totals.gross, totals.payable,
                  totals.prepayment_applied, totals.prepayment_left):
        assert value == round_cents(value)


# --------------------------------------------------------------------------- late interest


def test_the_cap_is_read_from_the_regulation() -> None:
    assert percentage("late_interest_cap", D(2026, 1, 1)) == M("0.15")
    assert percentage("late_interest_cap", D(2012, 8, 1)) == M("0.15")


def test_late_interest_counts_the_payment_day_not_the_due_day() -> None:
    # Due 10.03.2026, the money arrives 11.03: one day late. 100.00 x 0.15 % = 0.15.
    assert late_days(D(2026, 3, 10), D(2026, 3, 11), D(2026, 4, 30)) == 1
    assert late_interest(M(100), D(2026, 3, 10), D(2026, 3, 11), D(2026, 4, 30),
                         M("0.15"), CAP) == M("0.15")
    # Paid on the due day or before: nothing.
    assert late_interest(M(100), D(2026, 3, 10), D(2026, 3, 10), D(2026, 4, 30),
                         M("0.15"), CAP) == M("0.00")
    assert late_interest(M(100), D(2026, 3, 10), D(2026, 3, 1), D(2026, 4, 30),
                         M("0.15"), CAP) == M("0.00")


def test_late_interest_on_an_invoice_still_unpaid() -> None:
    # Due 10.03.2026, unpaid on 09.04 (the next invoice): 30 days. 84.37 x 0.1 % x 30
    # = 2.5311 -> 2.53. At the cap, 0.15 %: 3.79665 -> 3.80.
    assert late_days(D(2026, 3, 10), None, D(2026, 4, 9)) == 30
    assert late_interest(M("84.37"), D(2026, 3, 10), None, D(2026, 4, 9), M("0.1"), CAP
                         ) == M("2.53")
    assert late_interest(M("84.37"), D(2026, 3, 10), None, D(2026, 4, 9), CAP, CAP
                         ) == M("3.80")
    # Paid after the day it is reckoned to: only the days up to that day are known.
    assert late_interest(M("84.37"), D(2026, 3, 10), D(2026, 5, 1), D(2026, 4, 9),
                         M("0.1"), CAP) == M("2.53")
    # Reckoned to a day before the due date: nothing yet.
    assert late_interest(M("84.37"), D(2026, 3, 10), None, D(2026, 3, 1), M("0.1"), CAP
                         ) == M("0.00")


def test_no_late_interest_without_the_invoice_or_on_a_wrong_one() -> None:
    # KEE §41(3) second sentence.
    args = (M(100), D(2026, 3, 10), None, D(2026, 4, 9), M("0.1"), CAP)
    assert late_interest(*args) == M("3.00")
    assert late_interest(*args, received_in_time=False) == M("0.00")
    assert late_interest(*args, invoice_correct=False) == M("0.00")


def test_a_rate_above_the_cap_is_refused() -> None:
    with pytest.raises(BillingError, match=r"KEE §41\(3\).*0\.16 % a day.*0\.15"):
        late_interest(M(100), D(2026, 3, 10), None, D(2026, 4, 9), M("0.16"), CAP)
    # Even where no interest would be due: the setting itself is wrong.
    with pytest.raises(BillingError, match="above the cap"):
        late_interest(M(100), D(2026, 3, 10), None, D(2026, 4, 9), M("0.16"), CAP,
                      invoice_correct=False)
    with pytest.raises(BillingError, match="negative"):
        late_interest(M(100), D(2026, 3, 10), None, D(2026, 4, 9), M("-0.01"), CAP)
    with pytest.raises(BillingError, match="unpaid"):
        late_interest(M(-100), D(2026, 3, 10), None, D(2026, 4, 9), M("0.1"), CAP)


_rates = st.decimals(min_value=0, max_value=M("0.15"), places=4, allow_nan=False,
                     allow_infinity=False)
_unpaid = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False,
                      allow_infinity=False)
_due = st.dates(min_value=D(2013, 1, 1), max_value=D(2030, 12, 31))


@given(_unpaid, _due, st.integers(0, 800), st.integers(0, 800), _rates)
def test_late_interest_grows_with_the_days(unpaid: Decimal, due_date: D, days: int,
                                           more: int, rate: Decimal) -> None:
    early = late_interest(unpaid, due_date, None, due_date + dt.timedelta(days=days), rate, CAP)
    late = late_interest(unpaid, due_date, None, due_date + dt.timedelta(days=days + more),
                         rate, CAP)
    assert M(0) <= early <= late
    assert early == round_cents(unpaid * rate / 100 * days)


@given(_unpaid, _due, st.integers(0, 800), _rates, _rates)
def test_late_interest_grows_with_the_rate(unpaid: Decimal, due_date: D, days: int,
                                           rate: Decimal, other: Decimal) -> None:
    low, high = sorted((rate, other))
    until = due_date + dt.timedelta(days=days)
    assert (late_interest(unpaid, due_date, None, until, low, CAP)
            <= late_interest(unpaid, due_date, None, until, high, CAP))


@given(_unpaid, _due, st.integers(0, 800), st.integers(0, 800), _rates)
def test_no_late_interest_when_paid_by_the_due_date(unpaid: Decimal, due_date: D, early: int,
                                                    later: int, rate: Decimal) -> None:
    paid_on = due_date - dt.timedelta(days=early)
    until = due_date + dt.timedelta(days=later)
    assert late_interest(unpaid, due_date, paid_on, until, rate, CAP) == 0


# --------------------------------------------------------------------------- deadlines


def test_the_claim_and_warning_deadlines_of_kee_43() -> None:
    # KEE §43(1): 10 working days from the day after 18.12.2026 skip 24-26.12, 1.1 and
    # the weekends: 06.01.2027, for the claim and for the answer alike.
    assert claim_until(D(2026, 12, 18)) == D(2027, 1, 6)
    assert claim_answer_until(D(2026, 12, 18)) == D(2027, 1, 6)
    # An ordinary fortnight: received Monday 02.03.2026, ten working days end Monday 16.03.
    assert claim_until(D(2026, 3, 2)) == D(2026, 3, 16)
    # KEE §43(2): due 22.12.2026, the fifth working day after is 31.12; the warning
    # may go once it has passed, from 01.01.2027.
    assert closure_warning_from(D(2026, 12, 22)) == D(2027, 1, 1)
    # Due Friday 06.03.2026: the fifth working day is Friday 13.03; from Saturday 14.03.
    assert closure_warning_from(D(2026, 3, 6)) == D(2026, 3, 14)
