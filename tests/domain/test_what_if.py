"""The council's what-if report (issue 10 item 5): proposals, totals, and the groups
of customers who gain or lose, small groups suppressed. Worked by hand.

Method B cases: the sub-meter reads 0 at the end of 31.05 and X at the end of 31.08,
so the season's use is X m³; price 5.00 EUR/m³ unless said.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.domain.test_rebates import GOOD_FACTS, r
from webapp.domain.rebates import RebateCase, SubMeter
from webapp.domain.rule_sets import Method, MonthDay, load_rule_set
from webapp.domain.what_if import (
    Band,
    Group,
    Problem,
    Proposal,
    ProposalError,
    Subject,
    Totals,
    band_of,
    changed_rule_set,
    compare,
    current_proposal,
    groups_by_band,
    proposal_problems,
    suppress_bands,
    suppress_eligibility,
    with_rule_set,
)

ELVESO = load_rule_set("ELVESO-2014")
FACTS = GOOD_FACTS


MAIN = (r("2024-09-30", "100"), r("2025-05-31", "150"), r("2025-08-31", "200"))


def garden(use: str) -> RebateCase:
    sub = SubMeter(True, True, dt.date(2026, 5, 1), (r("2025-05-31", "0"), r("2025-08-31", use)))
    return RebateCase(ELVESO, 2025, Method.B, Decimal("5.00"), MAIN, sub, FACTS)


def season_difference() -> RebateCase:
    # Method A: S = 10.000, W = 0.003 over 6 months: 10 - 0.003/2 = 9.9985 -> 9.999 m³,
    # x 5.00 = 49.995 -> 50.00 EUR.
    main = (r("2024-09-30", "0.000"), r("2025-03-31", "0.003"), r("2025-05-31", "0.003"),
            r("2025-08-31", "10.003"))
    return RebateCase(ELVESO, 2025, Method.A, Decimal("5.00"), main, None, FACTS)


def subjects(proposal: Proposal, cases: list[tuple[str, RebateCase]]) -> list[Subject]:
    changed = changed_rule_set(ELVESO, proposal)
    return [Subject(customer, case, with_rule_set(case, changed)) for customer, case in cases]


CAP_50 = Proposal(caps=((Method.A, Decimal(50)), (Method.B, Decimal(50))))


def test_raising_the_cap_from_30_to_50() -> None:
    cases = [
        # 6 use 60 m³: 30 -> 50, refund 150.00 -> 250.00, each +100.00 (over 50 EUR).
        *((f"big{n}", garden("60")) for n in range(6)),
        # 5 use 38 m³: 30 -> 38, +40.00 each (10 to 50 EUR).
        *((f"mid{n}", garden("38")) for n in range(5)),
        # 2 use 31 m³: +5.00 each; K has two gardens of 31 m³: +10.00 (up to 10 EUR).
        ("small0", garden("31")), ("small1", garden("31")),
        ("K", garden("31")), ("K", garden("31")),
        # 4 use 20 m³, under both caps: unchanged, in no group.
        *((f"none{n}", garden("20")) for n in range(4)),
    ]
    impact = compare(2025, subjects(CAP_50, cases))
    # Volumes: 6x30 + 5x30 + 4x30 + 4x20 = 530 -> 6x50 + 5x38 + 4x31 + 4x20 = 694.
    assert impact.baseline == Totals(19, 19, Decimal("530.000"), Decimal("2650.00"))
    assert impact.changed == Totals(19, 19, Decimal("694.000"), Decimal("3470.00"))
    assert impact.difference == Totals(0, 0, Decimal("164.000"), Decimal("820.00"))
    assert impact.by_method == ((Method.B, impact.baseline, impact.changed),)
    assert impact.customers_affected == 14  # 6 + 5 + 3 (K once)
    groups = groups_by_band(impact)
    assert groups[Band.GAIN_OVER_50] == Group(Band.GAIN_OVER_50, 6, Decimal("600.00"))
    # Up to 10 EUR holds 3 customers: suppressed. The totals less the bands shown would
    # give it back, so the smallest band shown (10 to 50, 5 customers) goes too: the
    # two hidden together are 8 customers and 220.00 EUR, a group of 5 or more.
    assert groups[Band.GAIN_UP_TO_10].suppressed
    assert groups[Band.GAIN_10_50].suppressed
    for band in (Band.LOSS_OVER_50, Band.LOSS_10_50, Band.LOSS_UP_TO_10):
        assert groups[band] == Group(band, 0, Decimal("0.00"))
    assert groups[Band.NEWLY_ELIGIBLE] == Group(Band.NEWLY_ELIGIBLE, 0, Decimal("0.00"))
    assert groups[Band.NO_LONGER_ELIGIBLE] == Group(Band.NO_LONGER_ELIGIBLE, 0, Decimal("0.00"))
    assert impact.invalid == 0


def test_no_change_changes_nothing() -> None:
    cases = [(f"c{n}", garden("45")) for n in range(3)]
    impact = compare(2025, subjects(current_proposal(ELVESO), cases))
    assert impact.baseline == impact.changed == Totals(3, 3, Decimal("90.000"),
                                                        Decimal("450.00"))
    assert impact.customers_affected is None  # none at all: fewer than 5
    assert all(group.customers == 0 for group in impact.groups)


def test_dropping_method_a() -> None:
    cases = [*((f"a{n}", season_difference()) for n in range(6)),
             *((f"b{n}", garden("25")) for n in range(7))]
    impact = compare(2025, subjects(Proposal(methods=(Method.B,)), cases))
    # 6 x 9.999 m³ and 50.00 EUR are lost; method B's 7 x 25 m³ stay.
    assert impact.baseline == Totals(13, 13, Decimal("234.994"), Decimal("1175.00"))
    assert impact.changed == Totals(13, 7, Decimal("175.000"), Decimal("875.00"))
    assert impact.by_method[0] == (Method.A, Totals(6, 6, Decimal("59.994"), Decimal("300.00")),
                                   Totals(6, 0, Decimal("0.000"), Decimal("0.00")))
    groups = groups_by_band(impact)
    # 50.00 is at most 50: the 10 to 50 EUR band.
    assert groups[Band.LOSS_10_50] == Group(Band.LOSS_10_50, 6, Decimal("-300.00"))
    assert groups[Band.NO_LONGER_ELIGIBLE] == Group(Band.NO_LONGER_ELIGIBLE, 6,
                                                     Decimal("-300.00"))
    assert groups[Band.NEWLY_ELIGIBLE] == Group(Band.NEWLY_ELIGIBLE, 0, Decimal("0.00"))


def test_few_affected_customers_hide_every_band_but_not_the_totals() -> None:
    cases = [("x", garden("45")), ("y", garden("31")), *((f"c{n}", garden("10")) for n in range(8))]
    impact = compare(2025, subjects(CAP_50, cases))
    assert impact.difference.refund_eur == Decimal("80.00")  # 75.00 + 5.00
    assert impact.customers_affected is None
    groups = groups_by_band(impact)
    assert groups[Band.GAIN_OVER_50].suppressed and groups[Band.GAIN_UP_TO_10].suppressed


def test_readings_that_cannot_be_judged_are_counted_apart() -> None:
    broken = RebateCase(ELVESO, 2025, Method.B, Decimal("5.00"), MAIN,
                        SubMeter(True, True, dt.date(2026, 5, 1),
                                 (r("2025-05-31", "10"), r("2025-08-31", "5"))), FACTS)
    impact = compare(2025, subjects(CAP_50, [("x", broken), ("y", garden("20"))]))
    assert impact.invalid == 1
    assert impact.baseline.applications == 1


# --------------------------------------------------------------------------- suppression


def groups(*counts: int) -> list[Group]:
    return [Group(band, count, Decimal(count)) for band, count in zip(Band, counts, strict=False)]


@pytest.mark.parametrize(("counts", "hidden"), [
    ((0, 0, 0, 5, 6, 7), set()),  # every group 5 or more
    ((0, 0, 0, 2, 5, 8), {3, 4}),  # 2 hidden, and the smallest shown (5): 7 together
    ((0, 0, 0, 1, 2, 9), {3, 4, 5}),  # 1 + 2 = 3 hidden: add the 9 -> 12
    ((1, 0, 0, 0, 0, 0), {0}),  # one customer affected in all: hidden, nothing to add
    ((0, 4, 0, 0, 7, 6), {1, 5}),  # 4 + the smaller of 7 and 6
])
def test_suppressing_the_bands(counts: tuple[int, ...], hidden: set[int]) -> None:
    result = suppress_bands(groups(*counts))
    assert {index for index, group in enumerate(result) if group.suppressed} == hidden
    for group, count in zip(result, counts, strict=True):
        if not group.suppressed:
            assert (group.customers, group.change_eur) == (count, Decimal(count))


def test_suppressing_newly_and_no_longer_eligible_together() -> None:
    new, lost = Band.NEWLY_ELIGIBLE, Band.NO_LONGER_ELIGIBLE
    shown = (Group(new, 5, Decimal(1)), Group(lost, 0, Decimal(0)))
    assert suppress_eligibility(shown) == shown
    # 3 lost: hidden, and the 0 newly eligible with them, or the eligible totals'
    # difference would give the 3 back.
    result = suppress_eligibility((Group(new, 0, Decimal(0)), Group(lost, 3, Decimal(-9))))
    assert all(group.suppressed for group in result)


@pytest.mark.parametrize(("change", "band"), [
    ("0.01", Band.GAIN_UP_TO_10), ("10.00", Band.GAIN_UP_TO_10), ("10.01", Band.GAIN_10_50),
    ("50.00", Band.GAIN_10_50), ("50.01", Band.GAIN_OVER_50), ("-0.01", Band.LOSS_UP_TO_10),
    ("-10.01", Band.LOSS_10_50), ("-50.01", Band.LOSS_OVER_50),
])
def test_bands(change: str, band: Band) -> None:
    assert band_of(Decimal(change)) is band


# --------------------------------------------------------------------------- proposals


def test_the_rule_sets_own_values_are_the_defaults() -> None:
    proposal = current_proposal(ELVESO)
    assert proposal.caps == ((Method.A, Decimal(30)), (Method.B, Decimal(30)))
    assert proposal.watering_window == (MonthDay(6, 1), MonthDay(8, 31))
    assert proposal.winter_window == (MonthDay(10, 1), MonthDay(3, 31))
    assert proposal.methods == (Method.A, Method.B)
    assert changed_rule_set(ELVESO, proposal).caps == ELVESO.caps


def test_a_changed_rule_set() -> None:
    changed = changed_rule_set(ELVESO, Proposal(
        caps=((Method.B, Decimal("40.5")),), methods=(Method.B,),
        watering_window=(MonthDay(5, 1), MonthDay(9, 30))))
    assert changed.caps[Method.B].m3 == Decimal("40.5")
    assert Method.A not in changed.caps
    assert changed.methods.allowed == (Method.B,)
    assert (str(changed.watering_window.start), str(changed.watering_window.end)) == (
        "05-01", "09-30")
    assert changed.winter_window == ELVESO.winter_window


@pytest.mark.parametrize(("proposal", "problems"), [
    (Proposal(caps=((Method.A, Decimal(-1)), (Method.B, Decimal("1000.1")))),
     {Problem("cap_A", "cap_range"), Problem("cap_B", "cap_range")}),
    (Proposal(methods=()), {Problem("methods", "no_method")}),
    (Proposal(watering_window=(MonthDay(6, 2), MonthDay(2, 30))),
     {Problem("watering_start", "not_month_start"), Problem("watering_end", "not_a_day")}),
    (Proposal(watering_window=(MonthDay(9, 1), MonthDay(5, 31))),
     {Problem("watering_end", "watering_wraps")}),
    (Proposal(winter_window=(MonthDay(13, 1), MonthDay(3, 30))),
     {Problem("winter_start", "not_a_day"), Problem("winter_end", "not_month_end")}),
])
def test_bad_proposals(proposal: Proposal, problems: set[Problem]) -> None:
    assert set(proposal_problems(ELVESO, proposal)) == problems
    with pytest.raises(ProposalError):
        changed_rule_set(ELVESO, proposal)


def test_method_a_needs_a_winter_window() -> None:
    tv_2020 = load_rule_set("TV-2020")
    assert proposal_problems(tv_2020, Proposal(methods=(Method.A, Method.B))) == (
        Problem("winter_start", "winter_needed"),)
