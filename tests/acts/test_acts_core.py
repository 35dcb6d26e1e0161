"""What every act shares (issue 9 items 2 and 5): numbers per kind and year with no gaps
and no duplicates, also when issued at once; an issued act never changes; the same data
give the same PDF but for its dates; the customer's portal, corrections, the day's batch,
and the public check with its rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import CLERK, INSPECTOR, JAAN, MARI, csrf_token_from
from webapp.extensions import db
from webapp.models import (
    ActAttachment,
    ActKind,
    ActStatus,
    IssuedDocumentChanged,
    OfficialDocument,
    Person,
    Site,
)
from webapp.services import acts, uploads
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]
DATA = {"found_on": "2026-03-15", "description": "A hose to the garden.", "closed": True,
        "daily_m3": "0.8", "estimate_basis": "DN20 hose", "water_used": True,
        "sewer_used": True, "damage_eur": "0", "closing_cost_eur": "45"}


def _person(code: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.personal_code == code))
    assert person is not None
    return person


def _site(code: str = "TK-10001") -> Site:
    site = db.session.scalar(select(Site).where(Site.code == code))
    assert site is not None
    return site


def _draft(data: dict[str, Any] | None = None, site: str = "TK-10001") -> OfficialDocument:
    doc = acts.create_draft(ActKind.UNAUTHORISED_CONNECTION, _site(site), _person(INSPECTOR),
                            data=DATA if data is None else data, acting_as="inspector")
    db.session.commit()
    return doc


@pytest.fixture
def ctx(app: Flask, demo: None) -> Iterator[None]:
    with app.test_request_context():
        yield


# --------------------------------------------------------------------------- numbers


@pytest.mark.usefixtures("ctx")
def test_numbers_follow_each_other_per_kind_and_year() -> None:
    first = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
    second = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
    db.session.commit()
    year = dt.date.today().year
    assert first.number == f"OMU-{year}-00001"
    assert second.number == f"OMU-{year}-00002"
    assert last_number("OMU", year) == 2


@pytest.mark.usefixtures("ctx")
def test_a_refused_issue_gives_its_number_back() -> None:
    doc = _draft({"description": "no date"})
    with pytest.raises(acts.ActError):
        acts.issue(doc.id, _person(INSPECTOR), "inspector")
    db.session.rollback()
    assert last_number("OMU", dt.date.today().year) == 0
    assert db.session.get(OfficialDocument, doc.id).status is ActStatus.DRAFT  # type: ignore[union-attr]


def test_issuing_at_once_gives_no_gaps_and_no_duplicates(app: Flask, demo: None) -> None:
    """Eight staff issue three acts each at the same moment, and two of them press
    "Issue" on the same draft: every number once, from 1 up, and that draft once."""
    with app.app_context():
        ids = [_draft().id for _ in range(24)]
        shared = _draft().id
        staff_id = _person(INSPECTOR).id
    numbers: list[str] = []
    refusals: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(mine: list[int]) -> None:
        with app.test_request_context():
            person = db.session.get(Person, staff_id)
            start.wait()
            for doc_id in [*mine, shared]:
                try:
                    issued = acts.issue(doc_id, person, "inspector", notify=False)
                    db.session.commit()
                    with lock:
                        numbers.append(issued.number or "")
                except acts.AlreadyIssued as refused:
                    db.session.rollback()
                    with lock:
                        refusals.append(refused.message)
                except Exception as error:
                    db.session.rollback()
                    with lock:
                        failures.append(repr(error))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(ids[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    year = dt.date.today().year
    assert failures == []
    assert sorted(numbers) == [f"OMU-{year}-{n:05d}" for n in range(1, 26)]
    assert len(refusals) == 7  # the shared draft: issued once, refused seven times
    with app.app_context():
        assert last_number("OMU", year) == 25


# --------------------------------------------------------------------------- immutable


@pytest.mark.usefixtures("ctx")
def test_an_issued_act_cannot_change_or_be_deleted() -> None:
    doc = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
    db.session.commit()
    doc.data = {**doc.data, "daily_m3": "0.1"}
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()
    doc.sha256 = "0" * 64
    with pytest.raises(IssuedDocumentChanged):
        db.session.commit()
    db.session.rollback()
    db.session.delete(doc)
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()
    stored = doc.pdf_file
    assert stored is not None
    db.session.add(ActAttachment(document=doc, file=stored, caption=""))
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(acts.AlreadyIssued):
        acts.issue(doc.id, _person(INSPECTOR), "inspector")
    db.session.rollback()
    with pytest.raises(acts.AlreadyIssued):
        acts.discard(doc, "inspector")


@pytest.mark.usefixtures("ctx")
def test_a_correction_is_a_new_act_that_names_the_old_one() -> None:
    old = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
    db.session.commit()
    draft = acts.correct(old, _person(CLERK), "clerk")
    assert draft.corrects_id == old.id and draft.data == old.data and not draft.is_issued
    new = acts.issue(draft.id, _person(CLERK), "clerk")
    db.session.commit()
    assert new.number != old.number
    text = _pdf_text(uploads.read(new.pdf_file))  # type: ignore[arg-type]
    assert old.number in text
    check = acts.verify(old.number or "", old.sha256 or "")
    assert check.matches and check.corrected_by == new.number
    with pytest.raises(acts.ActError):
        acts.correct(draft if not draft.is_issued else _draft(), _person(CLERK), "clerk")


# --------------------------------------------------------------------------- the PDF


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.usefixtures("ctx")
def test_the_same_act_renders_the_same_bytes_but_for_its_dates() -> None:
    doc = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
    db.session.commit()
    stored = uploads.read(doc.pdf_file)  # type: ignore[arg-type]
    again = acts.render(doc, doc.result)
    assert again == stored
    later = acts.render(doc, doc.result, created=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert later != stored  # the creation date differs, nothing else (tests/pdf/)
    assert hashlib.sha256(stored).hexdigest() == doc.sha256


@pytest.mark.usefixtures("ctx")
def test_the_act_number_is_on_every_page_and_a_draft_is_marked() -> None:
    draft = _draft({**DATA, "description": "Leitud. " * 900})
    preview = acts.preview_pdf(draft)
    pages = PdfReader(io.BytesIO(preview)).pages
    assert len(pages) > 1
    assert "MUSTAND" in pages[0].extract_text()  # Mari reads Estonian
    doc = acts.issue(draft.id, _person(INSPECTOR), "inspector")
    db.session.commit()
    issued = PdfReader(io.BytesIO(uploads.read(doc.pdf_file)))  # type: ignore[arg-type]
    assert all(doc.number in page.extract_text() for page in issued.pages)
    assert "MUSTAND" not in issued.pages[0].extract_text()
    assert "/GTS_PDFA1" in str(issued.trailer["/Root"]["/OutputIntents"][0].get_object())


# --------------------------------------------------------------------------- who sees it


@pytest.mark.usefixtures("demo")
def test_only_the_sites_customer_sees_an_issued_act_and_never_a_draft(
        app: Flask, login: Login) -> None:
    with app.test_request_context():
        draft = _draft()
        issued = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
        db.session.commit()
        draft_id, issued_id, number = draft.id, issued.id, issued.number
    mari, jaan = login(MARI), login(JAAN)
    page = mari.get("/my/documents")
    assert number in page.text
    assert mari.get(f"/my/documents/{issued_id}/pdf").status_code == 200
    assert mari.get(f"/my/documents/{draft_id}/pdf").status_code == 404
    assert number not in jaan.get("/my/documents").text
    assert jaan.get(f"/my/documents/{issued_id}/pdf").status_code == 404
    assert "no acts or notices" in jaan.get("/my/documents").text


@pytest.mark.usefixtures("demo")
def test_staff_reading_an_act_is_on_the_audit_trail(app: Flask, login: Login) -> None:
    from webapp.models import AuditEvent

    with app.test_request_context():
        doc_id = _draft().id
    clerk = login(CLERK)
    assert clerk.get(f"/staff/acts/{doc_id}").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "act_viewed",
                                                       AuditEvent.object_id == str(doc_id)))
    assert event is not None and event.purpose == "official act"
    assert event.subject_person_id == _person(MARI).id


# --------------------------------------------------------------------------- the desk


@pytest.mark.usefixtures("demo")
def test_the_list_filters_and_the_days_batch_is_one_pdf(app: Flask, login: Login) -> None:
    with app.test_request_context():
        first = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
        second = acts.issue(_draft(site="TK-10002").id, _person(INSPECTOR), "inspector")
        _draft(site="TK-20001")
        db.session.commit()
        numbers = [first.number, second.number]
        pages = sum(len(PdfReader(io.BytesIO(uploads.read(doc.pdf_file))).pages)  # type: ignore[arg-type]
                    for doc in (first, second))
    clerk = login(CLERK)
    listing = clerk.get("/staff/acts/", query_string={"status": "issued"})
    assert all(number in listing.text for number in numbers)
    assert "TK-20001" not in listing.text
    found = clerk.get("/staff/acts/", query_string={"q": "TK-10002"})
    assert numbers[1] in found.text and numbers[0] not in found.text
    assert clerk.get("/staff/acts/", query_string={"issued_from": "not a day"}).status_code == 422
    batch = clerk.get("/staff/acts/day.pdf")
    assert batch.status_code == 200
    assert len(PdfReader(io.BytesIO(batch.data)).pages) == pages
    none = clerk.get("/staff/acts/day.pdf", query_string={"day": "2001-01-01"})
    assert none.status_code == 303
    assert clerk.get("/staff/acts/day.pdf", query_string={"day": "32.13"}).status_code == 400


@pytest.mark.usefixtures("demo")
def test_bad_input_changes_nothing(app: Flask, login: Login) -> None:
    inspector = login(INSPECTOR)
    token = csrf_token_from(inspector.get("/staff/acts/").text)
    unknown = inspector.post("/staff/acts/new", data={"csrf_token": token,
                                                      "kind": "unauth_connection",
                                                      "site_code": "NOPE"})
    assert unknown.status_code == 422 and "No site has this code" in unknown.text
    bad_kind = inspector.post("/staff/acts/new", data={"csrf_token": token, "kind": "bogus",
                                                       "site_code": "TK-10001"})
    assert bad_kind.status_code == 422
    assert db.session.scalar(select(OfficialDocument.id)) is None
    with app.test_request_context():
        doc_id = _draft({}).id
    bad = inspector.post(f"/staff/acts/{doc_id}", data={
        "csrf_token": token, "found_on": "yesterday", "daily_m3": "-1"})
    assert bad.status_code == 422
    assert db.session.get(OfficialDocument, doc_id).data == {}  # type: ignore[union-attr]
    unconfirmed = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    incomplete = inspector.post(f"/staff/acts/{doc_id}/issue",
                                data={"csrf_token": token, "confirm": "y"})
    assert incomplete.status_code == 422
    assert db.session.get(OfficialDocument, doc_id).status is ActStatus.DRAFT  # type: ignore[union-attr]


# --------------------------------------------------------------------------- /verify


def test_verify_takes_the_file_itself_and_is_rate_limited(
        app_factory: Callable[..., Flask]) -> None:
    limited = app_factory(VERIFY_RATE_LIMIT="3 per minute")
    with limited.test_request_context():
        from webapp.demo import build_demo_data
        from webapp.services.importer import import_master_data

        import_master_data(build_demo_data(dt.datetime.now(dt.UTC)))
        db.session.commit()
        doc = acts.issue(_draft().id, _person(INSPECTOR), "inspector")
        db.session.commit()
        data, number = uploads.read(doc.pdf_file), doc.number  # type: ignore[arg-type]
    client = limited.test_client()
    page = client.get("/verify")
    checked = client.post("/verify", data={
        "csrf_token": csrf_token_from(page.text), "number": f" {number.lower()} ",
        "document": (io.BytesIO(data), "act.pdf")}, content_type="multipart/form-data")
    assert checked.status_code == 200 and 'data-matches="yes"' in checked.text
    bad = client.get("/verify", query_string={"number": "x", "sha256": "y"})
    assert bad.status_code == 422
    assert client.get("/verify").status_code == 429


@pytest.mark.usefixtures("ctx")
def test_an_empty_closing_cost_is_the_price_lists_closing_fee() -> None:
    """KEE §25(1) p 2 with §6(2): closing is charged at the price list's fee unless
    staff give the real cost."""
    lines = acts.compute(_draft({**DATA, "closing_cost_eur": None}))["compensation"]["lines"]
    assert [line["amount"] for line in lines if line["key"] == "closing"] == ["35.00"]
    lines = acts.compute(_draft(DATA))["compensation"]["lines"]
    assert [line["amount"] for line in lines if line["key"] == "closing"] == ["45.00"]
