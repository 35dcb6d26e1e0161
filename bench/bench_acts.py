"""Official acts (issue 9): what a PDF costs and what notifying an interruption costs.

1. Rendering one act (an interruption notice, in Estonian), warm, against rendering
   an empty A4 page with the same WeasyPrint in the same run: the act's own cost is
   its HTML, CSS, fonts and layout (goal: under 0.5 s an act).
2. Issuing 1,000 interruption notices in one action (KEE §13(3)-(4)): one notice per
   site, each numbered, rendered, stored with its hash, and its customer's e-mail
   written to the outbox, in chunks of 100 a transaction, as the background run does.

SQLite in a temporary folder by default; DATABASE_URL picks another database (as
bench_overview.py). BENCH_NOTICES changes the number of notices. Prints figures;
asserts only that the work was done.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("PORTAL_ENV", "testing")

from sqlalchemy import func, insert, select

from bench.bench_overview import bench_app
from webapp.extensions import db
from webapp.models import (
    ActKind,
    ActStatus,
    Customer,
    Notification,
    OfficialDocument,
    Person,
    Property,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.services import acts, interruptions
from webapp.services.access import today_in_tallinn

NOTICES = int(os.environ.get("BENCH_NOTICES", "1000"))
GOAL_SECONDS = 0.5
NOW = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)
START = dt.date(2020, 1, 1)


def build(sites: int) -> Person:
    """A utility, a clerk, and ``sites`` houses on one street, each with its own
    customer (with an e-mail address) and a contract in force."""
    db.session.add(Utility(code="bench", name="Bench Vesi AS"))
    clerk = Person(personal_code="49001010000", given_name="Kati", family_name="Kontor")
    db.session.add(clerk)
    db.session.flush()
    ids = range(clerk.id + 1, clerk.id + 1 + sites)
    db.session.execute(insert(Person), [
        {"id": i, "personal_code": f"{i:011d}", "given_name": "Vee", "family_name": f"Tarbija {i}",
         "created_at": NOW} for i in ids])
    db.session.execute(insert(Customer), [
        {"id": i, "person_id": i, "locale": "et", "email": f"tarbija{i}@example.com"}
        for i in ids])
    db.session.execute(insert(Property), [
        {"id": i, "cadastral_number": f"{i:05d}:000:0001", "address": f"Kaevu tn {i}, Kuressaare"}
        for i in ids])
    db.session.execute(insert(Site), [
        {"id": i, "code": f"S-{i}", "property_id": i, "address": f"Kaevu tn {i}, Kuressaare"}
        for i in ids])
    db.session.execute(insert(ServiceContract), [
        {"id": i, "number": f"L-{i:06d}", "customer_id": i, "start_date": START,
         "status": "active", "reading_cycle_months": 1, "pollution_group": "I"} for i in ids])
    db.session.execute(insert(contract_site), [{"contract_id": i, "site_id": i} for i in ids])
    db.session.commit()
    return clerk


def notice(today: dt.date) -> dict[str, object]:
    day = today + dt.timedelta(days=7)
    return {"area": "Kaevu tn", "works": "Replacing the water main", "planned": True,
            "starts_at": f"{day.isoformat()}T09:00", "ends_at": f"{day.isoformat()}T15:00",
            "temporary_supply": "", "contact_phone": "+372 453 3000"}


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def empty_page() -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string="<!doctype html><html><head><style>@page { size: A4 }</style>"
                      "</head><body></body></html>").write_pdf()
    return pdf


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, queries = bench_app(tmp, UPLOAD_FOLDER=os.path.join(tmp, "uploads"))
        with app.app_context():  # as the background run: no request
            label = db.engine.url.get_backend_name()
            clerk = build(NOTICES)
            today = today_in_tallinn()
            data = notice(today)

            # 1. one act, warm, against an empty A4 page
            site = db.session.scalar(select(Site).order_by(Site.id).limit(1))
            doc = acts.create_draft(ActKind.INTERRUPTION_NOTICE, site, clerk, data=data)
            result = acts.compute(doc)
            empty_page()
            acts.render(doc, result, created=NOW)  # warm: templates, fonts, imports
            empty = best_of(5, empty_page)
            act = best_of(5, lambda: acts.render(doc, result, created=NOW))
            db.session.rollback()
            print(f"one act ({label}): {act:.3f} s; an empty A4 page {empty:.3f} s; "
                  f"ratio {act / empty:.1f}x (goal: under {GOAL_SECONDS} s)")

            # 2. 1,000 interruption notices in one action
            site_ids = list(db.session.scalars(select(Site.id).order_by(Site.id)))
            run = interruptions.begin_run(data, site_ids, clerk.id)
            db.session.commit()
            queries["count"] = 0
            gc.collect()
            started = time.perf_counter()
            issued = interruptions.run_notices(run, today)
            seconds = time.perf_counter() - started
            done = db.session.scalar(select(func.count()).select_from(OfficialDocument).where(
                OfficialDocument.status == ActStatus.ISSUED)) or 0
            mails = db.session.scalar(select(func.count()).select_from(Notification)) or 0
            print(f"{issued} interruption notices ({label}): {seconds:.1f} s, "
                  f"{seconds / max(issued, 1) * 1000:.0f} ms a notice, "
                  f"{queries['count'] / max(issued, 1):.1f} statements a notice")
            assert issued == done == len(site_ids) == NOTICES, (issued, done)
            assert mails == NOTICES, mails
            if act >= GOAL_SECONDS:
                print(f"one act took {act:.3f} s: over the goal of {GOAL_SECONDS} s")
                sys.exit(1)


if __name__ == "__main__":
    main()
