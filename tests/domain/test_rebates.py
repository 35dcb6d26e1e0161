"""The garden-water rebate calculation (DOMAIN.md section 2), with no app or database.

Example cases are worked by hand: the arithmetic is in the comment above each.
A reading dated D is the meter at the end of day D, so ELVESO's watering window
runs from the end of 31.05 to the end of 31.08 (92 days, 3 months) and TV's from
the end of 31.03 to the end of 30.09 (183 days, 6 months); the winter window runs
from the end of 30.09 of the previous year to the end of 31.03 (182 days in
2017-18 and 2024-25, 6 months).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.readings import PastReading
from webapp.domain.rebates import (
    Facts,
    InvalidCase,
    RebateCase,
    RebateDecision,
    SubMeter,
    evaluate,
    ordered_readings,
    round_half_up,
)
from webapp.domain.rule_sets import RULES_DIR, Method, load_rule_set, parse_rule_set

GOOD_FACTS = Facts(
    contract_valid=True, overdue_debt=False, invoices_paid_on_time=True,
    readings_at_agreed_frequency=True, meter_accepted=True, reading_cycle_months=1,
    joint_application_required=False, joint_application=False, false_data=False,
    meter_faulty=False, access_refused=False, bypass=False, other_use=False,
)


def r(day: str, value: str) -> PastReading:
    return PastReading(dt.date.fromisoformat(day), Decimal(value))


def sub(*readings: PastReading, verified_until: str | None = "2026-05-01",
        accepted: bool = True, sealed: bool = True) -> SubMeter:
    until = None if verified_until is None else dt.date.fromisoformat(verified_until)
    return SubMeter(accepted, sealed, until, readings)


def case(rule_set: str, season: int, method: str, main: tuple[PastReading, ...],
         sub_meter: SubMeter | None = None, price: str = "1.5240", cap: str | None = None,
         **facts: Any) -> RebateCase:
    return RebateCase(
        rule_set=load_rule_set(rule_set), season=season, method=Method(method),
        sewer_price=Decimal(price), main_meter=main, sub_meter=sub_meter,
        facts=dataclasses.replace(GOOD_FACTS, **facts),
        cap_m3=None if cap is None else Decimal(cap),
    )


def failed(decision: RebateDecision) -> dict[str, str]:
    return {check.id: check.clause for check in decision.failed}


def assert_decision(decision: RebateDecision, volume: str, refund: str) -> None:
    assert decision.failed == ()
    assert decision.eligible
    assert (str(decision.volume_m3), str(decision.refund_eur)) == (volume, refund)


def assert_refused(decision: RebateDecision, expected: dict[str, str]) -> None:
    assert not decision.eligible
    assert failed(decision) == expected
    assert (str(decision.volume_m3), str(decision.refund_eur)) == ("0.000", "0.00")


# --------------------------------------------------------------------------- base cases

# ELVESO method A, every boundary read: W = 560 - 500 = 60 (6 months), S = 620 - 575 = 45
# (3 months). Volume = 45 - 60 x 3/6 = 15.000; refund 15 x 1.5240 = 22.86.
ELVESO_A = (r("2024-09-30", "500.000"), r("2025-03-31", "560.000"),
            r("2025-05-31", "575.000"), r("2025-08-31", "620.000"))
# ELVESO method B: the sub-meter 10.000 -> 35.250 over the window, S = 25.250;
# refund 25.25 x 1.5240 = 38.481 -> 38.48. The main meter is read at both ends (3.2).
ELVESO_B_MAIN = (r("2025-05-31", "575.000"), r("2025-08-31", "620.000"))
ELVESO_B_SUB = (r("2025-05-31", "10.000"), r("2025-08-31", "35.250"))
# TV-2016 method A, season 2018: W = 1060 - 1000 = 60, S = 1135 - 1060 = 75 (6 and 6
# months). Volume = 75 - 60 x 6/6 = 15.000; refund 15 x 1.0590 = 15.885 -> 15.89 (half up).
TV_A = (r("2017-09-30", "1000.000"), r("2018-03-31", "1060.000"), r("2018-09-30", "1135.000"))
TV_PRICE = "1.0590"


def elveso_a(**changes: Any) -> RebateCase:
    return case("ELVESO-2014", 2025, "A", ELVESO_A, **changes)


def elveso_b(**changes: Any) -> RebateCase:
    sub_meter = changes.pop("sub_meter", sub(*ELVESO_B_SUB))
    return case("ELVESO-2014", 2025, "B", ELVESO_B_MAIN, sub_meter, **changes)


def tv_a(**changes: Any) -> RebateCase:
    changes.setdefault("price", TV_PRICE)
    return case("TV-2016", 2018, "A", changes.pop("main", TV_A), **changes)


def tv_b(rule_set: str = "TV-2016", **changes: Any) -> RebateCase:
    # Main meter: history from 30.09 of the year before; sub-meter 0.000 -> 27.500.
    season = 2018 if rule_set == "TV-2016" else 2021
    main = (r(f"{season - 1}-09-30", "1000.000"), r(f"{season}-09-30", "1150.000"))
    sub_meter = changes.pop("sub_meter", sub(r(f"{season}-03-31", "0.000"),
                                             r(f"{season}-09-30", "27.500"),
                                             verified_until="2025-12-31"))
    changes.setdefault("price", TV_PRICE)
    return case(rule_set, season, "B", main, sub_meter, **changes)


def test_elveso_method_a() -> None:
    decision = evaluate(elveso_a())
    assert_decision(decision, "15.000", "22.86")
    computation = decision.computation
    assert (computation.summer_use, computation.summer_months) == (Decimal(45), Decimal(3))
    assert (computation.winter_use, computation.winter_months) == (Decimal(60), Decimal(6))
    assert computation.watering.window_from == dt.date(2025, 5, 31)
    assert computation.watering.window_to == dt.date(2025, 8, 31)
    assert computation.watering.window_days == 92
    assert computation.winter is not None
    assert (computation.winter.window_from, computation.winter.window_to) == (
        dt.date(2024, 9, 30), dt.date(2025, 3, 31))
    assert computation.winter.window_days == 182
    assert computation.cap_m3 == Decimal(30)
    assert computation.cap_clause == "ELVESO 2.2"


def test_elveso_method_a_interpolated_at_every_boundary() -> None:
    # 30.09: 400 + (410 - 400) x 15/30 = 405;   31.03: 450 + 2 x 11/20 = 451.1
    # 31.05: 460 + 4 x 4/8 = 462;              31.08: 500 + 10 x 5/10 = 505
    # W = 46.1, S = 43; volume = 43 - 46.1 x 3/6 = 19.95; refund 19.95 x 1.524 = 30.4038.
    main = (r("2025-09-05", "510.000"), r("2024-09-15", "400.000"), r("2024-10-15", "410.000"),
            r("2025-03-20", "450.000"), r("2025-04-09", "452.000"), r("2025-05-27", "460.000"),
            r("2025-06-04", "464.000"), r("2025-08-26", "500.000"))
    decision = evaluate(case("ELVESO-2014", 2025, "A", main))
    assert_decision(decision, "19.950", "30.40")
    watering, winter = decision.computation.watering, decision.computation.winter
    assert winter is not None
    assert (winter.reading_from, winter.reading_to) == (Decimal(405), Decimal("451.1"))
    assert (watering.reading_from, watering.reading_to) == (Decimal(462), Decimal(505))
    assert watering.reading_from_interpolated and watering.reading_to_interpolated
    assert decision.computation.winter_share == Decimal("23.05")


def test_elveso_method_a_winter_shrinks_to_a_first_reading_on_01_10() -> None:
    # History: a reading dated 01.10 is "on or before 01.10" (passes). The winter window
    # shrinks to the end of 01.10 .. end of 31.03 = 181 days: mW = 181 x 6/182.
    # W = 60, S = 45, mS = 3: W x mS / mW = 60 x 3 x 182 / (181 x 6) = 30.165745...
    # Volume = 45 - 30.165746 = 14.834254 -> 14.834; refund 14.834 x 1.524 = 22.607 -> 22.61.
    main = (r("2024-10-01", "500.000"), *ELVESO_A[1:])
    decision = evaluate(case("ELVESO-2014", 2025, "A", main))
    assert_decision(decision, "14.834", "22.61")
    assert decision.computation.winter is not None
    assert decision.computation.winter.covered_days == 181
    assert decision.computation.winter_months == Decimal("5.967033")


def test_elveso_method_a_capped_at_30() -> None:
    # S = 100 (575 -> 675), W = 60: 100 - 30 = 70 > 30 (ELVESO 2.2): 30.000 x 1.524 = 45.72.
    main = (*ELVESO_A[:3], r("2025-08-31", "675.000"))
    decision = evaluate(case("ELVESO-2014", 2025, "A", main))
    assert_decision(decision, "30.000", "45.72")
    assert decision.computation.raw_volume_m3 == Decimal(70)


@pytest.mark.parametrize(
    ("cap", "volume", "refund"),
    [
        # Raised to 40 (ELVESO 2.2): min(70, 40) = 40 -> 40 x 1.524 = 60.96.
        ("40", "40.000", "60.96"),
        # "Raised" to 25 is no raise: the rule set's 30 stands -> 45.72.
        ("25", "30.000", "45.72"),
        # Raised above the volume: min(70, 80) = 70 -> 106.68.
        ("80", "70.000", "106.68"),
    ],
)
def test_elveso_raised_cap(cap: str, volume: str, refund: str) -> None:
    main = (*ELVESO_A[:3], r("2025-08-31", "675.000"))
    assert_decision(evaluate(case("ELVESO-2014", 2025, "A", main, cap=cap)), volume, refund)


def test_summer_below_winter_is_eligible_with_nothing_to_refund() -> None:
    # S = 20 (575 -> 595), W = 60: 20 - 30 < 0 -> 0.000, refund 0.00, still eligible.
    main = (*ELVESO_A[:3], r("2025-08-31", "595.000"))
    decision = evaluate(case("ELVESO-2014", 2025, "A", main))
    assert_decision(decision, "0.000", "0.00")
    assert decision.computation.raw_volume_m3 == Decimal(0)


def test_volume_is_rounded_half_up_only_at_the_end() -> None:
    # W = 0.003, S = 10.000: 10 - 0.003 x 3/6 = 9.9985 -> 9.999 half up (not 9.998);
    # refund 9.999 x 1.524 = 15.238476 -> 15.24.
    main = (r("2024-09-30", "0.000"), r("2025-03-31", "0.003"), r("2025-05-31", "0.003"),
            r("2025-08-31", "10.003"))
    assert_decision(evaluate(case("ELVESO-2014", 2025, "A", main)), "9.999", "15.24")


def test_elveso_method_b() -> None:
    decision = evaluate(elveso_b())
    assert_decision(decision, "25.250", "38.48")
    assert decision.computation.formula == "S"
    assert decision.computation.watering.meter == "sub_meter"
    assert decision.computation.winter is None


def test_elveso_method_b_capped_at_30() -> None:
    # Sub-meter 10 -> 52: 42 > 30 (ELVESO 2.2, both methods): 30.000 x 1.524 = 45.72.
    sub_meter = sub(r("2025-05-31", "10.000"), r("2025-08-31", "52.000"))
    assert_decision(evaluate(elveso_b(sub_meter=sub_meter)), "30.000", "45.72")


def test_elveso_method_b_shorter_period_when_the_sub_meter_starts_late() -> None:
    # Sub-meter installed and read 02.06 (0.000), 31.08: 20.000. Nothing before 02.06:
    # no extrapolation, the window shrinks to end of 02.06 .. end of 31.08 (90 days).
    # S = 20 -> 20.000; refund 20 x 1.524 = 30.48.
    sub_meter = sub(r("2025-06-02", "0.000"), r("2025-08-31", "20.000"))
    decision = evaluate(elveso_b(sub_meter=sub_meter))
    assert_decision(decision, "20.000", "30.48")
    assert decision.computation.watering.covered_from == dt.date(2025, 6, 2)
    assert decision.computation.watering.covered_days == 90


def test_intermediate_values_are_not_rounded() -> None:
    # 31.05: 0 + 0.001 x 1/3 = 0.000333..; 31.08: 10 + 0.002 x 1/3 = 10.000666..
    # S = 10.000333.. -> 10.000 (rounding each boundary first would give 10.001 - 0.000).
    sub_meter = sub(r("2025-05-30", "0.000"), r("2025-06-02", "0.001"),
                    r("2025-08-30", "10.000"), r("2025-09-02", "10.002"))
    decision = evaluate(elveso_b(sub_meter=sub_meter))
    assert_decision(decision, "10.000", "15.24")


def test_tv_2016_method_a() -> None:
    decision = evaluate(tv_a())
    assert_decision(decision, "15.000", "15.89")
    watering = decision.computation.watering
    assert (watering.window_from, watering.window_to, watering.window_days) == (
        dt.date(2018, 3, 31), dt.date(2018, 9, 30), 183)
    assert decision.computation.cap_clause == "TV-2016"


def test_tv_2016_method_a_shorter_period() -> None:
    # No reading as of 30.09 yet (the last is 31.08): the watering window shrinks to
    # end of 31.03 .. end of 31.08 = 153 days; mS = 153 x 6/183 = 5.016393..
    # S = 1120 - 1060 = 60, W = 60, mW = 6: W x mS / mW = 60 x 153/183 = 50.163934..
    # Volume = 60 - 50.163934 = 9.836066 -> 9.836; refund 9.836 x 1.059 = 10.416 -> 10.42.
    main = (*TV_A[:2], r("2018-08-31", "1120.000"))
    decision = evaluate(tv_a(main=main))
    assert_decision(decision, "9.836", "10.42")
    assert decision.computation.watering.covered_days == 153
    assert decision.computation.summer_months == Decimal("5.016393")


def test_tv_2016_method_a_capped_at_20() -> None:
    # S = 1160 - 1060 = 100, W = 60: 100 - 60 x 6/6 = 40 > 20 (TV-2016): 20.000;
    # refund 20 x 1.059 = 21.18.
    main = (*TV_A[:2], r("2018-09-30", "1160.000"))
    assert_decision(evaluate(tv_a(main=main)), "20.000", "21.18")


def test_tv_2016_method_b_has_no_cap_and_a_raised_cap_creates_none() -> None:
    # Sub-meter 0 -> 27.5 over 31.03..30.09: 27.500 > 20 and not capped (TV caps only A);
    # cap_m3 = 25 does not create a cap. Refund 27.5 x 1.059 = 29.1225 -> 29.12.
    decision = evaluate(tv_b(cap="25"))
    assert_decision(decision, "27.500", "29.12")
    assert decision.computation.cap_m3 is None


def test_tv_2020_method_b_interpolated() -> None:
    # 31.03: 1 + (4 - 1) x 15/30 = 2.5; 30.09: 34 + (37 - 34) x 10/30 = 35.
    # S = 32.5 -> 32.500 (no cap); refund 32.5 x 1.2 = 39.00.
    sub_meter = sub(r("2021-03-16", "1.000"), r("2021-04-15", "4.000"),
                    r("2021-09-20", "34.000"), r("2021-10-20", "37.000"),
                    verified_until="2025-12-31")
    decision = evaluate(tv_b("TV-2020", sub_meter=sub_meter, price="1.2"))
    assert_decision(decision, "32.500", "39.00")


def test_refund_is_rounded_half_up() -> None:
    # Sub-meter 1.000 m³ x 0.125 = 0.125 -> 0.13 half up (not 0.12).
    sub_meter = sub(r("2025-05-31", "0.000"), r("2025-08-31", "1.000"))
    assert_decision(evaluate(elveso_b(sub_meter=sub_meter, price="0.125")), "1.000", "0.13")


# --------------------------------------------------------------------------- refusals

# ELVESO: each fact on the base case (15.000 for A, 25.250 for B) refuses with its clause.
ELVESO_FACT_REFUSALS = [
    ("contract_valid", False, "contract_valid", "ELVESO 2.1.2"),
    ("readings_at_agreed_frequency", False, "readings_at_agreed_frequency", "ELVESO 2.1.5"),
    ("invoices_paid_on_time", False, "invoices_paid_on_time", "ELVESO 2.1.6"),
    ("overdue_debt", True, "overdue_debt", "ELVESO 3.6.1 (2.1.6)"),
    ("false_data", True, "false_data", "ELVESO 3.6.2"),
    ("meter_faulty", True, "meter_faulty", "ELVESO 3.6.2"),
    ("access_refused", True, "access_refused", "ELVESO 3.6.3"),
    ("bypass", True, "bypass", "ELVESO 3.6.4 (2.1.1)"),
    ("other_use", True, "other_use", "ELVESO 3.6.5"),
]


@pytest.mark.parametrize(("fact", "value", "check", "clause"), ELVESO_FACT_REFUSALS)
@pytest.mark.parametrize("method", ["A", "B"])
def test_elveso_fact_refuses(method: str, fact: str, value: bool, check: str,
                             clause: str) -> None:
    build = elveso_a if method == "A" else elveso_b
    assert_refused(evaluate(build(**{fact: value})), {check: clause})


def test_elveso_joint_application() -> None:
    # Needed only for a semi-detached or terraced house (ELVESO 2.1.3).
    assert_refused(evaluate(elveso_a(joint_application_required=True)),
                   {"joint_application": "ELVESO 2.1.3"})
    assert_decision(evaluate(elveso_a(joint_application_required=True, joint_application=True)),
                    "15.000", "22.86")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"accepted": False}, {"sub_meter_accepted": "ELVESO 3.6.4 (2.1.1)"}),
        ({"sealed": False}, {"sub_meter_sealed": "ELVESO 3.6.3 (2.1.1)"}),
        # Valid through 30.08 only: not through the last day of the period (31.08).
        ({"verified_until": "2025-08-30"}, {"sub_meter_verified": "ELVESO 2.1.1 (3.1.2)"}),
        ({"verified_until": None}, {"sub_meter_verified": "ELVESO 2.1.1 (3.1.2)"}),
    ],
)
def test_elveso_sub_meter_refusals(changes: dict[str, Any], expected: dict[str, str]) -> None:
    assert_refused(evaluate(elveso_b(sub_meter=sub(*ELVESO_B_SUB, **changes))), expected)


def test_verification_through_the_last_day_is_enough() -> None:
    decision = evaluate(elveso_b(sub_meter=sub(*ELVESO_B_SUB, verified_until="2025-08-31")))
    assert_decision(decision, "25.250", "38.48")


def test_method_b_without_a_sub_meter_is_refused() -> None:
    decision = evaluate(elveso_b(sub_meter=None))
    assert_refused(decision, {
        "sub_meter_verified": "ELVESO 2.1.1 (3.1.2)",
        "sub_meter_sealed": "ELVESO 3.6.3 (2.1.1)",
        "sub_meter_accepted": "ELVESO 3.6.4 (2.1.1)",
        "required_readings": "ELVESO 3.6.6 (2.1.7, 3.2)",
    })


@pytest.mark.parametrize(
    ("start", "end", "passes"),
    [
        ("2025-05-31", "2025-08-31", True),  # the boundary days
        ("2025-06-08", "2025-09-07", True),  # the last days of the week after
        ("2025-06-09", "2025-08-31", False),  # start reading a day late
        ("2025-05-31", "2025-09-08", False),  # end reading a day late
        ("2025-05-30", "2025-08-31", False),  # start reading before the boundary day
        ("2025-05-31", "2025-08-30", False),  # end reading before the boundary day
    ],
)
def test_elveso_reading_deadlines(start: str, end: str, passes: bool) -> None:
    # ELVESO 3.2, 3.6.6: the sub-meter read on its own days, the main meter on the base ones.
    sub_meter = sub(r("2025-04-01", "5.000"), r(start, "10.000"), r(end, "35.250"),
                    r("2025-10-01", "36.000"))
    decision = evaluate(elveso_b(sub_meter=sub_meter))
    if passes:
        assert decision.eligible
    else:
        assert_refused(decision, {"required_readings": "ELVESO 3.6.6 (2.1.7, 3.2)"})


def test_elveso_main_meter_readings_are_required_for_method_b_too() -> None:
    # ELVESO 3.2: with a sub-meter, both readings. The main meter's end reading is missing.
    decision = evaluate(case("ELVESO-2014", 2025, "B", ELVESO_B_MAIN[:1], sub(*ELVESO_B_SUB)))
    assert_refused(decision, {"required_readings": "ELVESO 3.6.6 (2.1.7, 3.2)"})
    assert "main meter: no end reading dated 2025-08-31 to 2025-09-07" in decision.checks[-1].detail


def test_elveso_history_since_october_for_method_a() -> None:
    # First main-meter reading 02.10.2024: after 01.10 of the previous year (ELVESO 3.6.7).
    main = (r("2024-10-02", "500.000"), *ELVESO_A[1:])
    assert_refused(evaluate(case("ELVESO-2014", 2025, "A", main)),
                   {"history_since_october": "ELVESO 3.6.7 (2.1.4)"})


def test_elveso_method_b_needs_no_history() -> None:
    # ELVESO 2.1.4 applies to method A only: the base B case has no reading before 31.05.
    decision = evaluate(elveso_b())
    assert "history_since_october" not in {check.id for check in decision.checks}


def test_a_winter_window_with_no_covered_days_is_no_history() -> None:
    # Readings up to 30.09.2024 only: history by date, but no covered winter (and no
    # season readings): method A is refused; W x mS / mW cannot be computed.
    main = (r("2024-08-31", "480.000"), r("2024-09-30", "500.000"))
    decision = evaluate(case("ELVESO-2014", 2025, "A", main))
    assert_refused(decision, {"history_since_october": "ELVESO 3.6.7 (2.1.4)",
                              "required_readings": "ELVESO 3.6.6 (2.1.7, 3.2)"})
    assert decision.computation.raw_volume_m3 is None
    history = next(check for check in decision.checks if check.id == "history_since_october")
    assert "winter" in history.detail


@pytest.mark.parametrize(
    ("rule_set", "season", "clause"),
    [("ELVESO-2014", 2013, "ELVESO-2014"), ("TV-2016", 2020, "TV-2016"),
     ("TV-2016", 2015, "TV-2016"), ("TV-2020", 2019, "TV-2020")],
)
def test_season_outside_the_effective_dates(rule_set: str, season: int, clause: str) -> None:
    # The same readings one year shifted would be fine; the season is what refuses.
    decision = evaluate(case(rule_set, season, "B", (), sub(), price="1"))
    assert not decision.eligible
    assert failed(decision)["effective_dates"] == clause


@pytest.mark.parametrize(("rule_set", "season"),
                         [("ELVESO-2014", 2014), ("TV-2016", 2016), ("TV-2016", 2019),
                          ("TV-2020", 2020)])
def test_first_and_last_seasons_in_effect(rule_set: str, season: int) -> None:
    decision = evaluate(case(rule_set, season, "B", (), sub(), price="1"))
    assert "effective_dates" not in failed(decision)


def test_tv_2020_refuses_method_a_with_its_clause() -> None:
    # TV-2016's method A case, three years on: refused for the method alone.
    main = tuple(PastReading(reading.day.replace(year=reading.day.year + 3), reading.value)
                 for reading in TV_A)
    decision = evaluate(case("TV-2020", 2021, "A", main, price=TV_PRICE))
    assert_refused(decision, {"method_allowed": "TV-2020"})


TV_FACT_REFUSALS = [
    ("meter_accepted", False, "meter_accepted"),
    ("contract_valid", False, "contract_valid"),
    ("reading_cycle_months", 4, "reading_cycle"),
    ("readings_at_agreed_frequency", False, "readings_at_agreed_frequency"),
    ("invoices_paid_on_time", False, "invoices_paid_on_time"),
    ("overdue_debt", True, "overdue_debt"),
    ("false_data", True, "false_data"),
    ("meter_faulty", True, "meter_faulty"),
    ("access_refused", True, "access_refused"),
]


@pytest.mark.parametrize(("fact", "value", "check"), TV_FACT_REFUSALS)
@pytest.mark.parametrize(("rule_set", "method"),
                         [("TV-2016", "A"), ("TV-2016", "B"), ("TV-2020", "B")])
def test_tv_fact_refuses_citing_the_rule_set(rule_set: str, method: str, fact: str,
                                             value: object, check: str) -> None:
    build = tv_a if method == "A" else lambda **kw: tv_b(rule_set, **kw)
    assert_refused(evaluate(build(**{fact: value})), {check: rule_set})


def test_tv_reading_cycle_of_three_months_is_allowed() -> None:
    assert_decision(evaluate(tv_a(reading_cycle_months=3)), "15.000", "15.89")


@pytest.mark.parametrize("rule_set", ["TV-2016", "TV-2020"])
def test_tv_history_applies_to_method_b(rule_set: str) -> None:
    season = 2018 if rule_set == "TV-2016" else 2021
    main = (r(f"{season - 1}-10-02", "1000.000"), r(f"{season}-09-30", "1150.000"))
    sub_meter = sub(r(f"{season}-03-31", "0.000"), r(f"{season}-09-30", "27.500"),
                    verified_until="2025-12-31")
    decision = evaluate(case(rule_set, season, "B", main, sub_meter))
    assert_refused(decision, {"history_since_october": rule_set})


@pytest.mark.parametrize(
    ("changes", "check"),
    [({"accepted": False}, "sub_meter_accepted"), ({"sealed": False}, "sub_meter_sealed"),
     ({"verified_until": "2021-09-29"}, "sub_meter_verified")],
)
@pytest.mark.parametrize("rule_set", ["TV-2016", "TV-2020"])
def test_tv_sub_meter_refusals(rule_set: str, changes: dict[str, Any], check: str) -> None:
    season = 2018 if rule_set == "TV-2016" else 2021
    changes.setdefault("verified_until", "2025-12-31")
    if check == "sub_meter_verified":  # valid until the day before 30.09 of the season
        changes["verified_until"] = f"{season}-09-29"
    sub_meter = sub(r(f"{season}-03-31", "0.000"), r(f"{season}-09-30", "27.500"), **changes)
    assert_refused(evaluate(tv_b(rule_set, sub_meter=sub_meter)), {check: rule_set})


def test_tv_watering_period_not_covered_at_all() -> None:
    # Readings end on 31.03.2018: the winter is covered (W = 60), the watering period not
    # at all; nothing to rebate on, so the case is refused (TV-2016 "shorter period").
    decision = evaluate(tv_a(main=TV_A[:2]))
    assert_refused(decision, {"watering_period_covered": "TV-2016"})


def test_elveso_only_grounds_do_not_apply_under_tv() -> None:
    # A terraced house without a joint application, a bypass, other use: TV has none of
    # these grounds, so the base case stands (15.000, 15.89) and they are not checked.
    decision = evaluate(tv_a(joint_application_required=True, bypass=True, other_use=True))
    assert_decision(decision, "15.000", "15.89")
    assert {"joint_application", "bypass", "other_use"}.isdisjoint(
        check.id for check in decision.checks)


def test_tv_does_not_set_reading_deadlines() -> None:
    assert "required_readings" not in {check.id for check in evaluate(tv_a()).checks}


def test_every_failed_check_is_reported() -> None:
    decision = evaluate(elveso_b(overdue_debt=True, other_use=True, contract_valid=False,
                                 sub_meter=sub(*ELVESO_B_SUB, sealed=False)))
    assert_refused(decision, {
        "contract_valid": "ELVESO 2.1.2", "overdue_debt": "ELVESO 3.6.1 (2.1.6)",
        "other_use": "ELVESO 3.6.5", "sub_meter_sealed": "ELVESO 3.6.3 (2.1.1)",
    })
    # The computation is still shown, for reference.
    assert decision.computation.raw_volume_m3 == Decimal("25.25")


def test_every_check_names_its_clause() -> None:
    for decision in (evaluate(elveso_a()), evaluate(elveso_b()), evaluate(tv_a()),
                     evaluate(tv_b("TV-2020"))):
        assert all(check.clause and check.detail for check in decision.checks)
        assert decision.checks[0].id == "effective_dates"
        assert decision.checks[1].id == "method_allowed"


# --------------------------------------------------------------------------- bad input


def test_readings_in_any_order_and_repeated_are_the_same() -> None:
    shuffled = (ELVESO_A[2], ELVESO_A[0], ELVESO_A[3], ELVESO_A[1], ELVESO_A[0])
    assert evaluate(case("ELVESO-2014", 2025, "A", shuffled)) == evaluate(elveso_a())


def test_two_different_readings_on_one_day_are_bad_input() -> None:
    main = (*ELVESO_A, r("2025-03-31", "561.000"))
    with pytest.raises(InvalidCase, match="two readings dated 2025-03-31 differ") as error:
        evaluate(case("ELVESO-2014", 2025, "A", main))
    assert error.value.field in {"main_meter[1].date", "main_meter[4].date"}


def test_a_meter_running_backwards_is_bad_input() -> None:
    main = (*ELVESO_A[:3], r("2025-08-31", "570.000"))
    with pytest.raises(InvalidCase, match="does not run backwards") as error:
        evaluate(case("ELVESO-2014", 2025, "A", main))
    assert error.value.field == "main_meter[3].value"


def test_a_negative_sub_meter_reading_is_bad_input() -> None:
    with pytest.raises(InvalidCase) as error:
        evaluate(elveso_b(sub_meter=sub(r("2025-05-31", "-1.000"))))
    assert error.value.field == "sub_meter.readings[0].value"


@pytest.mark.parametrize(("field", "changes"),
                         [("sewer_price", {"price": "-1"}), ("cap_m3", {"cap": "-5"})])
def test_negative_price_or_cap_is_bad_input(field: str, changes: dict[str, str]) -> None:
    with pytest.raises(InvalidCase) as error:
        evaluate(elveso_a(**changes))
    assert error.value.field == field


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [("1.2345", 3, "1.235"), ("1.2355", 3, "1.236"), ("0.125", 2, "0.13"),
     ("0.135", 2, "0.14"), ("2.5", 0, "3"), ("0", 3, "0.000"), ("-1.2345", 3, "-1.235")],
)
def test_round_half_up(value: str, places: int, expected: str) -> None:
    from fractions import Fraction

    assert str(round_half_up(Fraction(Decimal(value)), places)) == expected


def reference_round_half_up(value: Fraction, places: int) -> Decimal:
    """``round_half_up`` as first written, on Fractions (with ``Fraction(10) ** places``
    for ``10**places``: the same for places of 0 or more, and exact below 0 too)."""
    scaled = abs(value) * Fraction(10) ** places
    units = math.floor(scaled + Fraction(1, 2))
    return Decimal(units if value >= 0 else -units).scaleb(-places)


@given(st.fractions() | st.builds(Fraction, st.integers(), st.integers(min_value=1)),
       st.integers(min_value=-6, max_value=12))
@settings(max_examples=500)
def test_round_half_up_is_the_fraction_rounding(value: Fraction, places: int) -> None:
    # str: the same digits and the same exponent, as the decision's JSON shows them.
    assert str(round_half_up(value, places)) == str(reference_round_half_up(value, places))


@given(st.integers(min_value=-10**15, max_value=10**15), st.integers(min_value=0, max_value=12))
def test_round_half_up_takes_a_half_away_from_zero(units: int, places: int) -> None:
    # (2 x units + 1) / (2 x 10^places): exactly halfway between two results.
    half = Fraction(2 * units + 1, 2 * 10**places)
    with localcontext(prec=60):
        expected = (Decimal(2 * units + 1) / Decimal(2 * 10**places)).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert str(round_half_up(half, places)) == str(expected)
    assert str(round_half_up(half, places)) == str(reference_round_half_up(half, places))


def test_a_changed_rule_set_under_the_same_id_is_not_taken_for_the_original() -> None:
    # evaluate works out once what a rule set fixes for a season (windows, dates, the
    # checks that apply); a changed copy with the same id has its own.
    data = tomllib.loads((RULES_DIR / "ELVESO-2014.toml").read_text(encoding="utf-8"))
    data["watering_window"]["end"] = "07-31"
    del data["refusal_grounds"]["other_use"]
    changed = parse_rule_set(data, "a changed ELVESO-2014")
    before = evaluate(elveso_a())
    after = evaluate(dataclasses.replace(elveso_a(), rule_set=changed))
    assert before.rule_set == after.rule_set == "ELVESO-2014"
    assert before.computation.watering.window_to == dt.date(2025, 8, 31)
    assert after.computation.watering.window_to == dt.date(2025, 7, 31)
    assert "other_use" in {check.id for check in before.checks}
    assert "other_use" not in {check.id for check in after.checks}
    assert evaluate(elveso_a()) == before


# --------------------------------------------------------------------------- properties

RULE_SETS = {
    # rule set id: (season, methods, the day whose end opens the watering window)
    "ELVESO-2014": (2025, ["A", "B"]),
    "TV-2016": (2018, ["A", "B"]),
    "TV-2020": (2021, ["B"]),
}
increments = st.decimals(min_value=0, max_value=50, places=3)


@st.composite
def readings(draw: st.DrawFn, season: int, required: tuple[dt.date, ...] = ()
             ) -> tuple[PastReading, ...]:
    """A meter's readings on random days from August of the previous year to October."""
    first = dt.date(season - 1, 8, 1)
    offsets = draw(st.sets(st.integers(0, 440), min_size=0, max_size=14))
    days = sorted({first + dt.timedelta(days=offset) for offset in offsets} | set(required))
    value, result = Decimal(0), []
    for day in days:
        value += draw(increments)
        result.append(PastReading(day, value))
    return tuple(result)


@st.composite
def cases(draw: st.DrawFn, with_start_reading: bool = False) -> RebateCase:
    rule_set_id = draw(st.sampled_from(sorted(RULE_SETS)))
    season, methods = RULE_SETS[rule_set_id]
    method = draw(st.sampled_from(methods))
    rule_set = load_rule_set(rule_set_id)
    start = rule_set.watering_window.boundaries(season)[0]
    required = (start,) if with_start_reading else ()
    main = draw(readings(season, required if method == "A" else ()))
    sub_meter = None
    if method == "B":
        sub_meter = SubMeter(True, True, dt.date(season + 1, 1, 1),
                             draw(readings(season, required)))
    cap = draw(st.none() | st.decimals(min_value=0, max_value=100, places=1))
    return RebateCase(rule_set, season, Method(method), Decimal("1.5240"), main, sub_meter,
                      GOOD_FACTS, cap)


def cap_of(rebate: RebateCase) -> Decimal | None:
    cap = rebate.rule_set.caps.get(rebate.method)
    if cap is None:
        return None
    return cap.m3 if rebate.cap_m3 is None else max(cap.m3, rebate.cap_m3)


@given(cases())
@settings(max_examples=300)
def test_volume_is_never_negative_nor_above_the_cap(rebate: RebateCase) -> None:
    decision = evaluate(rebate)
    assert decision.volume_m3 >= 0
    assert decision.refund_eur >= 0
    cap = cap_of(rebate)
    if cap is not None:
        assert decision.volume_m3 <= cap
    if not decision.eligible:
        assert (decision.volume_m3, decision.refund_eur) == (0, 0)


@given(cases(), st.randoms(use_true_random=False))
def test_the_same_whatever_the_order_of_the_readings(rebate: RebateCase, random: Any) -> None:
    main = list(rebate.main_meter)
    random.shuffle(main)
    sub_meter = rebate.sub_meter
    if sub_meter is not None:
        shuffled = list(sub_meter.readings)
        random.shuffle(shuffled)
        sub_meter = dataclasses.replace(sub_meter, readings=tuple(shuffled))
    reordered = dataclasses.replace(rebate, main_meter=tuple(main), sub_meter=sub_meter)
    assert evaluate(reordered) == evaluate(rebate)


@given(cases(with_start_reading=True), st.integers(1, 182),
       st.decimals(min_value=0, max_value=40, places=3))
def test_volume_does_not_decrease_when_summer_use_grows(rebate: RebateCase, offset: int,
                                                        extra: Decimal) -> None:
    # Extra use from a day inside the watering period on: every reading after it rises.
    # The meter is read at the window's opening, so the winter is untouched.
    start, end = rebate.rule_set.watering_window.boundaries(rebate.season)
    from_day = min(end, start + dt.timedelta(days=offset))

    def more(readings: tuple[PastReading, ...]) -> tuple[PastReading, ...]:
        return tuple(PastReading(reading.day, reading.value + extra)
                     if reading.day >= from_day else reading for reading in readings)

    if rebate.method is Method.A:
        grown = dataclasses.replace(rebate, main_meter=more(rebate.main_meter))
    else:
        assert rebate.sub_meter is not None
        grown = dataclasses.replace(
            rebate, sub_meter=dataclasses.replace(rebate.sub_meter,
                                                  readings=more(rebate.sub_meter.readings)))
    before, after = evaluate(rebate), evaluate(grown)
    assert before.eligible == after.eligible
    assert after.volume_m3 >= before.volume_m3


@given(st.sampled_from(sorted(RULE_SETS)),
       st.decimals(min_value=0, max_value=1, places=3),
       st.sets(st.integers(0, 440), min_size=2, max_size=12))
def test_interpolation_is_exact_on_linear_data(rule_set_id: str, rate: Decimal,
                                               offsets: set[int]) -> None:
    # A meter using exactly ``rate`` m³ a day: every boundary value is rate x days, and
    # the consumption in a covered window is rate x its covered days.
    season, methods = RULE_SETS[rule_set_id]
    origin = dt.date(season - 1, 8, 1)
    linear = tuple(PastReading(origin + dt.timedelta(days=offset), rate * offset)
                   for offset in sorted(offsets))
    rebate = RebateCase(load_rule_set(rule_set_id), season, Method(methods[0]), Decimal(1),
                        linear, SubMeter(True, True, None, linear), GOOD_FACTS)
    computation = evaluate(rebate).computation
    for use in (computation.watering, computation.winter):
        if use is None:
            continue
        assert use.consumption == rate * use.covered_days
        if use.covered_from is not None and use.covered_to is not None:
            assert use.reading_from == rate * (use.covered_from - origin).days
            assert use.reading_to == rate * (use.covered_to - origin).days


@given(cases(), st.randoms(use_true_random=False))
def test_ordered_readings_in_any_order_are_the_sorted_ones(rebate: RebateCase,
                                                          random: Any) -> None:
    # Readings already in order (the usual case) take a shorter way than shuffled ones.
    shuffled = list(rebate.main_meter)
    random.shuffle(shuffled)
    in_order = ordered_readings(rebate.main_meter, "main_meter")
    assert in_order == rebate.main_meter
    assert ordered_readings(shuffled, "main_meter") == in_order
