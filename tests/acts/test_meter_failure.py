"""The settlement of a failed meter's use (KEE §38(1)) and after a control verification
beyond the tolerance (KEE §38(2), §37(7)) through the staff pages and the service:
the months' use from the readings (interpolated at the month edges as billing does),
months without readings named, a verification within the tolerance refused, and the
issued PDF with Estonian number formats and the clauses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.acts.helpers import assert_estonian_words, pdftotext
from tests.conftest import INSPECTOR, csrf_token_from
from webapp.domain import billing as billing_rules
from webapp.domain.readings import PastReading
from webapp.extensions import db
from webapp.models import (
    ActKind,
    ActStatus,
    Meter,
    MeterKind,
    OfficialDocument,
    Reading,
    ReadingChannel,
    Site,
)
from webapp.services import acts
from webapp.services.act_kinds import meter_failure
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Findings", "Use estimated", "Month", "Together"]

# The worked example of KEE §38(1), by hand:
#   failure found 15.03.2026, new meter installed 20.03.2026;
#   the three calendar months before March: 12.2025, 01.2026, 02.2026.
#   Readings: 20.11.2025 97.000 and 10.12.2025 103.000 -> at the end of 30.11.2025
#   interpolated 97 + 6 x 10/20 = 100.000 (as billing interpolates a period's edge);
#   31.12.2025 109.300, 31.01.2026 119.300, 28.02.2026 127.900.
#   Use: Dec 109.3 - 100.0 = 9.300, Jan 10.000, Feb 8.600: 27.900 m³ over
#   31 + 31 + 28 = 90 days = 0.310 m³ a day.
#   Days: 01.03 up to (not including) 20.03 = 19; 0.31 x 19 = 5.89 -> 6 m³ (KEE §41(1)).
#   A reading of 31.03.2026 (after the finding) is not trusted and changes nothing.
FAILURE_READINGS = [
    (dt.date(2025, 11, 20), "97.000"), (dt.date(2025, 12, 10), "103.000"),
    (dt.date(2025, 12, 31), "109.300"), (dt.date(2026, 1, 31), "119.300"),
    (dt.date(2026, 2, 28), "127.900"), (dt.date(2026, 3, 31), "999.000"),
]
FAILURE = {"case": "failure", "found_on": "2026-03-15", "replaced_on": "2026-03-20",
           "notes": "The register wheel stood still."}


def _site() -> Site:
    site = db.session.scalar(select(Site).where(Site.code == SITE))
    assert site is not None
    return site


def _meter(number: str, readings: list[tuple[dt.date, str]]) -> Meter:
    meter = Meter(number=number, site=_site(), kind=MeterKind.COLD_WATER,
                  installed_on=dt.date(2025, 1, 2))
    db.session.add(meter)
    db.session.flush()
    for day, value in readings:
        db.session.add(Reading(meter_id=meter.id, value=Decimal(value), reading_date=day,
                               channel=ReadingChannel.WEB))
    db.session.commit()
    return meter


def _draft(client: FlaskClient) -> int:
    page = client.get("/staff/acts/")
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "meter_failure", "site_code": SITE})
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])




@pytest.mark.usefixtures("demo")
def test_failed_meter_use_from_three_months_is_issued(login: Login, tmp_path: Path) -> None:
    meter = _meter("T38-0001", FAILURE_READINGS)
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    page = inspector.get(f"/staff/acts/{doc_id}")
    assert page.status_code == 200 and f'value="{meter.id}"' in page.text
    token = csrf_token_from(page.text)
    filled = {"csrf_token": token, "meter_id": str(meter.id), **FAILURE}

    preview = inspector.post(f"/staff/acts/{doc_id}/preview", data=filled)
    assert preview.status_code == 200
    text = preview.text.replace("\u00a0", " ")
    assert "0,310" in text or "0.310" in text  # the daily average, in the act's language
    assert "27,900" in text or "27.900" in text
    assert "KEE §38(1); §41(1)" in text, text

    saved = inspector.post(f"/staff/acts/{doc_id}", data=filled)
    assert saved.status_code == 303, saved.text
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.meter_id == meter.id

    before = last_number("RIK", dt.date.today().year)
    issued = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                  "confirm": "y"})
    assert issued.status_code == 303
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED and doc.number.startswith("RIK-")
    assert last_number("RIK", doc.year) == before + 1 or doc.year != dt.date.today().year
    estimate = doc.result["estimate"]
    assert [m["use_m3"] for m in doc.result["months"]] == ["9.300", "10.000", "8.600"]
    assert doc.result["months"][0]["start_value"] == "100.000"  # interpolated at 30.11
    assert estimate["base_days"] == 90 and Decimal(estimate["base_use_m3"]) == Decimal("27.9")
    assert estimate["daily_average_m3"] == "0.310" and estimate["days"] == 19
    assert estimate["volume_m3"] == 6
    # Not set on issue: billing would bill the whole months at the average (module text).
    db.session.refresh(meter)
    assert meter.failure_found_on is None

    # The act's average is billing's own average of the same readings (KEE §38(1)).
    trusted = [PastReading(day, Decimal(value)) for day, value in FAILURE_READINGS
               if day < dt.date(2026, 3, 15)]
    assert billing_rules.failed_meter_daily_use(trusted, dt.date(2026, 3, 15)) \
        .quantize(Decimal("0.001")) == Decimal("0.310")

    pdf = acts.preview_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    pdf_text = pdftotext(pdf)
    assert doc.number in pdf_text
    assert "15.03.2026" in pdf_text and "20.03.2026" in pdf_text
    assert "01.03.2026" in pdf_text
    # Estonian number formats: decimal comma
    assert "27,900" in pdf_text and "0,310" in pdf_text and "9,300" in pdf_text
    assert "100,000" in pdf_text
    assert "KEE §38(1)" in pdf_text and "§41(1)" in pdf_text
    assert "T38-0001" in pdf_text
    assert_estonian_words(pdf_text, list(ESTONIAN_WORDS))


@pytest.mark.usefixtures("demo")
def test_months_without_readings_are_named(login: Login) -> None:
    # Readings only from 31.01.2026: December 2025 (its start, 30.11.2025) and nothing
    # before 31.12.2025 for January's start either.
    meter = _meter("T38-0002", [(dt.date(2026, 1, 31), "50.000"),
                                (dt.date(2026, 2, 28), "60.000")])
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    filled = {"csrf_token": token, "meter_id": str(meter.id), **FAILURE}
    preview = inspector.post(f"/staff/acts/{doc_id}/preview", data=filled)
    assert "12.2025, 01.2026" in preview.text, preview.text
    assert "KEE §38(1)" in preview.text
    inspector.post(f"/staff/acts/{doc_id}", data=filled)
    before = last_number("RIK", dt.date.today().year)
    refused = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                   "confirm": "y"})
    assert refused.status_code == 422 and "12.2025, 01.2026" in refused.text
    assert last_number("RIK", dt.date.today().year) == before
    assert db.session.get(OfficialDocument, doc_id).status is ActStatus.DRAFT


@pytest.mark.usefixtures("demo")
def test_bad_dates_are_refused_beside_the_field(login: Login) -> None:
    meter = _meter("T38-0003", FAILURE_READINGS)
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    early = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, "meter_id": str(meter.id), **FAILURE, "replaced_on": "2026-02-27"})
    assert "01.03.2026" in early.text and "first day of the month settled" in early.text
    before = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, "meter_id": str(meter.id), **FAILURE, "replaced_on": "2026-03-10"})
    assert "before the failure was found" in before.text
    no_meter = inspector.post(f"/staff/acts/{doc_id}", data={
        "csrf_token": token, **FAILURE, "meter_id": ""})
    assert no_meter.status_code == 422 and "Choose the meter." in no_meter.text
    assert db.session.get(OfficialDocument, doc_id).data == {}


@pytest.fixture
def in_request(app: Flask) -> Iterator[None]:
    """The service's messages are translated: they need a request (English here)."""
    with app.test_request_context("/"):
        yield


def _service_draft(meter: Meter, data: dict[str, str]) -> OfficialDocument:
    doc = acts.create_draft(ActKind.METER_FAILURE, _site(), None, data=data)
    doc.meter_id = meter.id
    db.session.flush()
    return doc


@pytest.mark.usefixtures("demo", "in_request")
def test_control_verification_settles_what_was_entered() -> None:
    # KEE §38(2): verified 12.05.2026 at +5 per cent, new meter 20.05.2026: settled from
    # 01.02.2026 up to 20.05.2026 = 28 + 31 + 30 + 19 = 108 days. Entered 300 m³:
    # true 300 / 1.05 = 285.714, 14.286 -> 14 m³ credited to the customer.
    meter = _meter("T38-0004", FAILURE_READINGS)
    doc = _service_draft(meter, {"case": "control_verification", "found_on": "2026-05-12",
                                 "replaced_on": "2026-05-20", "error_percent": "5",
                                 "tolerance_percent": "2", "measured_m3": "300"})
    result = acts.compute(doc)
    settlement = result["settlement"]
    assert settlement["period_start"] == "2026-02-01" and settlement["days"] == 108
    assert settlement["true_m3"] == "285.714" and settlement["settlement_m3"] == 14
    assert result["measured_from"] == "entered"
    html = acts.body_html(doc, result, "et").replace("\u00a0", " ")
    assert "285,714" in html and "KEE §38(2)" in html


@pytest.mark.usefixtures("demo", "in_request")
def test_control_verification_reads_the_meter_and_refuses_within_tolerance() -> None:
    # Readings 31.01.2026 500.000 and 31.05.2026 560.000: at the end of 19.05.2026
    # (the day before the new meter) 500 + 60 x 108/120 = 554.000; registered 54.000.
    # At -10 per cent: true 54 / 0.9 = 60.000; the meter registered 6 m³ too little:
    # -6 (charged).
    meter = _meter("T38-0005", [(dt.date(2026, 1, 31), "500.000"),
                                (dt.date(2026, 5, 31), "560.000")])
    data = {"case": "control_verification", "found_on": "2026-05-12",
            "replaced_on": "2026-05-20", "error_percent": "-10", "tolerance_percent": "",
            "measured_m3": ""}
    doc = _service_draft(meter, data)
    result = acts.compute(doc)
    assert result["measured_from"] == "readings"
    assert result["start_value"] == "500.000" and result["end_value"] == "554.000"
    assert result["tolerance_percent"] == "2"  # the default
    assert result["settlement"]["settlement_m3"] == -6
    assert "too little" in acts.body_html(doc, result, "en")

    doc.data = {**data, "error_percent": "1.5"}
    with pytest.raises(acts.ActError) as within:
        acts.compute(doc)
    assert within.value.field == "error_percent" and "KEE §38(2)" in within.value.message
    doc.data = {**data, "error_percent": "-2"}  # exactly the tolerance: not beyond it
    with pytest.raises(acts.ActError) as at_limit:
        acts.compute(doc)
    assert at_limit.value.field == "error_percent"
    doc.data = {**data, "error_percent": ""}
    with pytest.raises(acts.ActError) as missing:
        acts.compute(doc)
    assert missing.value.field == "error_percent"
    doc.data = {**data, "found_on": "2026-08-12", "replaced_on": "2026-08-20"}
    with pytest.raises(acts.ActError) as unread:  # no reading after 31.05.2026
        acts.compute(doc)
    assert unread.value.field == "measured_m3"


@pytest.mark.usefixtures("in_request")
def test_the_months_use_helper_names_each_missing_month() -> None:
    readings = [PastReading(dt.date(2025, 12, 31), Decimal("10")),
                PastReading(dt.date(2026, 1, 31), Decimal("20"))]
    use, shown = meter_failure.monthly_use(readings, [(2026, 1)])
    assert use == {(2026, 1): Decimal("10")} and shown[0]["days"] == 31
    with pytest.raises(acts.ActError) as refused:
        meter_failure.monthly_use(readings, [(2025, 12), (2026, 1), (2026, 2)])
    assert "12.2025, 02.2026" in refused.value.message
