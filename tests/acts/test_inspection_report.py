"""The inspection report of a water connection and meter node (KEE §36, §37(2)-(3),
§37(8)) through the staff pages: the meter's seal and verification compared, photos
attached (and refused when they are no photo, too many, or the act is issued), and the
issued PDF with the photo embedded and the Estonian formats."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from tests.acts.helpers import assert_estonian_words, et, pdftotext
from tests.conftest import INSPECTOR, csrf_token_from
from webapp.extensions import db
from webapp.models import ActAttachment, ActStatus, Meter, OfficialDocument, Reading, ReadingChannel
from webapp.services import acts

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house: meter 00123456, seal SV-104512
METER = "00123456"

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Inspection", "Findings", "Photos", "The customer's duties"]


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(out, format="PNG")
    return out.getvalue()


def _draft(client: FlaskClient) -> int:
    page = client.get("/staff/acts/")
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "inspection_report",
        "site_code": SITE})
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _meter() -> Meter:
    meter = db.session.scalar(select(Meter).where(Meter.number == METER))
    assert meter is not None
    return meter


def _filled(meter: int, **changes: str) -> dict[str, str]:
    data = {"inspected_on": "2026-11-16", "meter_id": str(meter), "reading": "1234,5",
            "seal_number_found": "SV-104512", "seal_intact": "y",
            "node_condition": "The meter well is dry and lit; the valves work.",
            "defects": "The lid of the meter well is cracked.", "remedy_by": "2026-12-15",
            "present": "Mari Maasikas"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}




@pytest.mark.usefixtures("demo")
def test_inspection_compares_seal_and_verification_and_issues_with_photo(
    login: Login, tmp_path: Path
) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    meter = _meter()
    db.session.add(Reading(meter_id=meter.id, value=1200, reading_date=dt.date(2026, 10, 31),
                           channel=ReadingChannel.WEB))
    db.session.commit()
    page = inspector.get(f"/staff/acts/{doc_id}")
    assert page.status_code == 200
    assert f'value="{meter.id}"' in page.text and METER in page.text
    token = csrf_token_from(page.text)

    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **_filled(meter.id)})
    assert preview.status_code == 200
    # Mari reads Estonian: the preview is her act's text
    assert et("the seal found matches the registered seal") in preview.text, preview.text
    assert et("the verification is valid") in preview.text
    shown = preview.text.replace("\u00a0", " ").replace("\u202f", " ")
    assert "1 200,000 m³ (31.10.2026)" in shown  # the last reading on record
    wrong = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_filled(meter.id, seal_number_found="SV-999")})
    assert et("the seal found differs from the registered seal") in wrong.text

    # The remedy day must follow the inspection: said, nothing issued.
    early = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_filled(meter.id, remedy_by="2026-11-01")})
    assert "must be after the inspection" in early.text
    future = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_filled(meter.id, inspected_on="2099-01-01")})
    assert "cannot be in the future" in future.text
    no_meter = inspector.post(f"/staff/acts/{doc_id}", data={
        "csrf_token": token, **_filled(meter.id, meter_id="")})
    assert no_meter.status_code == 422 and "Choose the meter." in no_meter.text

    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token,
                                                          **_filled(meter.id)})
    assert saved.status_code == 303, saved.text
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.meter_id == meter.id

    photo = _png((10, 120, 40))
    added = inspector.post(f"/staff/acts/{doc_id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(photo), "lid.png"), "caption": "Cracked lid"},
        content_type="multipart/form-data")
    assert added.status_code == 303, added.text
    fake = inspector.post(f"/staff/acts/{doc_id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(b"just some text\n"), "notes.png")},
        content_type="multipart/form-data")
    assert fake.status_code == 422
    assert "its content was checked, not its name" in fake.text
    page = inspector.get(f"/staff/acts/{doc_id}")
    assert "Cracked lid" in page.text

    issued = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                  "confirm": "y"})
    assert issued.status_code == 303
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED and doc.number.startswith("ULE-")
    assert doc.result["seal"] == "matches"
    assert doc.result["last_reading"]["value"].startswith("1200")
    shown = inspector.get(f"/staff/acts/{doc_id}")
    printed = inspector.get(f"/staff/acts/{doc_id}/print")
    for html in (shown.text, printed.text):  # the browser gets the photo from its route
        assert f"/staff/acts/{doc_id}/photos/" in html and "portal-upload:" not in html

    late = inspector.post(f"/staff/acts/{doc_id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(_png((1, 2, 3))), "late.png")},
        content_type="multipart/form-data")
    assert late.status_code in (303, 422)
    assert db.session.scalar(select(db.func.count(ActAttachment.id)).where(
        ActAttachment.document_id == doc_id)) == 1

    pdf = acts.preview_pdf(doc)  # the stored, issued PDF
    assert pdf.startswith(b"%PDF-")
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages) >= 1
    text = pdftotext(pdf)
    assert doc.number in text
    assert "16.11.2026" in text and "15.12.2026" in text  # Estonian dates
    assert "1 234,500" in text.replace("\u00a0", " ").replace("\u202f", " ")
    for clause in ("KEE §36", "KEE §37(2)", "KEE §37(3)", "KEE §37(8)"):
        assert clause in text, clause
    assert "SV-104512" in text
    assert_estonian_words(text, list(ESTONIAN_WORDS))


@pytest.mark.usefixtures("demo")
def test_an_issued_report_refuses_a_new_photo(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **_filled(
        _meter().id, defects="", remedy_by="")})
    issued = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                  "confirm": "y"})
    assert issued.status_code == 303
    late = inspector.post(f"/staff/acts/{doc_id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(_png((1, 2, 3))), "late.png")},
        content_type="multipart/form-data")
    assert late.status_code == 422
    assert "cannot change" in late.text
    assert db.session.scalar(select(db.func.count(ActAttachment.id)).where(
        ActAttachment.document_id == doc_id)) == 0


@pytest.mark.usefixtures("demo")
def test_the_thirteenth_photo_is_refused(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    for index in range(acts.PHOTOS_MAX):
        added = inspector.post(f"/staff/acts/{doc_id}/photos", data={
            "csrf_token": token, "photo": (io.BytesIO(_png((index, 50, 100))), f"{index}.png")},
            content_type="multipart/form-data")
        assert added.status_code == 303, added.text
    extra = inspector.post(f"/staff/acts/{doc_id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(_png((250, 250, 0))), "13.png")},
        content_type="multipart/form-data")
    assert extra.status_code == 422
    assert "at most 12 photos" in extra.text
    assert db.session.scalar(select(db.func.count(ActAttachment.id)).where(
        ActAttachment.document_id == doc_id)) == acts.PHOTOS_MAX
