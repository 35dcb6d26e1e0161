"""The API over real sockets: a client in another process, made for Tallinna Vesi's
API, with a key from ``flask api-keys create``; and concurrent retries of one
Idempotency-Key, which the unique constraint lets save once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import KATI, LiveServer
from webapp.extensions import db
from webapp.models import ApiIdempotentRequest, ApiKey, Meter, Reading, ReadingChannel
from webapp.services import api_keys
from webapp.services.access import actor_for_person, today_in_tallinn

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "docs" / "examples" / "tallinna_vesi_client.py"


def cli_key(live_server: LiveServer) -> str:
    """A key from ``flask api-keys create 49003030341``, run as an operator would."""
    env = {**os.environ, "PORTAL_ENV": "testing",
           "DATABASE_URL": live_server.app.config["SQLALCHEMY_DATABASE_URI"]}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "api-keys", "create",
                           KATI], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_tallinna_vesi_client_works_with_only_the_base_url_changed(
        live_server: LiveServer) -> None:
    key = cli_key(live_server)
    done = subprocess.run([sys.executable, str(CLIENT), live_server.url, key, "--send"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    numbers = {m["meterNr"] for m in report["meters"]}
    assert {"00456001", "00456002"} <= numbers
    history = report["smart"]["00456001"]
    assert history["meterNr"] == "00456001" and len(history["readings"]) == 24
    assert {r["status"] for r in report["results"]} == {"Success"}
    db.session.expire_all()
    for sent in report["sent"]:
        meter = db.session.scalar(select(Meter).where(Meter.number == sent["meterNumber"]))
        saved = db.session.scalars(select(Reading).where(
            Reading.meter_id == meter.id, Reading.replaced_by_id.is_(None))
            .order_by(Reading.reading_date.desc(), Reading.id.desc())).first()
        assert saved.channel == ReadingChannel.API
        assert saved.value == Decimal(str(sent["newReading"]))
        assert saved.reading_date == today_in_tallinn()


def _post(url: str, key: str, body: dict[str, Any], idempotency_key: str) -> tuple[int, Any]:
    request = urllib.request.Request(url + "/api/Readings", data=json.dumps(body).encode(),
                                     method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-API-Key", key)
    request.add_header("Idempotency-Key", idempotency_key)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


def _key_and_body() -> tuple[str, dict[str, Any], Meter]:
    from webapp.models import Person

    kati = db.session.scalar(select(Person).where(Person.personal_code == KATI))
    actor = actor_for_person(kati)
    customer = api_keys.key_customers(actor)[0].customer
    issued = api_keys.issue_key(actor, customer.id)
    db.session.commit()
    meter = db.session.scalars(select(Meter).where(Meter.number == "00345005")).one()
    last = db.session.scalars(select(Reading.value).where(Reading.meter_id == meter.id)
                              .order_by(Reading.reading_date.desc())).first()
    body = {"readings": [{"meterNumber": meter.number, "newReading": float(last + 1)}]}
    return issued.raw, body, meter


def _count(meter: Meter) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Reading)
                             .where(Reading.meter_id == meter.id))


def _needs_postgresql() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite lets one writer in at a time)")


def test_concurrent_retries_with_one_idempotency_key_save_once(live_server: LiveServer) -> None:
    _needs_postgresql()
    key, body, meter = _key_and_body()
    before = _count(meter)
    answers: list[tuple[int, Any]] = []
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        answers.append(_post(live_server.url, key, body, "same-batch"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4
    assert {status for status, _ in answers} == {200}
    assert all(payload == answers[0][1] for _, payload in answers)
    assert answers[0][1]["results"][0]["status"] == "Success"
    assert _count(meter) == before + 1


def test_a_retry_waits_for_the_first_request_and_returns_its_answer(
        live_server: LiveServer) -> None:
    """The first request is held open in the middle of its transaction; the retry
    blocks on the unique (key, Idempotency-Key) row, then answers what it stored."""
    _needs_postgresql()
    key, body, meter = _key_and_body()
    before = _count(meter)
    stored = db.session.scalar(select(ApiKey).where(ApiKey.revoked_at.is_(None)))
    first = ApiIdempotentRequest(api_key_id=stored.id, idempotency_key="held", status_code=0,
                                 response_body="", request_hash=_digest(body))
    db.session.add(first)
    db.session.flush()  # the row exists, uncommitted: the first request is "in flight"
    answers: list[tuple[int, Any]] = []
    retry = threading.Thread(target=lambda: answers.append(
        _post(live_server.url, key, body, "held")))
    retry.start()
    retry.join(timeout=1.0)
    assert retry.is_alive()  # waiting for the first request's transaction
    first.status_code = 200
    first.response_body = json.dumps({"results": [{"meterNumber": meter.number,
                                                   "status": "Success",
                                                   "message": "first answer"}]})
    db.session.commit()
    retry.join(timeout=30)
    assert answers == [(200, json.loads(first.response_body))]
    assert _count(meter) == before  # the retry saved nothing


def _digest(body: dict[str, Any]) -> str:
    import hashlib

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
