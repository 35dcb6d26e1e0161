"""The business API (ITB 1.2.2): a POST of 1,000 readings on PostgreSQL against one
Core executemany of the same rows, and the SQL statements and time of GET
/api/Readings for 50 and 5,000 meters on SQLite and PostgreSQL.

Prints figures; asserts nothing about time (only that the API did the work). The
POST's goal is at most 5 times the executemany of the same 1,000 rows, in the same
run on the same database. Every timed call starts after ``gc.collect()``, so that
each repetition starts from the same heap; the collections the work itself causes
are part of its time, as in production.

PostgreSQL: BENCH_DATABASE_URL names the server (default: the test suite's
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The benchmark never touches
that database's tables: it makes a database ``bench_api`` of its own on the same
server (or, if it may not create databases, a schema ``bench_api`` in the named
one), and drops and recreates its tables there. Without a server, the PostgreSQL
figures are skipped.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

os.environ.setdefault("PORTAL_ENV", "testing")

from bench.bench_overview import bench_app
from webapp.extensions import db
from webapp.models import (
    Base,
    ContractStatus,
    Customer,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    Property,
    Reading,
    ReadingChannel,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import api_keys
from webapp.services.access import actor_for_person, today_in_tallinn

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "bench_api"

POST_READINGS = 1_000
POST_ROUNDS = 7  # timed; each on 1,000 fresh meters, after one warm-up round
GOAL = 5.0  # the POST at most this many times the executemany
HISTORY = 13  # monthly readings per meter, the newest 30 days ago, 5 m³ a month
NEW_VALUE = 65.125  # 5.125 m³ since the newest: ordinary use, no warning
METERS_PER_SITE = 100
GET_SIZES = (50, 5_000)
GET_ROUNDS = 5


@dataclass(frozen=True)
class BenchCustomer:
    person_id: int
    key: str  # the raw API key, for the X-API-Key header
    meter_ids: list[int]
    numbers: list[str]


def build_api_customer(tag: int, meters: int) -> BenchCustomer:
    """A person who is a customer with a contract in force (so the owner of its sites),
    ``meters`` cold-water meters with ``HISTORY`` monthly readings each, and an API
    key made as the portal's API page makes it. Core inserts for the bulk."""
    today = today_in_tallinn()
    person = Person(personal_code=f"3{tag:010d}", given_name="Bench", family_name=f"Api {tag}")
    db.session.add(person)
    db.session.flush()
    customer = Customer(person_id=person.id)
    db.session.add(customer)
    db.session.flush()
    contract = ServiceContract(number=f"BENCH-API-{tag}", customer_id=customer.id,
                               start_date=today - dt.timedelta(days=400),
                               status=ContractStatus.ACTIVE)
    db.session.add(contract)
    sites = []
    for s in range(-(-meters // METERS_PER_SITE)):
        address = f"Mõõdiku tn {tag}-{s + 1}, Tallinn"
        sites.append(Site(code=f"BA{tag:04d}-{s:03d}", address=address,
                          property=Property(cadastral_number=f"{tag:05d}:{s:03d}:0001",
                                            address=address)))
    db.session.add_all(sites)
    db.session.flush()
    db.session.execute(insert(contract_site),
                       [{"contract_id": contract.id, "site_id": site.id} for site in sites])
    db.session.execute(insert(Base.metadata.tables["meter"]), [
        {"number": f"{tag:04d}{index:05d}", "site_id": sites[index // METERS_PER_SITE].id,
         "kind": MeterKind.COLD_WATER, "installed_on": today - dt.timedelta(days=900),
         "status": MeterStatus.ACTIVE}
        for index in range(meters)])
    rows = db.session.execute(select(Meter.id, Meter.number)
                              .where(Meter.site_id.in_([site.id for site in sites]))
                              .order_by(Meter.number)).all()
    history = []
    for month in range(HISTORY):
        day = today - dt.timedelta(days=30 * (HISTORY - month))
        sent = dt.datetime.combine(day, dt.time(9), dt.UTC)
        history += [{"meter_id": meter_id, "value": Decimal(5 * month), "reading_date": day,
                     "submitted_at": sent, "submitted_by_id": person.id,
                     "channel": ReadingChannel.WEB} for meter_id, _ in rows]
    db.session.execute(insert(Base.metadata.tables["reading"]), history)
    db.session.commit()

    actor = actor_for_person(person)
    if customer.id not in {choice.customer.id for choice in api_keys.key_customers(actor)}:
        raise RuntimeError("the bench customer may not make an API key")
    issued = api_keys.issue_key(actor, customer.id)
    db.session.commit()
    return BenchCustomer(person.id, issued.raw, [row[0] for row in rows],
                         [row[1] for row in rows])


def add_utility() -> None:
    db.session.add(Utility(code="bench", name="Bench Vesi AS"))
    db.session.commit()


# --------------------------------------------------------------------------- PostgreSQL


def postgres_database(name: str = BENCH_DATABASE) -> tuple[str, dict[str, Any], str] | None:
    """A benchmark's own PostgreSQL database ``name`` (made if missing): its URL,
    engine options and a label; None if the server cannot be reached."""
    server = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER
    admin = create_engine(server, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": name})
            if not exists:
                try:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                except DBAPIError:  # no right to create databases: a schema of our own
                    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
                    return server, {"pool_pre_ping": True, "connect_args": {
                        "options": f"-c search_path={name}"}}, \
                        f"schema {name} of {make_url(server).database}"
    except OperationalError as error:
        print(f"PostgreSQL not reachable at {make_url(server)!r}: "
              f"{str(error.orig).strip().splitlines()[0]}")
        return None
    finally:
        admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    return url, {"pool_pre_ping": True}, f"database {name}"


# --------------------------------------------------------------------------- POST


def post_readings(client: FlaskClient, customer: BenchCustomer, queries: dict[str, int]
                  ) -> tuple[float, int]:
    """One POST of a reading for each of the customer's meters: seconds, statements."""
    body = json.dumps({"readings": [
        {"meterNumber": number, "newReading": NEW_VALUE, "submitWithWarnings": False}
        for number in customer.numbers]})
    queries["count"] = 0
    gc.collect()
    start = time.perf_counter()
    response = client.post("/api/Readings", data=body, content_type="application/json",
                           headers={"X-API-Key": customer.key})
    elapsed = time.perf_counter() - start
    statements = queries["count"]
    if response.status_code != 200:
        raise RuntimeError(f"POST answered {response.status_code}: "
                           f"{response.get_data(as_text=True)[:300]}")
    results = response.get_json()["results"]
    failed = [result for result in results if result["status"] != "Success"]
    if len(results) != len(customer.numbers) or failed:
        raise RuntimeError(f"POST did not save every reading: {failed[:3]}")
    return elapsed, statements


def saved_by_api(customer: BenchCustomer) -> int:
    return db.session.scalar(select(func.count()).select_from(Reading).where(
        Reading.meter_id.in_(customer.meter_ids), Reading.channel == ReadingChannel.API,
        Reading.replaced_by_id.is_(None))) or 0


def insert_baseline(app: Flask, customer: BenchCustomer) -> float:
    """The same 1,000 rows the API stores, in one ``insert`` executemany and a commit."""
    with app.app_context():
        today, now = today_in_tallinn(), utcnow()
        rows = [{"meter_id": meter_id, "value": Decimal(repr(NEW_VALUE)), "reading_date": today,
                 "submitted_at": now, "submitted_by_id": customer.person_id,
                 "channel": ReadingChannel.API} for meter_id in customer.meter_ids]
        gc.collect()
        start = time.perf_counter()
        db.session.execute(insert(Reading), rows)
        db.session.commit()
        return time.perf_counter() - start


def bench_post(app: Flask, queries: dict[str, int], label: str) -> None:
    with app.app_context():
        add_utility()
        customers = [build_api_customer(100 + r, POST_READINGS) for r in range(POST_ROUNDS + 1)]
    client = app.test_client()
    api_times, base_times, statements = [], [], 0
    for index, customer in enumerate(customers):
        elapsed, statements = post_readings(client, customer, queries)
        with app.app_context():
            stored = saved_by_api(customer)
        if stored != POST_READINGS:
            raise RuntimeError(f"{stored} readings stored, not {POST_READINGS}")
        # The same rows again on the same meters (the API's are already there).
        baseline = insert_baseline(app, customer)
        if index:  # the first round warms up both
            api_times.append(elapsed)
            base_times.append(baseline)
    api, base = statistics.median(api_times), statistics.median(base_times)
    ratio = api / base
    print(f"POST /api/Readings of {POST_READINGS:,} readings on PostgreSQL ({label})")
    print(f"  {POST_ROUNDS} rounds after a warm-up, each on {POST_READINGS:,} fresh meters "
          f"with {HISTORY} monthly readings; every reading Success")
    print(f"  API (test client):            median {api * 1000:8.1f} ms  "
          f"(min {min(api_times) * 1000:.1f}, max {max(api_times) * 1000:.1f}), "
          f"{statements} SQL statements")
    print(f"  insert(Reading) executemany:  median {base * 1000:8.1f} ms  "
          f"(min {min(base_times) * 1000:.1f}, max {max(base_times) * 1000:.1f})")
    print(f"  ratio {ratio:.1f}x   goal <= {GOAL:.0f}x: {'met' if ratio <= GOAL else 'not met'}")


# --------------------------------------------------------------------------- GET


def bench_get(app: Flask, queries: dict[str, int], label: str, first_tag: int) -> None:
    with app.app_context():
        customers = {size: build_api_customer(first_tag + index, size)
                     for index, size in enumerate(GET_SIZES)}
    client = app.test_client()
    counts, medians = {}, {}
    for size, customer in customers.items():
        headers = {"X-API-Key": customer.key}
        response = client.get("/api/Readings", headers=headers)  # warm-up
        results = response.get_json()["results"] if response.status_code == 200 else []
        if len(results) != size or any(r["lastReading"] != 5 * (HISTORY - 1) for r in results):
            raise RuntimeError(f"GET answered {response.status_code} with {len(results)} meters")
        queries["count"] = 0
        client.get("/api/Readings", headers=headers)
        counts[size] = queries["count"]
        times = []
        for _ in range(GET_ROUNDS):
            gc.collect()
            start = time.perf_counter()
            client.get("/api/Readings", headers=headers)
            times.append(time.perf_counter() - start)
        medians[size] = statistics.median(times)
    print(f"GET /api/Readings on {label}")
    print(f"  {'meters':>7} {'queries':>8} {'ms/request':>11}  (median of {GET_ROUNDS})")
    for size in GET_SIZES:
        print(f"  {size:>7,} {counts[size]:>8} {medians[size] * 1000:>11.1f}")
    print(f"  query count constant: {'yes' if len(set(counts.values())) == 1 else 'no'}")


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        postgres = postgres_database()
        if postgres is not None:
            url, options, label = postgres
            app, queries = bench_app(tmp, SQLALCHEMY_DATABASE_URI=url,
                                     SQLALCHEMY_ENGINE_OPTIONS=options)
            bench_post(app, queries, label)
            print()
            bench_get(app, queries, f"PostgreSQL ({label})", 200)
            with app.app_context():
                db.drop_all()
                db.engine.dispose()
            print()
        else:
            print("POST /api/Readings on PostgreSQL: skipped (no server)")
            print()

        app, queries = bench_app(tmp, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench_api.db")
        with app.app_context():
            add_utility()
        bench_get(app, queries, "SQLite (a temporary file)", 200)
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    print()
    print(f"(whole benchmark {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
