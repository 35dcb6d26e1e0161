"""The business API (ITB 1.2.2): its exact JSON shapes, keys, errors, idempotency and
rate limits, through the test client."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.conftest import KATI, MARI, PEETER
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    BoardMember,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    Reading,
    ReadingChannel,
    Site,
    SiteRole,
    SiteRoleKind,
)
from webapp.services.access import today_in_tallinn

UTC_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
BUILDINGS = ("TK-20001", "TK-20002", "TK-20003")  # Kodu Haldus OÜ's sites, Kati owns them
SMART = "00456001"


def make_key(runner: Any, code: str = KATI, *extra: str) -> str:
    result = runner.invoke(args=["api-keys", "create", code, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def key(runner: Any, demo: None) -> str:
    return make_key(runner)


def get(client: FlaskClient, url: str, key: str | None, **headers: str) -> Any:
    if key is not None:
        headers["X-API-Key"] = key
    return client.get(url, headers=headers)


def post(client: FlaskClient, body: Any, key: str | None, **headers: str) -> Any:
    if key is not None:
        headers["X-API-Key"] = key
    return client.post("/api/Readings", json=body, headers=headers)


def meters_at(codes: tuple[str, ...], kind: MeterKind | None = None) -> list[Meter]:
    query = select(Meter).join(Site).where(Site.code.in_(codes),
                                           Meter.status == MeterStatus.ACTIVE)
    if kind is not None:
        query = query.where(Meter.kind == kind)
    return list(db.session.scalars(query.order_by(Meter.number)))


def last_value(meter: Meter) -> Decimal:
    return db.session.scalars(
        select(Reading.value).where(Reading.meter_id == meter.id,
                                    Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date.desc(), Reading.measured_at.desc(), Reading.id.desc())
    ).first()


def reading_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Reading))


def mechanical() -> Meter:
    return meters_at(BUILDINGS, MeterKind.COLD_WATER)[0]


# --------------------------------------------------------------------------- keys


def test_cli_key_lists_every_active_meter_of_katis_sites(client: FlaskClient, key: str) -> None:
    response = get(client, "/api/Readings", key)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    results = response.get_json()["results"]
    expected = meters_at(BUILDINGS)
    assert sorted(r["meterNr"] for r in results) == sorted(m.number for m in expected)
    for item in results:
        assert set(item) == {"address", "meterNr", "lastReading", "meterCodeName",
                             "lastReadingDate", "meterType"}
        assert isinstance(item["meterNr"], str) and isinstance(item["address"], str)
        assert isinstance(item["meterCodeName"], str) and item["meterCodeName"]
        assert item["meterType"] in {"Mechanical", "Smart"}
        assert isinstance(item["lastReading"], int | float)
        assert UTC_TEXT.match(item["lastReadingDate"])
    by_number = {r["meterNr"]: r for r in results}
    assert by_number[SMART]["meterType"] == "Smart"
    meter = mechanical()
    assert by_number[meter.number]["meterType"] == "Mechanical"
    assert Decimal(str(by_number[meter.number]["lastReading"])) == last_value(meter)
    # Leading zeros are kept: meter numbers are strings.
    assert by_number[SMART]["meterNr"] == "00456001"


def test_only_the_digest_of_a_key_is_stored(key: str) -> None:
    stored = db.session.scalars(select(ApiKey)).all()
    assert len(stored) == 1
    assert stored[0].key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in str(value) for value in vars(stored[0]).values())
    assert len(key) >= 3 + 43  # "vp_" and 32 random bytes in base64url


def test_cli_refuses_who_cannot_make_keys(runner: Any, demo: None) -> None:
    unknown = runner.invoke(args=["api-keys", "create", "39001010008"])
    assert unknown.exit_code == 1 and "No person" in unknown.output
    user = runner.invoke(args=["api-keys", "create", PEETER])
    assert user.exit_code == 1 and "owner or manager" in user.output
    wrong = runner.invoke(args=["api-keys", "create", KATI, "--customer", MARI])
    assert wrong.exit_code == 1 and "may not make API keys" in wrong.output
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0
    chosen = runner.invoke(args=["api-keys", "create", KATI, "--customer", "10123459"])
    assert chosen.exit_code == 0, chosen.output


def test_missing_unknown_revoked_and_expired_keys_are_401(client: FlaskClient, runner: Any,
                                                          key: str) -> None:
    missing = get(client, "/api/Readings", None)
    assert missing.status_code == 401
    assert missing.get_json() == {"status": "error", "message": "Missing X-API-Key header."}
    assert get(client, "/api/Readings", "vp_nonsense").status_code == 401
    # A new key makes the old one fail at once.
    newer = make_key(runner)
    old = get(client, "/api/Readings", key)
    assert old.status_code == 401 and old.get_json()["status"] == "error"
    assert get(client, "/api/Readings", newer).status_code == 200
    db.session.execute(update(ApiKey).where(ApiKey.revoked_at.is_(None))
                       .values(expires_on=today_in_tallinn() - dt.timedelta(days=1)))
    db.session.commit()
    expired = get(client, "/api/Readings", newer)
    assert expired.status_code == 401 and "expired" in expired.get_json()["message"]


def test_expiry_day_itself_still_works(client: FlaskClient, key: str) -> None:
    db.session.execute(update(ApiKey).values(expires_on=today_in_tallinn()))
    db.session.commit()
    assert get(client, "/api/Readings", key).status_code == 200


def test_allowed_ranges_refuse_other_addresses_with_403(app: Flask, key: str) -> None:
    db.session.execute(update(ApiKey).values(allowed_networks="192.0.2.0/24\n2001:db8::/32"))
    db.session.commit()
    client = app.test_client()
    inside = client.get("/api/Readings", headers={"X-API-Key": key},
                        environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert inside.status_code == 200
    refused = client.get("/api/Readings", headers={"X-API-Key": key},
                         environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert refused.status_code == 403 and refused.get_json()["status"] == "error"
    stored = db.session.scalars(select(ApiKey)).one()
    db.session.refresh(stored)
    assert stored.last_used_from == "192.0.2.44"  # the refused call is not a use


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
        app_factory: Callable[..., Flask], key: str) -> None:
    db.session.execute(update(ApiKey).values(allowed_networks="192.0.2.0/24"))
    db.session.commit()
    forwarded = {"X-API-Key": key, "X-Forwarded-For": "192.0.2.9"}
    direct = app_factory().test_client()
    assert direct.get("/api/Readings", headers=forwarded).status_code == 403  # not believed
    proxied = app_factory(TRUSTED_PROXIES=1).test_client()
    assert proxied.get("/api/Readings", headers=forwarded).status_code == 200


def test_a_key_stops_when_its_makers_role_ends(client: FlaskClient, key: str) -> None:
    kati = db.session.scalar(select(Person).where(Person.personal_code == KATI))
    db.session.execute(BoardMember.__table__.delete().where(BoardMember.person_id == kati.id))
    db.session.execute(update(SiteRole).where(SiteRole.person_id == kati.id)
                       .values(revoked_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    refused = get(client, "/api/Readings", key)
    assert refused.status_code == 401
    assert "owner or manager" in refused.get_json()["message"]


def test_a_managers_key_sees_only_the_sites_they_manage(client: FlaskClient, runner: Any,
                                                         demo: None) -> None:
    peeter = db.session.scalar(select(Person).where(Person.personal_code == PEETER))
    kingu = db.session.scalar(select(Site).where(Site.code == "TK-20002"))
    role = SiteRole(site_id=kingu.id, person_id=peeter.id, role=SiteRoleKind.MANAGER,
                    valid_from=dt.date(2020, 1, 1))
    db.session.add(role)
    db.session.commit()
    key = make_key(runner, PEETER)
    seen = {r["meterNr"] for r in get(client, "/api/Readings", key).get_json()["results"]}
    assert seen == {m.number for m in meters_at(("TK-20002",))}
    # A meter of another of the customer's sites is not this key's.
    elsewhere = meters_at(("TK-20001",), MeterKind.COLD_WATER)[0]
    result = post(client, {"readings": [{"meterNumber": elsewhere.number, "newReading": 1e6}]},
                  key).get_json()["results"][0]
    assert result["status"] == "Failed"
    smart = get(client, f"/api/SmartMeter/GetSmartMeterReadings?meterNr={SMART}", key)
    assert smart.status_code == 404 and smart.get_json()["status"] == "error"
    assert get(client, "/api/SmartMeter/GetSupplyPointsWithSmartMeter", key).get_json() == []
    # When the role ends, the key stops working.
    role.revoked_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    assert get(client, "/api/Readings", key).status_code == 401


# --------------------------------------------------------------------------- POST /api/Readings


def test_post_saves_the_valid_readings_and_reports_each_in_order(client: FlaskClient,
                                                                  key: str) -> None:
    cold = meters_at(BUILDINGS, MeterKind.COLD_WATER)
    good, low, warned, confirmed = cold[0], cold[1], cold[2], cold[3]
    before = reading_count()
    body = {"readings": [
        {"meterNumber": good.number, "newReading": float(last_value(good) + Decimal("1.25")),
         "submitWithWarnings": False},
        {"meterNumber": low.number, "newReading": float(last_value(low) - 1)},
        {"meterNumber": warned.number, "newReading": float(last_value(warned) + 5000)},
        {"meterNumber": confirmed.number, "newReading": float(last_value(confirmed) + 5000),
         "submitWithWarnings": True},
        {"meterNumber": "99999999", "newReading": 1},
        {"meterNumber": SMART, "newReading": 1},
        {"meterNumber": good.number, "newReading": float(last_value(good) + 2)},
    ]}
    response = post(client, body, key)
    assert response.status_code == 200 and response.mimetype == "application/json"
    results = response.get_json()["results"]
    assert [r["meterNumber"] for r in results] == [r["meterNumber"] for r in body["readings"]]
    assert [r["status"] for r in results] == ["Success", "Failed", "Failed", "Success",
                                              "Failed", "Failed", "Failed"]
    assert all(set(r) == {"meterNumber", "status", "message"} and r["message"] for r in results)
    assert "lower than the last one" in results[1]["message"]
    assert "submitWithWarnings" in results[2]["message"]
    assert "already in the request" in results[6]["message"]
    assert reading_count() == before + 2
    saved = db.session.scalars(select(Reading).where(Reading.channel == ReadingChannel.API,
                                                     Reading.measured_at.is_(None))).all()
    assert {r.meter_id for r in saved} == {good.id, confirmed.id}
    assert next(r for r in saved if r.meter_id == good.id).value == \
        last_value(good)  # the new one is now the last
    assert all(r.reading_date == today_in_tallinn() for r in saved)


def test_submitted_readings_appear_in_the_portal(client: FlaskClient, key: str,
                                                 login: Callable[[str], FlaskClient]) -> None:
    meter = mechanical()
    value = last_value(meter) + Decimal("3.5")
    post(client, {"readings": [{"meterNumber": meter.number, "newReading": float(value)}]}, key)
    page = login(KATI).get(f"/my/meters/{meter.id}")
    assert page.status_code == 200
    assert f"{value:,.3f}" in page.get_data(as_text=True)  # the test pages are English


def test_a_same_day_api_reading_replaces_the_earlier_one(client: FlaskClient, key: str) -> None:
    meter = mechanical()
    first = float(last_value(meter) + 1)
    post(client, {"readings": [{"meterNumber": meter.number, "newReading": first}]}, key)
    post(client, {"readings": [{"meterNumber": meter.number, "newReading": first + 1}]}, key)
    today = db.session.scalars(select(Reading).where(
        Reading.meter_id == meter.id, Reading.reading_date == today_in_tallinn())
        .order_by(Reading.id)).all()
    assert len(today) == 2 and today[0].replaced_by_id == today[1].id
    assert today[1].value == Decimal(str(first + 1))


@pytest.mark.parametrize(("body", "field"), [
    ({"readings": [{"meterNumber": "00345005", "newReading": "12.5"}]}, "readings[0].newReading"),
    ({"readings": [{"meterNumber": 345005, "newReading": 12.5}]}, "readings[0].meterNumber"),
    ({"readings": [{"meterNumber": "00345005"}]}, "readings[0].newReading"),
    ({"readings": [{"meterNumber": "00345005", "newReading": 1,
                    "submitWithWarnings": "yes"}]}, "readings[0].submitWithWarnings"),
    ({"readings": [{"meterNumber": "\u0000P", "newReading": 1}]}, "readings[0].meterNumber"),
    ({"readings": [{"meterNumber": "0034\n5005", "newReading": 1}]}, "readings[0].meterNumber"),
    ({"readings": []}, "readings"),
    ({"reading": []}, "readings"),
    ({"readings": "00345005"}, "readings"),
])
def test_a_malformed_body_is_400_naming_the_field(client: FlaskClient, key: str,
                                                   body: Any, field: str) -> None:
    before = reading_count()
    response = post(client, body, key)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["status"] == "error" and field in payload["message"]
    assert reading_count() == before


@pytest.mark.parametrize("data", ["{bad json", "[1, 2]", '"text"', "",
                                  "[" * 100_000 + "]" * 100_000,
                                  '{"readings": ' + "[" * 50_000 + "]" * 50_000 + "}"],
                         ids=["malformed", "array", "string", "empty", "deep", "deep-inside"])
def test_a_body_that_is_no_json_object_is_400(client: FlaskClient, key: str, data: str) -> None:
    response = client.post("/api/Readings", data=data, content_type="application/json",
                           headers={"X-API-Key": key})
    assert response.status_code == 400 and response.get_json()["status"] == "error"


def test_a_form_body_is_400(client: FlaskClient, key: str) -> None:
    response = client.post("/api/Readings", data={"readings": "1"}, headers={"X-API-Key": key})
    assert response.status_code == 400 and "application/json" in response.get_json()["message"]


def test_nan_and_infinity_are_refused(client: FlaskClient, key: str) -> None:
    response = client.post("/api/Readings", content_type="application/json",
                           data='{"readings": [{"meterNumber": "00345005", "newReading": NaN}]}',
                           headers={"X-API-Key": key})
    assert response.status_code == 400


def test_more_than_1000_readings_is_413_and_saves_nothing(client: FlaskClient, key: str) -> None:
    meter = mechanical()
    before = reading_count()
    item = {"meterNumber": meter.number, "newReading": float(last_value(meter) + 1)}
    response = post(client, {"readings": [item] * 1001}, key)
    assert response.status_code == 413
    assert response.get_json()["status"] == "error"
    assert "1000" in response.get_json()["message"]
    assert reading_count() == before
    assert post(client, {"readings": [item] * 1000}, key).status_code == 200


def test_messages_follow_accept_language(client: FlaskClient, key: str) -> None:
    body = {"readings": [{"meterNumber": "99999999", "newReading": 1}]}
    english = post(client, body, key).get_json()["results"][0]["message"]
    estonian = post(client, body, key, **{"Accept-Language": "et"}
                    ).get_json()["results"][0]["message"]
    assert english.startswith("Unknown meter number")
    assert estonian != english


# --------------------------------------------------------------------------- idempotency


def test_the_same_idempotency_key_and_body_saves_once(client: FlaskClient, key: str) -> None:
    meter = mechanical()
    body = {"readings": [{"meterNumber": meter.number,
                          "newReading": float(last_value(meter) + 1)}]}
    before = reading_count()
    first = post(client, body, key, **{"Idempotency-Key": "batch-2026-12-01"})
    again = post(client, body, key, **{"Idempotency-Key": "batch-2026-12-01"})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert first.get_json()["results"][0]["status"] == "Success"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert reading_count() == before + 1
    other = dict(body, readings=[dict(body["readings"][0], newReading=1e7)])
    conflict = post(client, other, key, **{"Idempotency-Key": "batch-2026-12-01"})
    assert conflict.status_code == 422 and conflict.get_json()["status"] == "error"
    assert reading_count() == before + 1


def test_idempotency_keys_belong_to_one_api_key(client: FlaskClient, runner: Any,
                                                key: str) -> None:
    body = {"readings": [{"meterNumber": "99999999", "newReading": 1}]}
    post(client, body, key, **{"Idempotency-Key": "k1"})
    newer = make_key(runner)
    fresh = post(client, body, newer, **{"Idempotency-Key": "k1"})
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers


def test_an_overlong_idempotency_key_is_400(client: FlaskClient, key: str) -> None:
    body = {"readings": [{"meterNumber": "99999999", "newReading": 1}]}
    response = post(client, body, key, **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["message"]


# --------------------------------------------------------------------------- SmartMeter


def test_supply_points_with_smart_meters(client: FlaskClient, key: str) -> None:
    response = get(client, "/api/SmartMeter/GetSupplyPointsWithSmartMeter", key)
    assert response.status_code == 200
    points = response.get_json()
    assert isinstance(points, list)
    assert sorted(p["meterNr"] for p in points) == ["00456001", "00456002"]
    for point in points:
        assert set(point) == {"meterNr", "supplyPointId", "objectId", "address"}
        assert all(isinstance(value, str) for value in point.values())
        assert point["supplyPointId"] == "TK-20001"
        assert point["objectId"] == "34901:002:0710"


def smart(client: FlaskClient, key: str, query: str) -> Any:
    return client.get(f"/api/SmartMeter/GetSmartMeterReadings?{query}",
                      headers={"X-API-Key": key})


def test_smart_meter_intervals_chain_in_ascending_order(client: FlaskClient, key: str) -> None:
    response = smart(client, key, f"meterNr={SMART}")
    assert response.status_code == 200
    payload = response.get_json()
    assert set(payload) == {"readings", "supplyPointId", "meterNr", "errors"}
    assert payload["meterNr"] == SMART and payload["supplyPointId"] == "TK-20001"
    assert payload["errors"] == []
    items = payload["readings"]
    assert len(items) == 50  # the default page size
    for item in items:
        assert set(item) == {"reading", "readingEnd", "readingDate"}
        assert isinstance(item["reading"], int | float)
        assert isinstance(item["readingEnd"], int | float)
        assert UTC_TEXT.match(item["readingDate"])
        assert item["readingEnd"] >= item["reading"]
    dates = [item["readingDate"] for item in items]
    assert dates == sorted(dates)
    for earlier, later in itertools.pairwise(items):
        assert earlier["readingEnd"] == later["reading"]
    first = db.session.scalars(select(Reading).join(Meter).where(Meter.number == SMART)
                               .order_by(Reading.measured_at)).first()
    assert dates[0] == first.measured_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert items[0]["reading"] == float(first.value)


@pytest.mark.parametrize("order", ["ReadingDate+DESC", "ReadingDate%20DESC", "readingdate+desc",
                                   "READINGDATE%20%20DESC"])
def test_descending_order_in_any_case_and_spacing(client: FlaskClient, key: str,
                                                  order: str) -> None:
    items = smart(client, key, f"meterNr={SMART}&orderBy={order}&pageSize=5").get_json()
    dates = [item["readingDate"] for item in items["readings"]]
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)


def test_paging(client: FlaskClient, key: str) -> None:
    whole = smart(client, key, f"meterNr={SMART}&pageSize=500&pageNo=1").get_json()["readings"]
    assert len(whole) == 500
    second = smart(client, key, f"meterNr={SMART}&pageSize=100&pageNo=2").get_json()["readings"]
    assert second == whole[100:200]
    past = smart(client, key, f"meterNr={SMART}&pageSize=500&pageNo=999")
    assert past.status_code == 200 and past.get_json()["readings"] == []


def test_from_and_to_bound_the_start_in_any_offset(client: FlaskClient, key: str) -> None:
    items = smart(client, key, f"meterNr={SMART}&pageSize=10").get_json()["readings"]
    start = dt.datetime.strptime(items[2]["readingDate"], "%Y-%m-%dT%H:%M:%S.%fZ")
    local = (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")  # as +02:00
    end = (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    found = smart(client, key, f"meterNr={SMART}&from={local}%2B02:00&to={end}").get_json()
    assert [i["readingDate"] for i in found["readings"]] == \
        [i["readingDate"] for i in items[2:5]]
    plain = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = smart(client, key, f"meterNr={SMART}&from={plain}&pageSize=1").get_json()
    assert found["readings"][0]["readingDate"] == items[2]["readingDate"]


@pytest.mark.parametrize(("query", "field"), [
    ("", "meterNr"),
    (f"meterNr={SMART}&orderBy=ReadingDate", "orderBy"),
    (f"meterNr={SMART}&orderBy=reading_date%3Bdrop%20table%20reading", "orderBy"),
    (f"meterNr={SMART}&orderBy=Value+DESC", "orderBy"),
    (f"meterNr={SMART}&pageSize=501", "pageSize"),
    (f"meterNr={SMART}&pageSize=0", "pageSize"),
    (f"meterNr={SMART}&pageNo=0", "pageNo"),
    (f"meterNr={SMART}&pageNo=two", "pageNo"),
    (f"meterNr={SMART}&from=2026-04-01T08:30:00", "from"),
    (f"meterNr={SMART}&from=1700000000", "from"),
    (f"meterNr={SMART}&to=yesterday", "to"),
    ("meterNr=%00456001", "meterNr"),
    (f"meterNr={SMART}&contractNumber=A%00", "contractNumber"),
])
def test_bad_parameters_are_400_naming_the_field(client: FlaskClient, key: str, query: str,
                                                 field: str) -> None:
    response = smart(client, key, query)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["status"] == "error" and field in payload["message"]


def test_unknown_and_invisible_meters_are_404(client: FlaskClient, key: str) -> None:
    for number in ("99999999", "00123456", mechanical().number):
        response = smart(client, key, f"meterNr={number}")
        assert response.status_code == 404 and response.get_json()["status"] == "error"


def test_contract_and_consumption_point_filters(client: FlaskClient, key: str) -> None:
    assert smart(client, key, f"meterNr={SMART}&consumptionPointNumber=TK-20001"
                 ).status_code == 200
    assert smart(client, key, f"meterNr={SMART}&consumptionPointNumber=TK-20002"
                 ).status_code == 404
    assert smart(client, key, f"meterNr={SMART}&contractNumber=NOPE").status_code == 404


# --------------------------------------------------------------------------- errors and limits


def test_errors_under_api_are_json_never_html(client: FlaskClient, key: str) -> None:
    for response in (client.put("/api/Readings", headers={"X-API-Key": key}),
                     client.delete("/api/SmartMeter/GetSupplyPointsWithSmartMeter"),
                     client.get("/api/NoSuchThing"),
                     client.get("/api")):
        assert response.mimetype == "application/json", response.status_code
        assert response.get_json()["status"] == "error"
    assert client.put("/api/Readings").status_code == 405


def test_a_session_is_no_credential(login: Callable[[str], FlaskClient]) -> None:
    assert login(KATI).get("/api/Readings").status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(app_factory: Callable[..., Flask],
                                                     runner: Any, demo: None) -> None:
    key = make_key(runner)
    limited = app_factory(API_RATE_LIMIT="3 per minute").test_client()
    statuses = [get(limited, "/api/Readings", key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = get(limited, "/api/Readings", key)
    assert refused.mimetype == "application/json"
    assert refused.get_json()["status"] == "error"
    assert int(refused.headers["Retry-After"]) > 0
    # Each key has its own count.
    other = app_factory(API_RATE_LIMIT="3 per minute").test_client()
    assert get(other, "/api/Readings", None).status_code == 401


def test_the_default_limit_lets_a_normal_burst_pass(client: FlaskClient, key: str) -> None:
    statuses = {get(client, "/api/SmartMeter/GetSupplyPointsWithSmartMeter", key).status_code
                for _ in range(130)}
    assert statuses == {200}


def test_rate_limit_counts_can_live_in_redis(app_factory: Callable[..., Flask], runner: Any,
                                             demo: None) -> None:
    import redis

    database = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(database).flushdb()
    key = make_key(runner)
    first = app_factory(API_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI=database)
    assert [get(first.test_client(), "/api/Readings", key).status_code
            for _ in range(2)] == [200, 200]
    # Another worker with the same storage sees the same count.
    second = app_factory(API_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI=database)
    assert get(second.test_client(), "/api/Readings", key).status_code == 429
    redis.Redis.from_url(database).flushdb()


def test_an_unreachable_rate_limit_store_does_not_break_the_api(
        app_factory: Callable[..., Flask], key: str) -> None:
    broken = app_factory(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    assert get(broken.test_client(), "/api/Readings", key).status_code == 200


def test_openapi_document_is_public_and_3_1(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    spec = document.get_json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/api/Readings", "/api/SmartMeter/GetSmartMeterReadings",
                                  "/api/SmartMeter/GetSupplyPointsWithSmartMeter"}
    assert set(spec["paths"]["/api/Readings"]) == {"get", "post"}
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "name": "X-API-Key", "in": "header",
        "description": spec["components"]["securitySchemes"]["ApiKey"]["description"]}
    names = {p["name"] for p in
             spec["paths"]["/api/SmartMeter/GetSmartMeterReadings"]["get"]["parameters"]}
    assert {"meterNr", "from", "to", "pageNo", "pageSize", "orderBy", "contractNumber",
            "consumptionPointNumber"} <= names


def test_get_readings_needs_the_same_queries_for_any_number_of_meters(
        client: FlaskClient, key: str) -> None:
    from tests.web.test_readings import add_meters, count_queries

    # "Last used" is noted at most once a minute: after the first call, none writes it.
    assert get(client, "/api/Readings", key).status_code == 200
    client.environ_base["HTTP_X_API_KEY"] = key
    add_meters("TK-20002", 5)
    few = count_queries(client, "/api/Readings")
    add_meters("TK-20002", 300)
    many = count_queries(client, "/api/Readings")
    assert len(get(client, "/api/Readings", key).get_json()["results"]) == 14 + 305
    assert few == many


def test_a_failing_database_is_a_json_503_and_saves_nothing(
        client: FlaskClient, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    meter = mechanical()
    before = reading_count()

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(db.session, "commit", broken)
    response = post(client, {"readings": [{"meterNumber": meter.number,
                                           "newReading": float(last_value(meter) + 1)}]}, key)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    assert "nothing was saved" in response.get_json()["message"]
    db.session.rollback()
    assert reading_count() == before
