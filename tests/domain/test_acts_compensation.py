"""Compensation under the acts of KEE §24-§29: worked examples checked by hand, month
ends and leap years for the default duration of §25(2), None prices, bad input, and
properties of the whole-m³ estimate."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.acts_compensation import (
    PROHIBITED_CLOSURE,
    ActsError,
    Compensation,
    CompensationLine,
    Duration,
    ProhibitedCase,
    ProhibitedClosure,
    UnauthorisedUseCase,
    connection_duration,
    estimated_volume,
    prohibited_connection_compensation,
    unauthorised_connection_compensation,
    unauthorised_use_compensation,
    whole_m3_estimate,
)
from webapp.domain.deadlines import DEADLINES_DIR, load_deadlines, months_after

D = dt.date
M = Decimal


def _lines(compensation: Compensation) -> dict[str, CompensationLine]:
    return {line.key: line for line in compensation.lines}


# --------------------------------------------------------------------------- whole m³


@pytest.mark.parametrize(("volume", "whole"), [
    ("0", 0),
    ("0.49", 0),
    ("0.5", 1),  # half up, not to even (banker's rounding would give 0)
    ("2.5", 3),  # banker's rounding would give 2
    ("144.49", 144),
    ("144.5", 145),
    ("144.8", 145),
    ("1000.000", 1000),
])
def test_whole_m3_estimate_rounds_half_up(volume: str, whole: int) -> None:
    assert whole_m3_estimate(M(volume)) == whole


@pytest.mark.parametrize("volume", [M("-0.1"), M("NaN"), M("Infinity")])
def test_whole_m3_estimate_refuses_bad_volumes(volume: Decimal) -> None:
    with pytest.raises(ActsError):
        whole_m3_estimate(volume)


# --------------------------------------------------------------------------- §25(2)


def test_default_duration_is_six_months_before_the_finding() -> None:
    # Found 15.03.2026, start not proved: 15.09.2025. Days: Sep 15->Oct 15 30,
    # ->Nov 15 31, ->Dec 15 30, ->Jan 15 31, ->Feb 15 31, ->Mar 15 28 = 181.
    duration = connection_duration(None, D(2026, 3, 15))
    assert duration == Duration(D(2025, 9, 15), D(2026, 3, 15), 181, False, "KEE §25(2)")


@pytest.mark.parametrize(("found", "start", "days"), [
    # 31.08 minus six months: February has no 31st, so its last day (TsÜS §136(3)).
    # 28.02.2026 -> 31.03 is 31 days, then Apr..Aug 30+31+30+31+31 = 153: 184.
    (D(2026, 8, 31), D(2026, 2, 28), 184),
    # Leap year: 29.02.2024 -> 31.03.2024 is again 31 days, + 153 = 184.
    (D(2024, 8, 31), D(2024, 2, 29), 184),
    # 30.08.2026 -> 28.02.2026 too (no 30th): one day less, 183.
    (D(2026, 8, 30), D(2026, 2, 28), 183),
    # 31.03 minus six months: 30.09 (September has 30 days); Oct..Mar 31 + 30 + 31 +
    # 31 + 28 + 31 = 182 days.
    (D(2026, 3, 31), D(2025, 9, 30), 182),
    # Across a year: 01.01.2026 -> 01.07.2025: Jul..Dec 31+31+30+31+30+31 = 184.
    (D(2026, 1, 1), D(2025, 7, 1), 184),
])
def test_default_duration_at_month_ends(found: D, start: D, days: int) -> None:
    duration = connection_duration(None, found)
    assert (duration.start, duration.end, duration.days) == (start, found, days)
    assert not duration.proven


def test_a_proven_start_counts_from_when_the_connection_was_made() -> None:
    # 01.01.2026 -> 15.03.2026: 31 (Jan) + 28 (Feb) + 14 = 73 days.
    duration = connection_duration(D(2026, 1, 1), D(2026, 3, 15))
    assert duration == Duration(D(2026, 1, 1), D(2026, 3, 15), 73, True, "KEE §25(2)")
    # A proven start older than six months still counts in full: 400 days.
    long = connection_duration(D(2025, 2, 8), D(2026, 3, 15))
    assert long.days == 400
    assert connection_duration(D(2026, 3, 15), D(2026, 3, 15)).days == 0


def test_a_connection_made_after_it_was_found_is_refused() -> None:
    with pytest.raises(ActsError, match=r"made on 16\.03\.2026, after it was found"):
        connection_duration(D(2026, 3, 16), D(2026, 3, 15))


def test_a_finding_no_deadline_set_governs_is_an_acts_error() -> None:
    with pytest.raises(ActsError, match=r"does not govern|no deadline set"):
        connection_duration(None, D(2010, 1, 1))


def test_the_default_duration_comes_from_the_deadline_set(tmp_path: Path) -> None:
    # A set where §25(2) says 3 months: the code must follow the data, not a literal 6.
    path = tmp_path / "KEE-2012.toml"
    shutil.copy(DEADLINES_DIR / "KEE-2012.toml", path)
    text = path.read_text(encoding="utf-8")
    old = "[deadlines.unauthorised_connection_default_duration]\nmonths = 6"
    assert old in text
    path.write_text(text.replace(old, old[:-1] + "3"), encoding="utf-8")
    deadlines = load_deadlines("KEE-2012", tmp_path)
    duration = connection_duration(None, D(2026, 3, 15), deadlines)
    assert duration.start == D(2025, 12, 15)
    assert duration.days == 90  # 16 + 31 + 28 + 15


def test_a_duration_must_be_consistent() -> None:
    with pytest.raises(ActsError, match="has 2 days, not 3"):
        Duration(D(2026, 1, 1), D(2026, 1, 3), 3, True, "KEE §27(1)")
    with pytest.raises(ActsError, match="before it starts"):
        Duration(D(2026, 1, 3), D(2026, 1, 1), -2, True, "KEE §27(1)")
    between = Duration.between(D(2024, 2, 28), D(2024, 3, 1), clause="KEE §27(1)")
    assert between.days == 2  # 28.02 -> 29.02 -> 01.03 in a leap year
    assert between.proven


# --------------------------------------------------------------------------- §25(1) p 2


def test_unauthorised_connection_worked_example() -> None:
    # 181 days x 0.8 m³ = 144.8 -> 145 m³ (§41(1), half up).
    # Water 145 x 1.50 = 217.50; sewer 145 x 2.00 = 290.00; closing 45.00;
    # damage 120.40. Total 217.50 + 290.00 + 45.00 + 120.40 = 672.90.
    duration = connection_duration(None, D(2026, 3, 15))
    result = unauthorised_connection_compensation(
        duration, M("0.8"), M("1.50"), M("2.00"), M("45.00"), M("120.40"))
    assert result.volume_m3 == 145
    assert result.duration is duration
    assert result.daily_m3 == M("0.8")
    lines = _lines(result)
    assert list(lines) == ["water", "sewer", "closing", "damage"]
    assert lines["water"] == CompensationLine(
        "water", 145, M("1.50"), M("217.50"), "KEE §25(1) p 2; §25(2); §41(1)")
    assert lines["sewer"].amount == M("290.00")
    assert lines["closing"] == CompensationLine(
        "closing", 1, M("45.00"), M("45.00"), "KEE §25(1) p 2")
    assert lines["damage"].amount == M("120.40")
    assert result.total == M("672.90")
    assert all(line.clause.startswith("KEE §") for line in result.lines)


def test_money_is_rounded_half_up_to_the_cent() -> None:
    # 3 days x 1 m³ = 3 m³; 3 x 0.835 = 2.505 -> 2.51 (half up; to even gives 2.50).
    # Sewer 3 x 1.2345 = 3.7035 -> 3.70. Closing 10.005 -> 10.01. Total 16.22.
    duration = Duration.between(D(2026, 1, 1), D(2026, 1, 4), clause="KEE §25(2)")
    result = unauthorised_connection_compensation(
        duration, M(1), M("0.835"), M("1.2345"), M("10.005"), M(0))
    lines = _lines(result)
    assert lines["water"].amount == M("2.51")
    assert lines["sewer"].amount == M("3.70")
    assert lines["closing"].amount == M("10.01")
    assert result.total == M("16.22")


def test_a_service_not_used_and_zero_costs_give_no_line() -> None:
    duration = connection_duration(None, D(2026, 3, 15))
    # No sewer (a price of None): only water, 145 x 1.50 = 217.50.
    only_water = unauthorised_connection_compensation(
        duration, M("0.8"), M("1.50"), None, M(0), M(0))
    assert [line.key for line in only_water.lines] == ["water"]
    assert only_water.total == M("217.50")
    only_sewer = unauthorised_connection_compensation(
        duration, M("0.8"), None, M("2.00"), M(0), M("5"))
    assert [line.key for line in only_sewer.lines] == ["sewer", "damage"]
    assert only_sewer.total == M("295.00")
    nothing = unauthorised_connection_compensation(duration, M("0.8"), None, None, M(0), M(0))
    assert nothing.lines == ()
    assert nothing.total == M("0.00")
    assert nothing.volume_m3 == 145  # the volume is still stated in the act


def test_a_zero_day_duration_gives_no_volume() -> None:
    duration = connection_duration(D(2026, 3, 15), D(2026, 3, 15))
    result = unauthorised_connection_compensation(
        duration, M("0.8"), M("1.50"), M("2.00"), M("45"), M(0))
    assert result.volume_m3 == 0
    assert _lines(result)["water"].amount == M("0.00")
    assert result.total == M("45.00")


@pytest.mark.parametrize(("daily", "water", "sewer", "closing", "damage", "name"), [
    (M("-0.1"), M(1), M(1), M(0), M(0), "daily use"),
    (M("0.8"), M("-1"), M(1), M(0), M(0), "water price"),
    (M("0.8"), M(1), M("-0.01"), M(0), M(0), "sewer price"),
    (M("0.8"), M(1), M(1), M("-45"), M(0), "closing"),
    (M("0.8"), M(1), M(1), M(0), M("-1"), "damage"),
    (M("NaN"), M(1), M(1), M(0), M(0), "daily use"),
])
def test_negative_or_non_finite_input_is_refused(
        daily: Decimal, water: Decimal, sewer: Decimal, closing: Decimal, damage: Decimal,
        name: str) -> None:
    duration = connection_duration(None, D(2026, 3, 15))
    with pytest.raises(ActsError, match=name):
        unauthorised_connection_compensation(duration, daily, water, sewer, closing, damage)


# --------------------------------------------------------------------------- §26, §27(1)


def test_unauthorised_use_is_the_same_calculation_with_its_clauses() -> None:
    # An inspector finds a tampered meter (§26 p 4); use 01.02.2026-01.03.2026 = 28
    # days at 1.25 m³ = 35 m³. Water 35 x 1.60 = 56.00; sewer 35 x 2.10 = 73.50;
    # closing 30.00; new seal 12.50. Total 56.00 + 73.50 + 30.00 + 12.50 = 172.00.
    duration = Duration.between(D(2026, 2, 1), D(2026, 3, 1), clause="KEE §27(1)")
    result = unauthorised_use_compensation(
        UnauthorisedUseCase.METER_TAMPERED, duration, M("1.25"), M("1.60"), M("2.10"),
        M("30"), M(0), seal_cost=M("12.50"))
    lines = _lines(result)
    assert result.volume_m3 == 35
    assert list(lines) == ["water", "sewer", "closing", "seal"]
    assert lines["water"].amount == M("56.00")
    assert lines["water"].clause == "KEE §26 p 4; §27(1); §41(1)"
    assert lines["closing"].clause == "KEE §27(1)"
    assert lines["seal"].clause == "KEE §27(1)"
    assert result.total == M("172.00")
    # The same numbers as an unauthorised connection, apart from the seal.
    connection = unauthorised_connection_compensation(
        duration, M("1.25"), M("1.60"), M("2.10"), M("30"), M(0))
    assert connection.total == result.total - M("12.50")
    # A case given by its id; damage has its clause too.
    other = unauthorised_use_compensation("26.9", duration, M("1.25"), None, None, M(0),
                                          M("7"))
    assert [(line.key, line.clause) for line in other.lines] == [("damage", "KEE §14")]


def test_unauthorised_use_cases_are_the_nine_of_section_26() -> None:
    assert [case.value for case in UnauthorisedUseCase] == [f"26.{n}" for n in range(1, 10)]
    duration = Duration.between(D(2026, 2, 1), D(2026, 3, 1), clause="KEE §27(1)")
    with pytest.raises(ActsError, match=r"unknown unauthorised use case '26\.10'"):
        unauthorised_use_compensation("26.10", duration, M(1), M(1), M(1), M(0), M(0))
    with pytest.raises(ActsError, match="seal"):
        unauthorised_use_compensation("26.2", duration, M(1), M(1), M(1), M(0), M(0),
                                      seal_cost=M("-1"))


# --------------------------------------------------------------------------- §28, §29


def test_prohibited_closure_follows_section_29_2() -> None:
    water = ProhibitedClosure.WATER_WITHOUT_NOTICE
    assert dict(PROHIBITED_CLOSURE) == {
        ProhibitedCase.BACKFLOW: water,
        ProhibitedCase.OTHER_WATER_SOURCE: water,
        ProhibitedCase.DIRECT_CONNECTION: water,
        ProhibitedCase.WASTEWATER_TO_STORM_SEWER: ProhibitedClosure.WASTEWATER,
        ProhibitedCase.STORMWATER_TO_SEWER: ProhibitedClosure.WASTEWATER,
    }
    assert [case.value for case in ProhibitedCase] == [
        "28.1", "28.2.1", "28.2.2", "28.2.3", "28.2.4"]
    with pytest.raises(TypeError):
        PROHIBITED_CLOSURE[ProhibitedCase.BACKFLOW] = water  # type: ignore[index]


def test_wastewater_into_the_storm_sewer_pays_the_sewer_fee() -> None:
    # §29(3): found 15.03.2026, start unknown: 181 days (§25(2)); water use 0.8 m³/day
    # -> 145 m³ of wastewater at the group's sewer price 2.35: 340.75.
    duration = connection_duration(None, D(2026, 3, 15))
    result = prohibited_connection_compensation("28.2.3", duration, M("0.8"), M("2.35"))
    assert result is not None
    assert result.volume_m3 == 145
    assert result.lines == (CompensationLine(
        "sewer", 145, M("2.35"), M("340.75"), "KEE §29(3); §28(2) p 3; §25(2); §41(1)"),)
    assert result.total == M("340.75")


@pytest.mark.parametrize("case", ["28.1", "28.2.1", "28.2.2", "28.2.4",
                                  ProhibitedCase.STORMWATER_TO_SEWER])
def test_other_prohibited_connections_have_no_compensation(case: str) -> None:
    duration = connection_duration(None, D(2026, 3, 15))
    assert prohibited_connection_compensation(case, duration, M("0.8"), M("2.35")) is None


def test_prohibited_connection_bad_input() -> None:
    duration = connection_duration(None, D(2026, 3, 15))
    with pytest.raises(ActsError, match=r"unknown prohibited connection case '28\.3'"):
        prohibited_connection_compensation("28.3", duration, M("0.8"), M("2.35"))
    with pytest.raises(ActsError, match="sewer price"):
        prohibited_connection_compensation("28.2.3", duration, M("0.8"), M("-2"))
    with pytest.raises(ActsError, match="daily use"):
        prohibited_connection_compensation("28.2.1", duration, M("-0.8"), M("2"))


# --------------------------------------------------------------------------- properties

_DAILY = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False,
                     allow_infinity=False)
_FOUND = st.dates(min_value=D(2013, 1, 1), max_value=D(2060, 12, 31))


@given(found=_FOUND, first=_DAILY, second=_DAILY)
def test_volume_is_never_negative_and_monotone_in_daily_use(
        found: D, first: Decimal, second: Decimal) -> None:
    duration = connection_duration(None, found)
    low, high = sorted((first, second))
    low_volume = estimated_volume(duration, low)
    assert 0 <= low_volume <= estimated_volume(duration, high)
    # Within half a cubic metre of the exact product.
    assert abs(Decimal(low_volume) - low * duration.days) <= M("0.5")


@given(found=_FOUND)
def test_default_start_is_six_calendar_months_back(found: D) -> None:
    duration = connection_duration(None, found)
    assert duration.start == months_after(found, -6)
    assert 181 <= duration.days <= 184  # 181 (Sep..Mar) to 184 (Jul..Jan) by the months
    assert duration.end == found


@given(found=_FOUND, daily=_DAILY,
       water=st.decimals(min_value=0, max_value=10, places=4),
       sewer=st.decimals(min_value=0, max_value=10, places=4))
def test_total_is_the_sum_of_whole_cent_lines(
        found: D, daily: Decimal, water: Decimal, sewer: Decimal) -> None:
    result = unauthorised_connection_compensation(
        connection_duration(None, found), daily, water, sewer, M("45.00"), M(0))
    assert result.total == sum(line.amount for line in result.lines)
    assert all(line.amount == line.amount.quantize(M("0.01")) for line in result.lines)
    assert all(line.amount >= 0 for line in result.lines)
