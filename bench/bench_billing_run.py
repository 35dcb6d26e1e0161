"""Billing (issue 11): the monthly billing run for 100,000 contracts with monthly
readings on PostgreSQL, time printed (goal: under 60 s on this machine).

Each contract has its own customer and site with one main meter read at the end of
every month for the 14 months up to the billed one; a tenth of the meters miss the
billed month's reading, so their use is estimated from the last 12 months. Prices
for water, sewer and the fixed fee, a VAT rate. The run is timed cold (every draft
new), again (every draft replaced), and issuing the drafts is timed apart.

BENCH_CONTRACTS changes the number of contracts (e.g. 10000 for a quick look). The
data is loaded with COPY into a database of the benchmark's own (bench_api.py), not
timed. Prints figures; asserts only that the run did the work.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

os.environ.setdefault("PORTAL_ENV", "testing")

from sqlalchemy import func, select, text

from bench.bench_api import postgres_database
from bench.bench_overview import bench_app
from bench.bench_rebate_run import copy
from webapp.domain.deadlines import months_after
from webapp.extensions import db
from webapp.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Price,
    PriceKind,
    RebateRunStatus,
    Utility,
    VatRate,
)
from webapp.services import billing_run

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "100000"))
PERIOD = dt.date(2025, 12, 1)
TODAY = dt.date(2026, 1, 15)
GOAL_SECONDS = 60.0
NOW = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def month_ends() -> list[dt.date]:
    starts = [months_after(PERIOD, -offset) for offset in range(13, -1, -1)]
    return [months_after(start, 1) - dt.timedelta(days=1) for start in starts]


def build(contracts: int) -> None:
    utility = Utility(code="bench", name="Bench Vesi AS")
    db.session.add(utility)
    db.session.flush()
    start = dt.date(2020, 1, 1)
    db.session.add_all([
        Price(utility_id=utility.id, kind=PriceKind.WATER, unit_price=Decimal("1.3100"),
              valid_from=start),
        Price(utility_id=utility.id, kind=PriceKind.SEWER, unit_price=Decimal("1.6020"),
              valid_from=start),
        Price(utility_id=utility.id, kind=PriceKind.FIXED_FEE, unit_price=Decimal("2.4000"),
              valid_from=start),
        VatRate(utility_id=utility.id, rate_percent=Decimal(24), valid_from=start),
    ])
    ids = range(1, contracts + 1)
    copy("person", ["id", "personal_code", "given_name", "family_name", "created_at"],
         ((i, f"{i:011d}", "Arve", f"Saaja {i}", NOW) for i in ids))
    copy("customer", ["id", "person_id", "locale"], ((i, i, "et") for i in ids))
    copy("property", ["id", "cadastral_number", "address"],
         ((i, f"{i:05d}:000:0001", f"Arve tn {i}") for i in ids))
    copy("site", ["id", "code", "property_id", "address"],
         ((i, f"S-{i}", i, f"Arve tn {i}") for i in ids))
    copy("service_contract", ["id", "number", "customer_id", "start_date", "status",
                              "reading_cycle_months", "pollution_group"],
         ((i, f"L-{i:06d}", i, start, "active", 1, "I") for i in ids))
    copy("contract_site", ["contract_id", "site_id"], ((i, i) for i in ids))
    copy("meter", ["id", "number", "site_id", "kind", "installed_on", "seal_number",
                   "status", "size"],
         ((i, f"M{i}", i, "cold_water", start, f"P{i}", "active", "DN15") for i in ids))
    days = month_ends()

    def readings() -> Iterable[tuple[Any, ...]]:
        number = 0
        for i in ids:
            value = Decimal(100 + i % 50)
            for day in days:
                if day == days[-1] and i % 10 == 0:
                    continue  # a tenth miss the billed month's reading: estimated
                value += Decimal("7.375") + Decimal(i % 5)
                number += 1
                yield (number, i, value, day, NOW, "web")

    copy("reading", ["id", "meter_id", "value", "reading_date", "submitted_at", "channel"],
         readings())
    for table in ("person", "customer", "property", "site", "service_contract", "meter",
                  "reading"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def timed_run() -> tuple[float, billing_run.RunSummary]:
    utility = db.session.scalar(select(Utility))
    assert utility is not None
    run = billing_run.begin_run(utility, PERIOD, TODAY, None)
    db.session.commit()
    gc.collect()
    started = time.perf_counter()
    summary = billing_run.run_billing(run, utility, TODAY)
    elapsed = time.perf_counter() - started
    assert run.status is RebateRunStatus.FINISHED
    return elapsed, summary


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is known
    postgres = postgres_database("bench_billing")
    if postgres is None:
        print("Billing run on PostgreSQL: skipped (no server)")
        return
    url, options, label = postgres
    with tempfile.TemporaryDirectory() as tmp:
        app, _queries = bench_app(tmp, SQLALCHEMY_DATABASE_URI=url,
                                  SQLALCHEMY_ENGINE_OPTIONS=options)
        with app.app_context(), app.test_request_context():
            started = time.perf_counter()
            build(CONTRACTS)
            readings = CONTRACTS * len(month_ends()) - CONTRACTS // 10
            print(f"Billing run, PostgreSQL ({label}): {CONTRACTS:,} contracts, "
                  f"{readings:,} readings (loaded in {time.perf_counter() - started:.0f} s, "
                  "not timed)")
            cold, summary = timed_run()
            assert summary.invoices == CONTRACTS, summary.problems[:3]
            lines = db.session.scalar(select(func.count()).select_from(InvoiceLine))
            print(f"  first run:  {cold:6.1f} s  ({CONTRACTS / cold:,.0f} contracts/s; "
                  f"{summary.invoices:,} drafts, {lines:,} lines, {summary.with_estimates:,} "
                  f"estimated, gross {summary.gross} EUR)  goal under {GOAL_SECONDS:.0f} s: "
                  f"{'met' if cold < GOAL_SECONDS else 'NOT met'}")
            again, summary = timed_run()
            assert summary.invoices == CONTRACTS
            print(f"  run again:  {again:6.1f} s  (every draft replaced)")
            utility = db.session.scalar(select(Utility))
            assert utility is not None
            gc.collect()
            started = time.perf_counter()
            issued = billing_run.issue_period(PERIOD, TODAY, None, utility)
            db.session.commit()
            print(f"  issuing:    {time.perf_counter() - started:6.1f} s  ({issued:,} invoices "
                  "numbered)")
            assert db.session.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.status == InvoiceStatus.ISSUED)) == CONTRACTS
            db.session.remove()  # its transaction would hold the tables the drop needs
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
