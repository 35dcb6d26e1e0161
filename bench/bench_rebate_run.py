"""Garden-water rebates (issue 7): the season run over 100,000 sites with monthly
readings on PostgreSQL, time printed (goal: under 30 s on this machine).

Each site has its own customer and contract, a main meter and a garden sub-meter
with a reading at the end of every month from July of the previous year to
October of the season (16 a meter: 3.2 million readings), and an approved ELVESO
application, half with method A and half with method B. The run is timed cold
(every decision new, every credit booked) and again (every decision unchanged);
the parts are timed alone too: loading the cases, the pure calculation.

BENCH_SITES changes the number of sites (e.g. 10000 for a quick look). The data is
loaded with COPY into a database of the benchmark's own (see bench_api.py), not
timed. Prints figures; asserts only that the run did the work.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

os.environ.setdefault("PORTAL_ENV", "testing")

from sqlalchemy import func, select, text

from bench.bench_api import postgres_database
from bench.bench_overview import bench_app
from webapp.domain.rebates import evaluate
from webapp.domain.rule_sets import load_rule_set
from webapp.extensions import db
from webapp.models import (
    Price,
    PriceKind,
    RebateApplication,
    RebateCredit,
    RebateDecisionRecord,
    RebateRun,
    RebateRunStatus,
    Utility,
)
from webapp.services import rebate_run
from webapp.services.rebate_data import CaseLoader, Terms

SITES = int(os.environ.get("BENCH_SITES", "100000"))
SEASON = 2025
GOAL_SECONDS = 30.0
TODAY = dt.date(2026, 1, 15)  # the season's watering period has ended
SEWER_PRICE = Decimal("1.5240")
NOW = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def month_ends() -> list[dt.date]:
    ends, year, month = [], SEASON - 1, 7
    while (year, month) <= (SEASON, 10):
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        ends.append(following - dt.timedelta(days=1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a table: the fastest way to load millions of them."""
    connection = db.session.connection().connection.dbapi_connection
    assert connection is not None
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)


def build(sites: int) -> None:
    """The utility, its sewer price, and ``sites`` customers each with a site, a contract,
    two meters, their monthly readings and an approved application."""
    utility = Utility(code="bench", name="Bench Vesi AS", rebate_rule_set="ELVESO-2014")
    db.session.add(utility)
    db.session.flush()
    db.session.add(Price(utility_id=utility.id, kind=PriceKind.SEWER, unit_price=SEWER_PRICE,
                         valid_from=dt.date(2020, 1, 1), valid_until=None))
    ids = range(1, sites + 1)
    copy("person", ["id", "personal_code", "given_name", "family_name", "created_at"],
         ((i, f"{i:011d}", "Aed", f"Omanik {i}", NOW) for i in ids))
    copy("customer", ["id", "person_id", "locale"], ((i, i, "et") for i in ids))
    copy("property", ["id", "cadastral_number", "address"],
         ((i, f"{i:05d}:000:0001", f"Aia tn {i}") for i in ids))
    copy("site", ["id", "code", "property_id", "address"],
         ((i, f"S-{i}", i, f"Aia tn {i}") for i in ids))
    copy("service_contract", ["id", "number", "customer_id", "start_date", "status",
                              "reading_cycle_months"],
         ((i, f"L-{i}", i, dt.date(2020, 1, 1), "active", 1) for i in ids))
    copy("contract_site", ["contract_id", "site_id"], ((i, i) for i in ids))
    # Meter 2i-1 is the main meter, 2i the sub-meter of site i.
    copy("meter", ["id", "number", "site_id", "kind", "installed_on", "verified_until",
                   "seal_number", "status"],
         (row for i in ids for row in (
             (2 * i - 1, f"M{i}", i, "cold_water", dt.date(2020, 1, 1), None, f"P{i}",
              "active"),
             (2 * i, f"G{i}", i, "garden_sub_meter", dt.date(2020, 1, 1),
              dt.date(2027, 5, 1), f"Q{i}", "active"))))
    days = month_ends()

    def readings() -> Iterable[tuple[Any, ...]]:
        number = 0
        for i in ids:
            garden = 3 + i % 7  # m³ a summer month
            main = sub = Decimal(100 + i % 50)
            for day in days:
                summer = day.month in (6, 7, 8)
                use = Decimal(garden) if summer else Decimal("0.000")
                main += Decimal("8.125") + use
                sub += use
                number += 2
                yield (number - 1, 2 * i - 1, main, day, NOW, "web")
                yield (number, 2 * i, sub, day, NOW, "web")

    copy("reading", ["id", "meter_id", "value", "reading_date", "submitted_at", "channel"],
         readings())
    copy("rebate_application", [
        "id", "site_id", "customer_id", "applicant_id", "rule_set", "method", "house_type",
        "first_season", "sub_meter_number", "sub_meter_seal", "installation_requested",
        "consent_given_at", "submitted_at", "status", "status_changed_at", "reviewed_at"],
        ((i, i, i, i, "ELVESO-2014", "A" if i % 2 else "B", "detached", SEASON,
          None if i % 2 else f"G{i}", None if i % 2 else f"Q{i}", False, NOW, NOW,
          "approved", NOW, NOW) for i in ids))
    for table in ("person", "customer", "property", "site", "service_contract", "meter",
                  "reading", "rebate_application"):
        # The table names are this module's own constants, never input.
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def timed_run() -> tuple[float, rebate_run.RunSummary]:
    utility = db.session.scalar(select(Utility))
    assert utility is not None
    run = rebate_run.begin_run(utility, SEASON, TODAY, None)
    db.session.commit()
    gc.collect()
    started = time.perf_counter()
    summary = rebate_run.run_season(run, utility, TODAY)
    elapsed = time.perf_counter() - started
    assert run.status is RebateRunStatus.FINISHED
    return elapsed, summary


def parts() -> tuple[float, float, int]:
    """Loading every case, and the pure calculation of them, timed alone."""
    rule_set = load_rule_set("ELVESO-2014")
    terms = [Terms.of(application) for application in db.session.scalars(
        select(RebateApplication).order_by(RebateApplication.id))]
    db.session.expunge_all()
    gc.collect()
    started = time.perf_counter()
    cases = CaseLoader(rule_set, SEASON, TODAY, SEWER_PRICE).cases(terms)
    loading = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    for case in cases:
        evaluate(case)
    return loading, time.perf_counter() - started, len(cases)


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is known
    postgres = postgres_database("bench_rebates")
    if postgres is None:
        print("Season run on PostgreSQL: skipped (no server)")
        return
    url, options, label = postgres
    with tempfile.TemporaryDirectory() as tmp:
        app, _queries = bench_app(tmp, SQLALCHEMY_DATABASE_URI=url,
                                  SQLALCHEMY_ENGINE_OPTIONS=options)
        with app.app_context():
            started = time.perf_counter()
            build(SITES)
            readings = 2 * SITES * len(month_ends())
            print(f"Season run, PostgreSQL ({label}): {SITES:,} sites, {readings:,} readings "
                  f"(loaded in {time.perf_counter() - started:.0f} s, not timed)")
            cold, summary = timed_run()
            assert summary.new == SITES
            assert summary.eligible + summary.refused == SITES
            credits = db.session.scalar(select(func.count()).select_from(RebateCredit))
            print(f"  first run:  {cold:6.1f} s  ({SITES / cold:,.0f} sites/s; "
                  f"{summary.eligible:,} eligible, {credits:,} credits, "
                  f"{summary.refund_eur} EUR)  goal under {GOAL_SECONDS:.0f} s: "
                  f"{'met' if cold < GOAL_SECONDS else 'NOT met'}")
            again, summary = timed_run()
            assert summary.unchanged == SITES
            assert summary.credited_eur == 0
            print(f"  run again:  {again:6.1f} s  (every decision unchanged, nothing credited)")
            loading, calculating, count = parts()
            print(f"  alone: loading the cases {loading:.1f} s; the pure calculation "
                  f"{calculating:.1f} s ({count / calculating:,.0f} cases/s)")
            decisions = db.session.scalar(select(func.count()).select_from(
                RebateDecisionRecord))
            runs = db.session.scalar(select(func.count()).select_from(RebateRun))
            assert decisions == SITES
            assert runs == 2
            db.session.remove()  # its transaction would hold the tables the drop needs
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
