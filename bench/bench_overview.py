"""Customer overview: SQL queries and render time as the number of meters grows.

Prints figures; asserts nothing about time. The baseline is a bare Flask route
returning a constant, served by the same test client in the same run.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import secrets
import tempfile
import time
from decimal import Decimal

from flask import Flask
from sqlalchemy import event

os.environ.setdefault("PORTAL_ENV", "testing")

from webapp import create_app
from webapp.extensions import db
from webapp.models import (
    LoginSession,
    Meter,
    MeterKind,
    Person,
    Property,
    Reading,
    ReadingChannel,
    Site,
    SiteRole,
    SiteRoleKind,
)

REQUESTS = 30


def build_customer(personal_code: str, sites: int, meters_per_site: int) -> Person:
    person = Person(personal_code=personal_code, given_name="Bench", family_name="Mark")
    db.session.add(person)
    today = dt.date.today()
    for s in range(sites):
        prop = Property(cadastral_number=f"{personal_code[:5]}:{s:03d}:0001",
                        address=f"Bench tn {s + 1}")
        site = Site(code=f"B{personal_code}-{s}", property=prop, address=f"Bench tn {s + 1}")
        db.session.add(SiteRole(site=site, person=person, role=SiteRoleKind.OWNER,
                                valid_from=today - dt.timedelta(days=365)))
        for m in range(meters_per_site):
            meter = Meter(number=f"{personal_code[-4:]}{s:03d}{m:03d}", site=site,
                          kind=MeterKind.COLD_WATER, installed_on=today - dt.timedelta(days=900))
            db.session.add(meter)
            for month in range(12):
                db.session.add(Reading(meter=meter, value=Decimal(month * 5),
                                       reading_date=today - dt.timedelta(days=30 * (12 - month)),
                                       channel=ReadingChannel.WEB))
    db.session.commit()
    return person


def time_requests(client: object, path: str) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        client.get(path)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / REQUESTS


def bench_app(tmp: str, **config: object) -> tuple[Flask, dict[str, int]]:
    """The portal on an empty database of its own, with a bare route that returns a
    constant (``/bench-constant``, GET and POST: the baseline) and a count of the SQL
    statements it runs (``queries["count"]``)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
                      or f"sqlite:///{tmp}/bench.db", "TESTING": True, **config})

    @app.route("/bench-constant", methods=["GET", "POST"])
    def constant() -> str:
        return "ok"

    with app.app_context():
        db.drop_all()
        db.create_all()
        engine = db.engine
    queries = {"count": 0}
    event.listen(engine, "before_cursor_execute",
                 lambda *args: queries.__setitem__("count", queries["count"] + 1))
    gc.collect()
    gc.freeze()  # as wsgi.py does for the served app
    return app, queries


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, queries = bench_app(tmp)
        # Requests run outside any app context of ours, each in its own, as in production.
        baseline = time_requests(app.test_client(), "/bench-constant")

        print(f"{'meters':>7} {'queries':>8} {'ms/page':>9} {'x baseline':>11}")
        for index, (sites, per_site) in enumerate([(1, 5), (10, 10), (50, 10)]):
            code = ["48001010217", "37502020230", "49003030341"][index]
            with app.app_context():
                person = build_customer(code, sites, per_site)
                login = LoginSession(id=secrets.token_urlsafe(32), person_id=person.id)
                db.session.add(login)
                db.session.commit()
                login_id = login.id
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = login_id
            client.get("/my")  # warm-up: first-request work is not the page's
            queries["count"] = 0
            client.get("/my")
            per_page = queries["count"]
            elapsed = time_requests(client, "/my")
            print(f"{sites * per_site:>7} {per_page:>8} {elapsed * 1000:>9.1f} "
                  f"{elapsed / baseline:>11.1f}")
        with app.app_context():
            db.drop_all()


if __name__ == "__main__":
    main()
