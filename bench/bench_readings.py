"""Readings (ITB 1): the mass view as meters grow, a CSV preview of 10,000 rows, and
one reading sent through the web form against a bare Flask route.

Prints figures; asserts nothing about time. Ratios are against a route returning a
constant, served by the same test client in the same run.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("PORTAL_ENV", "testing")

from bench.bench_overview import bench_app, build_customer
from webapp.extensions import db
from webapp.models import LoginSession, Meter

ROUNDS = 20
CSV_ROWS = 10_000


def per_call(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - start) / rounds


def logged_in_client(app: object, person_id: int) -> object:
    with app.app_context():  # type: ignore[attr-defined]
        login = LoginSession(id=secrets.token_urlsafe(32), person_id=person_id)
        db.session.add(login)
        db.session.commit()
        login_id = login.id
    client = app.test_client()  # type: ignore[attr-defined]
    with client.session_transaction() as session:
        session["_user_id"] = login_id
    return client


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, queries = bench_app(tmp, WTF_CSRF_ENABLED=False)
        bare = app.test_client()
        baseline_get = per_call(lambda: bare.get("/bench-constant"))
        baseline_post = per_call(lambda: bare.post("/bench-constant", data={"x": "1"}))

        print("Mass view (GET /my/readings)")
        print(f"{'meters':>7} {'sites':>6} {'queries':>8} {'ms/page':>9} {'x baseline':>11}")
        clients = {}
        for code, sites, per_site in (("48001010217", 1, 5), ("49003030341", 50, 10)):
            with app.app_context():
                person_id = build_customer(code, sites, per_site).id
            client = logged_in_client(app, person_id)
            clients[code] = client
            client.get("/my/readings")  # type: ignore[attr-defined]  # warm-up
            queries["count"] = 0
            client.get("/my/readings")  # type: ignore[attr-defined]
            count = queries["count"]
            elapsed = per_call(lambda c=client: c.get("/my/readings"), 10)  # type: ignore[attr-defined,misc]
            print(f"{sites * per_site:>7} {sites:>6} {count:>8} {elapsed * 1000:>9.1f} "
                  f"{elapsed / baseline_get:>11.1f}")

        large = clients["49003030341"]
        with app.app_context():
            numbers = list(db.session.scalars(
                db.select(Meter.number).where(Meter.number.like("0341%")).order_by(Meter.number)))
        lines = ["meter;reading;date"]
        for index in range(CSV_ROWS):
            number = numbers[index] if index < len(numbers) else f"X{index:08d}"
            lines.append(f"{number};60,5;")
        body = "\r\n".join(lines).encode()

        def preview() -> object:
            return large.post("/my/readings/import", data={  # type: ignore[attr-defined]
                "file": (io.BytesIO(body), "readings.csv")}, content_type="multipart/form-data")

        assert preview().status_code == 200  # type: ignore[attr-defined]
        elapsed = per_call(preview, 3)
        print()
        print(f"CSV preview of {CSV_ROWS:,} rows ({len(numbers)} of them the customer's meters,"
              f" {len(body) / 1024:.0f} KiB)")
        print(f"  {elapsed:.2f} s per file, {CSV_ROWS / elapsed:,.0f} rows/s")

        small = clients["48001010217"]
        meter_id = re.search(r'name="reading-(\d+)"',
                             small.get("/my/readings").get_data(as_text=True)).group(1)  # type: ignore[attr-defined,union-attr]
        value = {"v": 60.0}

        def send_one() -> object:
            value["v"] += 0.001
            return small.post("/my/readings", data={  # type: ignore[attr-defined]
                "token": secrets.token_urlsafe(24), "channel": "web",
                f"reading-{meter_id}": f"{value['v']:.3f}"})

        assert send_one().status_code == 303  # type: ignore[attr-defined]
        elapsed = per_call(send_one, 50)
        print()
        print("One reading sent through the web form (POST /my/readings, then 303)")
        print(f"  {1 / elapsed:,.0f} requests/s; bare Flask POST {1 / baseline_post:,.0f} "
              f"requests/s; ratio {baseline_post / elapsed:.3f} of the bare route's rate "
              f"({elapsed / baseline_post:.1f} x its time)")
        with app.app_context():
            db.drop_all()


if __name__ == "__main__":
    main()
