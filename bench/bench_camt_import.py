"""Payments (issue 11 item 4): a camt.053 bank statement of 10,000 credit entries
imported, on the database the benchmark harness uses (``DATABASE_URL``, else SQLite in
a temporary folder; see bench_overview.bench_app). Time printed.

The statement pays generated issued invoices: 45 % by reference number, 35 % by the
invoice number in the description, 20 % neither (unmatched: to the staff queue). One
entry in ten pays 5 EUR more than the invoice (a prepayment), one in ten less (the
invoice stays open). Printed: the file's size, the parse alone, the import (parse,
look-ups, matching, writing, commit), and the same file loaded again (every entry
already there, nothing booked).

BENCH_CAMT_ENTRIES changes the number of entries. Prints figures; asserts only that
the import did the work.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

os.environ.setdefault("PORTAL_ENV", "testing")

from flask_babel import force_locale
from sqlalchemy import func, insert, select

from bench.bench_overview import bench_app
from tests.camt053_builder import DEMO_IBAN, Booking, camt053
from webapp.domain.camt053 import parse_camt053
from webapp.extensions import db
from webapp.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Person,
    ServiceContract,
    Utility,
)
from webapp.services.invoices import invoice_number, reference_for
from webapp.services.payments import import_statement

ENTRIES = int(os.environ.get("BENCH_CAMT_ENTRIES", "10000"))
PAYABLE = Decimal("24.80")
PERIOD = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
ISSUED_ON = dt.date(2026, 11, 3)
BOOKED_ON = dt.date(2026, 11, 14)


def build(invoices: int) -> Utility:
    """The utility and ``invoices`` customers, each with a contract and one issued
    invoice of 24.80 EUR (loaded in bulk, not timed)."""
    utility = Utility(code="bench", name="Bench Vesi AS", iban=DEMO_IBAN)
    db.session.add(utility)
    ids = range(1, invoices + 1)
    db.session.execute(insert(Person), [
        {"id": i, "personal_code": f"{i:011d}", "given_name": "Maksja", "family_name": f"{i}"}
        for i in ids])
    db.session.execute(insert(Customer), [{"id": i, "person_id": i, "locale": "et"}
                                          for i in ids])
    db.session.execute(insert(ServiceContract), [
        {"id": i, "number": f"L-{i}", "customer_id": i, "start_date": dt.date(2020, 1, 1)}
        for i in ids])
    db.session.execute(insert(Invoice), [
        {"id": i, "customer_id": i, "contract_id": i, "period_start": PERIOD[0],
         "period_end": PERIOD[1], "status": InvoiceStatus.ISSUED,
         "number": invoice_number(2026, i), "reference_number": reference_for(2026, i),
         "issued_on": ISSUED_ON, "due_date": ISSUED_ON + dt.timedelta(days=14),
         "net": Decimal("20.00"), "vat": Decimal("4.80"), "gross": PAYABLE,
         "payable": PAYABLE} for i in ids])
    db.session.commit()
    return utility


def bookings(entries: int) -> list[Booking]:
    made = []
    for n in range(entries):
        serial = n + 1  # the invoice this entry is about
        amount = PAYABLE
        if n % 10 == 3:
            amount += 5  # overpaid: a prepayment
        elif n % 10 == 7:
            amount -= 10  # partly paid: the invoice stays open
        kind = n % 20
        if kind < 9:  # 45 %: the reference number
            made.append(Booking(f"B{n:08d}", amount, reference_number=reference_for(2026, serial),
                                description="Vesi oktoober", debtor_name=f"MAKSJA {serial}"))
        elif kind < 16:  # 35 %: the invoice number in the description
            made.append(Booking(f"B{n:08d}", amount,
                                description=f"arve nr {invoice_number(2026, serial)} vesi",
                                debtor_name=f"MAKSJA {serial}"))
        else:  # 20 %: neither
            made.append(Booking(f"B{n:08d}", amount, description="vee eest",
                                debtor_name=f"MAKSJA {serial}"))
    return made


def timed_import(data: bytes, utility_id: int) -> tuple[float, Any]:
    utility = db.session.get(Utility, utility_id)
    assert utility is not None
    gc.collect()
    started = time.perf_counter()
    with force_locale("en"):
        summary = import_statement(data, actor_id=None, utility=utility)
    db.session.commit()
    return time.perf_counter() - started, summary


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is known
    with tempfile.TemporaryDirectory() as tmp:
        app, _queries = bench_app(tmp)
        with app.app_context():
            database = db.engine.dialect.name
            utility_id = build(ENTRIES).id
            data = camt053(bookings(ENTRIES))
            print(f"camt.053 import, {database}: {ENTRIES:,} credit entries, "
                  f"{len(data) / 1024 / 1024:.1f} MB")
            gc.collect()
            started = time.perf_counter()
            (statement,) = parse_camt053(data)
            parsing = time.perf_counter() - started
            assert len(statement.entries) == ENTRIES
            print(f"  parse alone: {parsing:6.2f} s  ({ENTRIES / parsing:,.0f} entries/s)")
            db.session.expunge_all()
            first, summary = timed_import(data, utility_id)
            assert summary.booked == ENTRIES
            assert summary.matched + summary.unmatched == ENTRIES
            paid = db.session.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.status == InvoiceStatus.PAID))
            print(f"  import:      {first:6.2f} s  ({ENTRIES / first:,.0f} entries/s; "
                  f"{summary.matched_by_reference:,} by reference, "
                  f"{summary.matched_by_number:,} by invoice number, "
                  f"{summary.unmatched:,} unmatched; {paid:,} invoices paid, "
                  f"{summary.prepaid_amount} EUR prepaid)")
            db.session.expunge_all()
            again, summary = timed_import(data, utility_id)
            assert summary.booked == 0
            assert summary.already_loaded == ENTRIES
            waiting = db.session.scalar(select(func.count()).select_from(Payment).where(
                Payment.status == PaymentStatus.UNMATCHED))
            print(f"  load again:  {again:6.2f} s  (every entry already loaded, nothing "
                  f"booked; {waiting:,} payments in the staff queue)")
            db.drop_all()


if __name__ == "__main__":
    main()
