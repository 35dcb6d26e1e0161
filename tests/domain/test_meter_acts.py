"""Meter acts (KEE §37-§38): installation and replacement deadlines around Christmas,
Midsummer and Easter; the failed meter's estimate (§38(1)) with leap years, month
lengths and half-up whole m³; the settlement after a control verification (§38(2))."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.acts_compensation import ActsError
from webapp.domain.deadlines import DEADLINES_DIR, load_deadlines
from webapp.domain.meter_acts import (
    FailureEstimate,
    VerificationSettlement,
    failure_estimate,
    installation_deadline,
    replacement_deadline,
    verification_period_start,
    verification_settlement,
)

D = dt.date
M = Decimal


# --------------------------------------------------------------------------- §37(1)


@pytest.mark.parametrize(("contract", "deadline"), [
    # Tuesday 03.03.2026: Wed 4, Thu 5, Fri 6, Mon 9, Tue 10 -> 10.03.2026.
    (D(2026, 3, 3), D(2026, 3, 10)),
    # Friday 18.12.2026: Mon 21, Tue 22, Wed 23 (shortened, worked), 24-26.12 holidays,
    # Mon 28, Tue 29 -> 29.12.2026.
    (D(2026, 12, 18), D(2026, 12, 29)),
    # Wednesday 01.04.2026: Thu 2, Good Friday 3.4 off, Easter Monday 6.4 worked:
    # Mon 6, Tue 7, Wed 8, Thu 9 -> 09.04.2026.
    (D(2026, 4, 1), D(2026, 4, 9)),
    # Saturday 20.06.2026: Mon 22, 23 and 24.06 holidays, Thu 25, Fri 26, Mon 29,
    # Tue 30 -> 30.06.2026.
    (D(2026, 6, 20), D(2026, 6, 30)),
])
def test_installation_within_five_working_days(contract: D, deadline: D) -> None:
    assert installation_deadline(contract) == deadline


def test_installation_before_any_deadline_set_is_an_acts_error() -> None:
    with pytest.raises(ActsError):
        installation_deadline(D(2011, 1, 1))


# --------------------------------------------------------------------------- §37(4)


def test_replacement_not_the_customers_fault_within_five_working_days() -> None:
    # Found Friday 18.12.2026: as the installation above, 29.12.2026.
    assert replacement_deadline(D(2026, 12, 18), customer_fault=False) == D(2026, 12, 29)
    # Found Thursday 31.12.2026: 01.01.2027 New Year off; Mon 4, Tue 5, Wed 6, Thu 7,
    # Fri 8 -> 08.01.2027.
    assert replacement_deadline(D(2026, 12, 31), False) == D(2027, 1, 8)


def test_replacement_by_the_customers_fault_counts_from_payment() -> None:
    # Found 10.12.2026, paid Monday 21.12.2026: five calendar days -> Saturday 26.12
    # (also a holiday), moved to the next working day, Monday 28.12.2026.
    assert replacement_deadline(D(2026, 12, 10), True, paid_on=D(2026, 12, 21)) == D(
        2026, 12, 28)
    # Paid Tuesday 03.03.2026: Sunday 08.03 -> Monday 09.03.2026.
    assert replacement_deadline(D(2026, 3, 1), True, paid_on=D(2026, 3, 3)) == D(2026, 3, 9)
    # Paid Wednesday 04.03.2026: Monday 09.03.2026, a calendar-day term ("päev"): five
    # working days would (wrongly) give Wednesday 11.03.
    assert replacement_deadline(D(2026, 3, 1), True, paid_on=D(2026, 3, 4)) == D(2026, 3, 9)


def test_replacement_by_the_customers_fault_needs_a_payment_day() -> None:
    with pytest.raises(ActsError, match="paid_on is required"):
        replacement_deadline(D(2026, 3, 1), True)
    with pytest.raises(ActsError, match="before the failure was found"):
        replacement_deadline(D(2026, 3, 5), True, paid_on=D(2026, 3, 4))


def test_replacement_terms_come_from_the_deadline_set(tmp_path: Path) -> None:
    path = tmp_path / "KEE-2012.toml"
    shutil.copy(DEADLINES_DIR / "KEE-2012.toml", path)
    text = path.read_text(encoding="utf-8")
    old = "[deadlines.meter_replacement]\ndays = 5"
    assert old in text
    path.write_text(text.replace(old, "[deadlines.meter_replacement]\ndays = 2"),
                    encoding="utf-8")
    deadlines = load_deadlines("KEE-2012", tmp_path)
    # Tuesday 03.03.2026 + 2 working days: Thursday 05.03.2026.
    assert replacement_deadline(D(2026, 3, 3), False, deadlines) == D(2026, 3, 5)


# --------------------------------------------------------------------------- §38(1)


def test_failure_estimate_worked_example() -> None:
    # Found 15.03.2026: the months before March are Dec 2025, Jan and Feb 2026,
    # 31 + 31 + 28 = 90 days, 9.3 + 10.0 + 8.6 = 27.9 m³: 0.31 m³/day. New meter on
    # 20.03.2026: 01.03 up to 20.03 = 19 days: 19 x 0.31 = 5.89 -> 6 m³.
    use = {(2025, 12): M("9.3"), (2026, 1): M("10.0"), (2026, 2): M("8.6"),
           (2026, 3): M("999")}  # the month of the finding itself is not used
    estimate = failure_estimate(D(2026, 3, 15), D(2026, 3, 20), use)
    assert estimate == FailureEstimate(
        months=((2025, 12), (2026, 1), (2026, 2)), base_days=90, base_use_m3=M("27.9"),
        daily_average_m3=M("0.310"), period_start=D(2026, 3, 1),
        period_end=D(2026, 3, 20), days=19, volume_m3=6, clause="KEE §38(1); §41(1)")


def test_failure_estimate_in_a_leap_year() -> None:
    # Found 10.03.2024: Dec 2023 31 + Jan 31 + Feb 29 = 91 days, 3 x 9.1 = 27.3 m³:
    # 0.3 m³/day. Replaced 02.04.2024: 01.03 -> 02.04 = 32 days: 9.6 -> 10 m³.
    use = {(2023, 12): M("9.1"), (2024, 1): M("9.1"), (2024, 2): M("9.1")}
    estimate = failure_estimate(D(2024, 3, 10), D(2024, 4, 2), use)
    assert (estimate.base_days, estimate.days, estimate.volume_m3) == (91, 32, 10)
    assert estimate.daily_average_m3 == M("0.300")


def test_failure_estimate_rounds_the_volume_half_up() -> None:
    # Found 05.01.2026: Oct 31 + Nov 30 + Dec 31 = 92 days, 46 m³: 0.5 m³/day. New meter
    # on 06.01.2026: 5 days, 2.5 m³ -> 3 (half up; to even would give 2).
    use = {(2025, 10): M(15), (2025, 11): M(15), (2025, 12): M(16)}
    estimate = failure_estimate(D(2026, 1, 5), D(2026, 1, 6), use)
    assert estimate.months == ((2025, 10), (2025, 11), (2025, 12))
    assert (estimate.base_days, estimate.days, estimate.volume_m3) == (92, 5, 3)


def test_failure_estimate_computes_with_the_exact_average() -> None:
    # 1.4 m³ over 92 days (Oct-Dec 2025) = 0.0152173.. m³/day, shown as 0.015. Replaced
    # 03.02.2026: 01.01 -> 03.02 = 33 days. Exact: 1.4 x 33 / 92 = 0.50217 -> 1 m³;
    # the rounded 0.015 x 33 = 0.495 would (wrongly) give 0.
    use = {(2025, 10): M("0.4"), (2025, 11): M("0.5"), (2025, 12): M("0.5")}
    estimate = failure_estimate(D(2026, 1, 5), D(2026, 2, 3), use)
    assert estimate.daily_average_m3 == M("0.015")
    assert estimate.days == 33
    assert estimate.volume_m3 == 1


def test_failure_found_and_replaced_on_the_first_of_the_month() -> None:
    use = {(2026, 1): M(30), (2026, 2): M(30), (2026, 3): M(30)}
    estimate = failure_estimate(D(2026, 4, 1), D(2026, 4, 1), use)
    assert (estimate.period_start, estimate.days, estimate.volume_m3) == (
        D(2026, 4, 1), 0, 0)
    # Jan 31 + Feb 28 + Mar 31 = 90 days: 1 m³/day.
    assert estimate.daily_average_m3 == M("1.000")


def test_failure_estimate_names_a_missing_month() -> None:
    use = {(2025, 12): M("9.3"), (2026, 1): M("10.0")}
    with pytest.raises(ActsError, match=r"no use for 02\.2026"):
        failure_estimate(D(2026, 3, 15), D(2026, 3, 20), use)


def test_failure_estimate_refuses_bad_days_and_uses() -> None:
    use = {(2025, 12): M("9.3"), (2026, 1): M("10.0"), (2026, 2): M("8.6")}
    # Replaced before the first of the month (and so before the finding).
    with pytest.raises(ActsError, match="before the failure was found"):
        failure_estimate(D(2026, 3, 15), D(2026, 2, 28), use)
    with pytest.raises(ActsError, match="before the failure was found"):
        failure_estimate(D(2026, 3, 15), D(2026, 3, 14), use)
    with pytest.raises(ActsError, match=r"use of 01\.2026"):
        failure_estimate(D(2026, 3, 15), D(2026, 3, 20), {**use, (2026, 1): M("-1")})


# --------------------------------------------------------------------------- §38(2)


def test_verification_settlement_worked_example() -> None:
    # Verified 10.03.2026, new meter 12.03.2026: from 01.12.2025 (three months before
    # March) to 12.03: 31 + 31 + 28 + 11 = 101 days. Measured 300 m³ at +5 %: true
    # 300 / 1.05 = 285.714 m³; 14.286 -> 14 m³ over-registered, credited.
    settlement = verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(300), M(5), M(2))
    assert settlement == VerificationSettlement(
        period_start=D(2025, 12, 1), period_end=D(2026, 3, 12), days=101,
        measured_m3=M(300), error_percent=M(5), true_m3=M("285.714"), settlement_m3=14,
        clause="KEE §38(2); §37(7); §41(1)")


def test_an_under_registering_meter_is_charged() -> None:
    # -5 %: true 300 / 0.95 = 315.789 m³; -15.789 -> -16 m³ (charged).
    settlement = verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(300), M(-5), M(2))
    assert settlement is not None
    assert settlement.true_m3 == M("315.789")
    assert settlement.settlement_m3 == -16


@pytest.mark.parametrize(("measured", "error", "whole"), [
    (M(5), M(100), 3),  # true 2.5, difference +2.5 -> +3
    (M("2.5"), M(-50), -3),  # true 5, difference -2.5 -> -3 (half away from zero)
    (M(300), M("2.01"), 6),  # true 294.089, difference 5.911 -> 6
])
def test_settlement_rounds_half_away_from_zero(measured: Decimal, error: Decimal,
                                               whole: int) -> None:
    settlement = verification_settlement(D(2026, 3, 10), D(2026, 3, 12), measured, error,
                                         M(2))
    assert settlement is not None
    assert settlement.settlement_m3 == whole


@pytest.mark.parametrize("error", [M(2), M(-2), M(0), M("1.99")])
def test_within_the_tolerance_nothing_is_settled(error: Decimal) -> None:
    assert verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(300), error, M(2)) is None


def test_verification_period_across_a_year_and_february() -> None:
    # Verified 20.01.2026: from 01.10.2025. Verified 31.05.2024: from 01.02.2024.
    assert verification_period_start(D(2026, 1, 20)) == D(2025, 10, 1)
    assert verification_period_start(D(2024, 5, 31)) == D(2024, 2, 1)
    settlement = verification_settlement(D(2024, 5, 31), D(2024, 5, 31), M(100), M(10), M(2))
    assert settlement is not None
    # Feb 29 + Mar 31 + Apr 30 + May 1..30 = 120 days; 100 / 1.1 = 90.909: 9.091 -> 9.
    assert (settlement.days, settlement.settlement_m3) == (120, 9)


def test_verification_settlement_bad_input() -> None:
    with pytest.raises(ActsError, match="measured volume"):
        verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(-1), M(5), M(2))
    with pytest.raises(ActsError, match="tolerance"):
        verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(1), M(5), M(-2))
    with pytest.raises(ActsError, match="no water passed"):
        verification_settlement(D(2026, 3, 10), D(2026, 3, 12), M(1), M(-100), M(2))
    with pytest.raises(ActsError, match=r"before the settled period starts on 01\.12\.2025"):
        verification_settlement(D(2026, 3, 10), D(2025, 11, 30), M(1), M(5), M(2))


# --------------------------------------------------------------------------- properties

_USE = st.decimals(min_value=0, max_value=500, places=3, allow_nan=False,
                   allow_infinity=False)


@given(found=st.dates(min_value=D(2013, 1, 1), max_value=D(2060, 12, 31)),
       uses=st.tuples(_USE, _USE, _USE),
       extra=st.integers(min_value=0, max_value=120), more=st.integers(min_value=0,
                                                                      max_value=60))
def test_failure_volume_is_monotone_in_the_days(
        found: D, uses: tuple[Decimal, Decimal, Decimal], extra: int, more: int) -> None:
    probe = failure_estimate(found, found, {(y, m): M(0) for y in range(2012, 2061)
                                            for m in range(1, 13)})
    use = dict(zip(probe.months, uses, strict=True))
    early = failure_estimate(found, found + dt.timedelta(days=extra), use)
    late = failure_estimate(found, found + dt.timedelta(days=extra + more), use)
    assert 0 <= early.volume_m3 <= late.volume_m3
    assert 89 <= early.base_days <= 92  # Feb-Apr 89 .. Oct-Dec 92 days
    exact = sum(uses, M(0)) * early.days / early.base_days
    assert abs(M(early.volume_m3) - exact) <= M("0.5")


@given(measured=st.decimals(min_value=0, max_value=10000, places=3),
       error=st.decimals(min_value=-99, max_value=99, places=2))
def test_settlement_sign_follows_the_error(measured: Decimal, error: Decimal) -> None:
    settlement = verification_settlement(D(2026, 3, 10), D(2026, 3, 12), measured, error,
                                         M(2))
    if abs(error) <= 2:
        assert settlement is None
        return
    assert settlement is not None
    assert settlement.settlement_m3 * error >= 0  # credited when over-registered
    assert abs(M(settlement.settlement_m3) - (measured - settlement.true_m3)) <= M("0.501")
