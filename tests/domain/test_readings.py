"""The rules of a meter reading (ITB 1), each on its own, with no app or database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.readings import (
    InvalidValue,
    Limits,
    MeterState,
    PastReading,
    Problem,
    ReadingWarning,
    ValueProblem,
    average_daily_use,
    check_reading,
    month_starts,
    monthly_use,
    needs_verification,
    parse_reading_value,
    value_at,
)

TODAY = dt.date(2026, 11, 30)
LAST = PastReading(dt.date(2026, 10, 31), Decimal("100.000"))


def meter(**changes: object) -> MeterState:
    values: dict[str, object] = {
        "active": True,
        "installed_on": dt.date(2020, 1, 1),
        "needs_verification": False,
        "verified_until": None,
        "last": LAST,
        "previous": PastReading(dt.date(2026, 9, 30), Decimal("90.000")),
        "average_daily_use": Decimal("0.300"),
    }
    values.update(changes)
    return MeterState(**values)  # type: ignore[arg-type]


def codes(findings: tuple[object, ...]) -> set[object]:
    return {finding.code for finding in findings}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123", "123.000"),
        ("123,5", "123.500"),
        ("123.5", "123.500"),
        (" 1 234,567 ", "1234.567"),
        ("0", "0.000"),
        (",5", "0.500"),
        ("12,", "12.000"),
        ("+7", "7.000"),
        ("-0", "0.000"),
    ],
)
def test_a_number_with_a_comma_or_a_point_is_a_reading(text: str, expected: str) -> None:
    assert parse_reading_value(text) == Decimal(expected)
    assert str(parse_reading_value(text)) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ValueProblem.EMPTY),
        ("   ", ValueProblem.EMPTY),
        ("abc", ValueProblem.NOT_A_NUMBER),
        ("1e309", ValueProblem.NOT_A_NUMBER),
        ("NaN", ValueProblem.NOT_A_NUMBER),
        ("Infinity", ValueProblem.NOT_A_NUMBER),
        ("١٢٣", ValueProblem.NOT_A_NUMBER),  # Arabic-Indic digits
        ("１２３", ValueProblem.NOT_A_NUMBER),  # full-width digits
        ("1,2,3", ValueProblem.NOT_A_NUMBER),
        ("1.2.3", ValueProblem.NOT_A_NUMBER),
        ("9" * 5000, ValueProblem.TOO_LARGE),
        ("x" * 5000, ValueProblem.NOT_A_NUMBER),
        ("-5", ValueProblem.NEGATIVE),
        ("\u22125", ValueProblem.NEGATIVE),
        ("1,2345", ValueProblem.TOO_MANY_DECIMALS),
        ("1000000000", ValueProblem.TOO_LARGE),
    ],
)
def test_anything_else_is_refused_with_its_reason(text: str, problem: ValueProblem) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_reading_value(text)
    assert raised.value.problem is problem


def test_trailing_zeros_beyond_three_decimals_are_harmless() -> None:
    assert parse_reading_value("1,50000") == Decimal("1.5")


@given(st.text(max_size=60))
def test_any_text_is_a_reading_or_refused_never_a_crash(text: str) -> None:
    try:
        value = parse_reading_value(text)
    except InvalidValue:
        return
    assert Decimal(0) <= value <= Decimal("999999999.999")
    assert value == value.quantize(Decimal("0.001"))


@given(st.decimals(min_value=0, max_value=Decimal("999999999.999"), places=3))
def test_every_valid_reading_reads_back_the_same(value: Decimal) -> None:
    assert parse_reading_value(str(value).replace(".", ",")) == value


# --------------------------------------------------------------------------- errors


def test_a_reading_below_the_last_accepted_one_is_an_error() -> None:
    check = check_reading(meter(), Decimal("99.999"), TODAY, TODAY)
    assert codes(check.errors) == {Problem.BELOW_LAST}
    assert check.errors[0].params == {"value": LAST.value, "day": LAST.day}
    assert not check.accepted


def test_the_same_value_as_the_last_one_is_allowed_no_use() -> None:
    check = check_reading(meter(), LAST.value, TODAY, TODAY)
    assert check.accepted and not check.warnings


def test_a_date_in_the_future_is_an_error() -> None:
    check = check_reading(meter(), Decimal(101), TODAY + dt.timedelta(days=1), TODAY)
    assert codes(check.errors) == {Problem.DATE_IN_FUTURE}


def test_a_date_before_the_last_reading_is_an_error() -> None:
    check = check_reading(meter(), Decimal(101), LAST.day - dt.timedelta(days=1), TODAY)
    assert codes(check.errors) == {Problem.DATE_BEFORE_LAST}


def test_a_date_before_the_meter_was_installed_is_an_error() -> None:
    check = check_reading(meter(last=None, previous=None, installed_on=TODAY), Decimal(1),
                          TODAY - dt.timedelta(days=1), TODAY)
    assert codes(check.errors) == {Problem.DATE_BEFORE_INSTALLATION}


def test_a_removed_meter_takes_no_reading() -> None:
    check = check_reading(meter(active=False), Decimal(101), TODAY, TODAY)
    assert codes(check.errors) == {Problem.METER_REMOVED}


def test_a_meter_that_needs_verification_takes_no_reading_once_it_expired() -> None:
    expired = meter(needs_verification=True, verified_until=TODAY - dt.timedelta(days=1))
    check = check_reading(expired, Decimal(101), TODAY, TODAY)
    assert codes(check.errors) == {Problem.VERIFICATION_EXPIRED}
    valid = meter(needs_verification=True, verified_until=TODAY)
    assert check_reading(valid, Decimal(101), TODAY, TODAY).accepted
    never = meter(needs_verification=True, verified_until=None)
    assert codes(check_reading(never, Decimal(101), TODAY, TODAY).errors) == {
        Problem.VERIFICATION_EXPIRED
    }


def test_only_garden_sub_meters_need_a_valid_verification() -> None:
    assert needs_verification("garden_sub_meter")
    assert not needs_verification("cold_water")
    assert not needs_verification("smart")


def test_an_expired_verification_on_a_main_meter_does_not_block_the_reading() -> None:
    stale = meter(verified_until=TODAY - dt.timedelta(days=400))
    assert check_reading(stale, Decimal(101), TODAY, TODAY).accepted


def test_every_broken_rule_is_reported_not_only_the_first() -> None:
    check = check_reading(meter(active=False), Decimal(1), TODAY + dt.timedelta(days=2), TODAY)
    assert codes(check.errors) == {Problem.METER_REMOVED, Problem.DATE_IN_FUTURE,
                                   Problem.BELOW_LAST}


def test_the_first_reading_of_a_meter_has_nothing_to_compare_with() -> None:
    check = check_reading(meter(last=None, previous=None, average_daily_use=None),
                          Decimal(5), TODAY, TODAY)
    assert check.accepted and not check.warnings and not check.replaces_same_day


# --------------------------------------------------------------------------- same day


def test_a_second_reading_of_the_same_day_replaces_the_first() -> None:
    check = check_reading(meter(), Decimal("95.000"), LAST.day, TODAY)
    assert check.accepted
    assert check.replaces_same_day


def test_a_replacement_is_compared_with_the_reading_before_the_replaced_one() -> None:
    check = check_reading(meter(), Decimal("89.000"), LAST.day, TODAY)
    assert codes(check.errors) == {Problem.BELOW_LAST}
    assert check.errors[0].params["value"] == Decimal("90.000")


# --------------------------------------------------------------------------- warnings


def test_use_over_three_times_the_average_is_a_warning() -> None:
    # 30 days at 0.3 m³ a day: 9 m³ expected; more than 27 m³ warns.
    assert not check_reading(meter(), Decimal("127.000"), TODAY, TODAY).warnings
    check = check_reading(meter(), Decimal("127.001"), TODAY, TODAY)
    assert codes(check.warnings) == {ReadingWarning.UNUSUALLY_HIGH}
    assert check.accepted
    assert check.needs_confirmation(confirmed=False)
    assert not check.needs_confirmation(confirmed=True)
    assert check.warnings[0].params["expected"] == Decimal("9.000")


def test_the_warning_factor_is_the_utilitys_setting() -> None:
    check = check_reading(meter(), Decimal("119.000"), TODAY, TODAY,
                          Limits(warning_factor=Decimal(2)))
    assert codes(check.warnings) == {ReadingWarning.UNUSUALLY_HIGH}


def test_use_over_the_daily_ceiling_is_a_warning() -> None:
    limits = Limits(daily_ceiling=Decimal("0.5"))
    assert not check_reading(meter(average_daily_use=None), Decimal("115.000"), TODAY, TODAY,
                             limits).warnings
    check = check_reading(meter(average_daily_use=None), Decimal("115.001"), TODAY, TODAY, limits)
    assert codes(check.warnings) == {ReadingWarning.ABOVE_DAILY_CEILING}


def test_a_meter_with_no_use_so_far_does_not_warn_on_its_first_use() -> None:
    check = check_reading(meter(average_daily_use=Decimal(0)), Decimal("101"), TODAY, TODAY)
    assert not check.warnings


def test_a_reading_with_errors_has_no_warnings_to_confirm() -> None:
    check = check_reading(meter(active=False), Decimal("900"), TODAY, TODAY)
    assert not check.warnings
    assert not check.needs_confirmation(confirmed=False)


# --------------------------------------------------------------------------- average


def test_the_average_is_taken_over_the_last_twelve_months() -> None:
    readings = [
        PastReading(dt.date(2024, 1, 1), Decimal(0)),  # older than 12 months: left out
        PastReading(dt.date(2025, 11, 30), Decimal(500)),
        PastReading(dt.date(2026, 11, 30), Decimal(865)),
    ]
    assert average_daily_use(readings) == Decimal(1)


def test_a_shorter_history_is_used_whole() -> None:
    readings = [PastReading(dt.date(2026, 11, 20), Decimal(10)),
                PastReading(dt.date(2026, 11, 30), Decimal(15))]
    assert average_daily_use(readings) == Decimal("0.5")


@pytest.mark.parametrize(
    "readings",
    [[], [PastReading(TODAY, Decimal(1))],
     [PastReading(TODAY, Decimal(1)), PastReading(TODAY, Decimal(2))]],
)
def test_no_average_without_two_readings_on_different_days(readings: list[PastReading]) -> None:
    assert average_daily_use(readings) is None


# --------------------------------------------------------------------------- monthly use


def test_month_starts_run_back_across_the_year() -> None:
    assert month_starts(dt.date(2026, 2, 14), 3) == [
        dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]


def test_monthly_use_from_month_end_readings() -> None:
    readings = [PastReading(dt.date(2026, 8, 31), Decimal(100)),
                PastReading(dt.date(2026, 9, 30), Decimal(103)),
                PastReading(dt.date(2026, 10, 31), Decimal("107.5"))]
    assert monthly_use(readings, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]) == [
        Decimal("3.000"), Decimal("4.500")]


def test_a_month_edge_between_readings_is_interpolated() -> None:
    readings = [PastReading(dt.date(2026, 9, 15), Decimal(100)),
                PastReading(dt.date(2026, 10, 15), Decimal(130))]
    # 30 days, 1 m³ a day: September 30 stands at 115.
    assert value_at(readings, dt.date(2026, 9, 30)) == Decimal(115)


def test_a_month_outside_the_readings_is_unknown_not_extrapolated() -> None:
    readings = [PastReading(dt.date(2026, 9, 30), Decimal(100)),
                PastReading(dt.date(2026, 10, 31), Decimal(110))]
    assert monthly_use(readings, [dt.date(2026, 9, 1), dt.date(2026, 11, 1)]) == [None, None]
