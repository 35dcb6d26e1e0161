"""The act of a meter's installation or replacement (KEE §36-§37) through the staff
pages: issuing registers the new meter and removes the old one with both readings; a
number another meter has is refused with nothing changed; the §37(1) deadline; the
"Meters to install" list on the acts page; and the issued PDF's Estonian formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, ngettext
from sqlalchemy import func, select

from tests.acts.helpers import assert_estonian_words, et, pdftotext
from tests.conftest import CLERK, INSPECTOR, csrf_token_from
from webapp.domain.meter_acts import installation_deadline
from webapp.extensions import db
from webapp.models import (
    ActStatus,
    Meter,
    MeterKind,
    MeterStatus,
    OfficialDocument,
    Reading,
    ReadingChannel,
    ServiceContract,
)
from webapp.services import acts
from webapp.services.access import today_in_tallinn
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house: meter 00123456
OLD = "00123456"
UNMETERED_SITE = "TK-10003"  # Mari's second site, contract L-2024-0004, no meter
UNMETERED_CONTRACT = "L-2024-0004"

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Acceptance", "Last reading", "Seal", "First reading"]




def _draft(client: FlaskClient, site: str = SITE) -> int:
    page = client.get("/staff/acts/")
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "meter_act", "site_code": site})
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _meter(number: str) -> Meter | None:
    return db.session.scalar(select(Meter).where(Meter.number == number))


def _replacement(old_id: int, **changes: str) -> dict[str, str]:
    data = {"purpose": "replacement", "done_on": "2026-11-20", "meter_id": str(old_id),
            "old_reading": "1234,567", "replacement_reason": "not_customer_fault",
            "failure_found_on": "2026-11-16", "new_meter_number": "NEW-2026-77",
            "new_meter_reading": "0,5", "new_seal_number": "SV-200001",
            "new_verified_until": "2032-11-20", "node_seals": "SV-200002 on the valve"}
    data.update(changes)
    return data


def _issue(client: FlaskClient, doc_id: int, token: str) -> FlaskClient:
    return client.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                            "confirm": "y"})


@pytest.mark.usefixtures("demo")
def test_issuing_a_replacement_registers_the_new_meter_and_removes_the_old(
    login: Login, tmp_path: Path
) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    old = _meter(OLD)
    assert old is not None
    page = inspector.get(f"/staff/acts/{doc_id}")
    token = csrf_token_from(page.text)

    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **_replacement(old.id)})
    assert preview.status_code == 200
    # KEE §37(4): found Mon 16.11.2026, five working days -> Mon 23.11.2026; done 20.11
    assert "23.11.2026" in preview.text and et("It was done on time.") in preview.text, \
        preview.text
    assert "KEE §37(2)" in preview.text
    late = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_replacement(old.id, done_on="2026-11-25")})
    with force_locale("et"):
        assert ngettext("It was done %(num)s working day late.",
                        "It was done %(num)s working days late.", 2) in late.text
    missing = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_replacement(old.id, old_reading="")})
    assert "old meter&#39;s last reading" in missing.text or \
        "old meter's last reading" in missing.text
    early = inspector.post(f"/staff/acts/{doc_id}/preview", data={
        "csrf_token": token, **_replacement(old.id, new_verified_until="2026-11-01")})
    assert "verification must be valid after" in early.text

    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token,
                                                          **_replacement(old.id)})
    assert saved.status_code == 303, saved.text
    issued = _issue(inspector, doc_id, token)
    assert issued.status_code == 303, issued.text
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED and doc.number.startswith("ARV-")

    db.session.expire_all()
    new = _meter("NEW-2026-77")
    assert new is not None
    assert new.site.code == SITE and new.status is MeterStatus.ACTIVE
    assert new.kind is MeterKind.COLD_WATER and new.size == old.size
    assert new.installed_on == dt.date(2026, 11, 20)
    assert new.seal_number == "SV-200001" and new.verified_until == dt.date(2032, 11, 20)
    old = _meter(OLD)
    assert old is not None and old.status is MeterStatus.REMOVED
    final = db.session.scalar(select(Reading).where(
        Reading.meter_id == old.id, Reading.reading_date == dt.date(2026, 11, 20)))
    first = db.session.scalar(select(Reading).where(Reading.meter_id == new.id))
    assert final is not None and str(final.value).startswith("1234.567")
    assert first is not None and str(first.value).startswith("0.5")
    assert final.channel is first.channel is ReadingChannel.STAFF

    text = pdftotext(acts.preview_pdf(doc))
    assert doc.number in text
    assert "1 234,567" in text and "0,500" in text  # Estonian number format
    assert "20.11.2026" in text and "23.11.2026" in text  # Estonian dates
    for clause in ("KEE §37(1)", "KEE §37(2)", "KEE §37(3)", "KEE §37(4)"):
        assert clause in text, clause
    assert "NEW-2026-77" in text and OLD in text
    assert_estonian_words(text, list(ESTONIAN_WORDS))


@pytest.mark.usefixtures("demo")
def test_a_number_another_meter_has_is_refused_and_nothing_changes(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    old = _meter(OLD)
    assert old is not None
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    taken = "00234567"  # Jaan's meter at TK-10002
    saved = inspector.post(f"/staff/acts/{doc_id}", data={
        "csrf_token": token, **_replacement(old.id, new_meter_number=taken)})
    assert saved.status_code == 303
    meters_before = db.session.scalar(select(func.count(Meter.id)))
    readings_before = db.session.scalar(select(func.count(Reading.id)))
    serial_before = last_number("ARV", today_in_tallinn().year)

    refused = _issue(inspector, doc_id, token)
    assert refused.status_code == 422
    assert f"Another meter has the number {taken} already." in refused.text

    db.session.expire_all()
    doc = db.session.get(OfficialDocument, doc_id)
    assert doc.status is ActStatus.DRAFT and doc.number is None
    assert db.session.scalar(select(func.count(Meter.id))) == meters_before
    assert db.session.scalar(select(func.count(Reading.id))) == readings_before
    assert last_number("ARV", today_in_tallinn().year) == serial_before
    still = _meter(OLD)
    assert still is not None and still.status is MeterStatus.ACTIVE


@pytest.mark.usefixtures("demo")
def test_meters_to_install_lists_a_new_contract_without_a_meter(login: Login) -> None:
    clerk = login(CLERK)
    empty = clerk.get("/staff/acts/")
    assert empty.status_code == 200
    assert 'data-testid="no-meters-to-install"' in empty.text

    today = today_in_tallinn()
    contract = db.session.scalar(select(ServiceContract).where(
        ServiceContract.number == UNMETERED_CONTRACT))
    assert contract is not None
    contract.start_date = today - dt.timedelta(days=20)
    db.session.commit()
    due = installation_deadline(contract.start_date)

    page = clerk.get("/staff/acts/")
    assert f'data-site="{UNMETERED_SITE}"' in page.text
    assert due.strftime("%d.%m.%Y") in page.text
    assert 'data-testid="overdue"' in page.text  # 20 days ago: past five working days
    assert 'name="kind" value="meter_act"' in page.text
    assert f'name="site_code" value="{UNMETERED_SITE}"' in page.text

    # The row's button starts a meter act for the site: an installation, on time.
    doc_id = _draft(clerk, UNMETERED_SITE)
    doc = db.session.get(OfficialDocument, doc_id)
    assert doc.site.code == UNMETERED_SITE
    token = csrf_token_from(clerk.get(f"/staff/acts/{doc_id}").text)
    data = {"csrf_token": token, "purpose": "installation", "done_on": due.isoformat(),
            "contract_start": contract.start_date.isoformat(),
            "new_meter_number": "INST-2026-1", "new_meter_reading": "0"}
    preview = clerk.post(f"/staff/acts/{doc_id}/preview", data=data)
    assert et("It was done on time.") in preview.text, preview.text
    assert clerk.post(f"/staff/acts/{doc_id}", data=data).status_code == 303
    assert _issue(clerk, doc_id, token).status_code == 303
    db.session.expire_all()
    installed = _meter("INST-2026-1")
    assert installed is not None and installed.site.code == UNMETERED_SITE
    assert installed.kind is MeterKind.COLD_WATER and installed.status is MeterStatus.ACTIVE

    after = clerk.get("/staff/acts/")
    assert f'data-site="{UNMETERED_SITE}"' not in after.text


@pytest.mark.usefixtures("demo")
def test_a_correction_changes_the_meter_its_act_registered(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    old = _meter(OLD)
    assert old is not None
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **_replacement(old.id)})
    assert _issue(inspector, doc_id, token).status_code == 303
    meters = db.session.scalar(select(func.count(Meter.id)))

    started = inspector.post(f"/staff/acts/{doc_id}/correct", data={"csrf_token": token})
    assert started.status_code == 303
    fix_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    fixed = _replacement(old.id, old_reading="1234,600", new_seal_number="SV-200009")
    assert inspector.post(f"/staff/acts/{fix_id}", data={"csrf_token": token,
                                                         **fixed}).status_code == 303
    assert _issue(inspector, fix_id, token).status_code == 303

    db.session.expire_all()
    assert db.session.get(OfficialDocument, fix_id).status is ActStatus.ISSUED
    assert db.session.scalar(select(func.count(Meter.id))) == meters
    new = _meter("NEW-2026-77")
    assert new is not None and new.seal_number == "SV-200009"
    current = db.session.scalars(select(Reading).where(
        Reading.meter_id == old.id, Reading.reading_date == dt.date(2026, 11, 20),
        Reading.replaced_by_id.is_(None))).all()
    assert [str(reading.value)[:8] for reading in current] == ["1234.600"]
