"""Garden-water rebates (issue 7): the pure calculation alone, in cases per second.

Each case is a site with monthly main-meter readings over the 13 months from the
previous August, under ELVESO-2014 method A (the more work: two windows) and
method B (with a sub-meter). The season run over 100,000 sites on PostgreSQL is
measured once the run exists; this is the part of it that no database touches.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from webapp.domain.readings import PastReading
from webapp.domain.rebates import Facts, Method, RebateCase, SubMeter, evaluate
from webapp.domain.rule_sets import load_rule_set

CASES = 20_000
ROUNDS = 3
FACTS = Facts(contract_valid=True, overdue_debt=False, invoices_paid_on_time=True,
              readings_at_agreed_frequency=True, meter_accepted=True, reading_cycle_months=1,
              joint_application_required=False, joint_application=False, false_data=False,
              meter_faulty=False, access_refused=False, bypass=False, other_use=False)


def month_ends(season: int) -> list[dt.date]:
    """The last day of each month from August of the previous year to August."""
    ends = []
    year, month = season - 1, 8
    for _ in range(13):
        first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
        ends.append(first_of_next - dt.timedelta(days=1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def make_cases(season: int, count: int) -> list[RebateCase]:
    rng = random.Random(20251)  # the same cases every run
    rule_set = load_rule_set("ELVESO-2014")
    days = month_ends(season)
    cases = []
    for index in range(count):
        value = Decimal(rng.randrange(100, 5000))
        readings = []
        for day in days:
            summer = day.month in (6, 7, 8)
            value += Decimal(rng.randrange(2000, 9000 if summer else 4000)) / 1000
            readings.append(PastReading(day, value))
        method = Method.A if index % 2 else Method.B
        sub = None
        if method is Method.B:
            sub = SubMeter(accepted=True, sealed=True, verified_until=dt.date(season + 1, 5, 1),
                           readings=(PastReading(dt.date(season, 5, 31), Decimal("10.000")),
                                     PastReading(dt.date(season, 8, 31),
                                                 Decimal(rng.randrange(10_500, 40_000)) / 1000)))
        cases.append(RebateCase(rule_set=rule_set, season=season, method=method,
                                sewer_price=Decimal("1.5240"), main_meter=tuple(readings),
                                sub_meter=sub, facts=FACTS))
    return cases


def main() -> None:
    cases = make_cases(2025, CASES)
    evaluate(cases[0])  # warm-up
    rates = []
    eligible = 0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        decisions = [evaluate(case) for case in cases]
        rates.append(len(cases) / (time.perf_counter() - start))
        eligible = sum(decision.eligible for decision in decisions)
    print(f"Rebate calculation alone (ELVESO-2014, methods A and B, {CASES:,} cases, "
          f"13 monthly readings each; {eligible:,} eligible)")
    print(f"  cases per second: median {statistics.median(rates):,.0f} "
          f"(min {min(rates):,.0f}, max {max(rates):,.0f}) over {ROUNDS} rounds")
    print(f"  so 100,000 sites take about {100_000 / statistics.median(rates):.1f} s of "
          "calculation")


if __name__ == "__main__":
    main()
