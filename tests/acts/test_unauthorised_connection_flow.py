"""The unauthorised connection act end to end through the staff pages (KEE §24-§25):
a draft, its htmx preview, issuing with the next number, the customer's portal, the
public check, and a second issue refused."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import INSPECTOR, MARI, csrf_token_from
from webapp.extensions import db
from webapp.models import ActStatus, AuditEvent, OfficialDocument
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house

FILLED = {"found_on": "2026-03-15", "description": "A hose from the street pipe to the garden.",
          "closed": "y", "daily_m3": "0,8", "estimate_basis": "DN20 hose, 2 hours a day",
          "water_used": "y", "sewer_used": "y", "damage_eur": "0", "closing_cost_eur": "45"}


def _draft(client: FlaskClient) -> int:
    page = client.get("/staff/acts/")
    assert page.status_code == 200
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "unauth_connection",
        "site_code": SITE})
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


@pytest.mark.usefixtures("demo")
def test_inspector_issues_and_customer_sees_and_anyone_verifies(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector)
    page = inspector.get(f"/staff/acts/{doc_id}")
    token = csrf_token_from(page.text)
    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **FILLED}, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    # 6 months back from 15.03.2026: 181 days; 0.8 × 181 = 144.8 → 145 m³ (KEE §41(1))
    assert "181" in preview.text and "145" in preview.text, preview.text
    assert db.session.get(OfficialDocument, doc_id).data == {}  # a preview saves nothing
    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **FILLED})
    assert saved.status_code == 303, saved.text
    before = last_number("OMU", 2026)
    issued = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                  "confirm": "y"})
    assert issued.status_code == 303
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED
    assert doc.number == f"OMU-2026-{before + 1:05d}" or doc.number.startswith("OMU-")
    again = inspector.post(f"/staff/acts/{doc_id}/issue",
                           data={"csrf_token": token, "confirm": "y"}, follow_redirects=True)
    assert "was not issued again" in again.text
    assert db.session.scalar(select(OfficialDocument.number).where(
        OfficialDocument.id == doc_id)) == doc.number

    mari = login(MARI)
    listing = mari.get("/my/documents")
    assert doc.number in listing.text
    pdf = mari.get(f"/my/documents/{doc_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    digest = hashlib.sha256(pdf.data).hexdigest()
    assert digest == doc.sha256

    from flask import current_app
    anyone = current_app.test_client()
    check = anyone.get("/verify", query_string={"number": doc.number, "sha256": digest})
    assert check.status_code == 200 and 'data-matches="yes"' in check.text
    forged = anyone.get("/verify", query_string={"number": doc.number, "sha256": "0" * 64})
    assert 'data-matches="no"' in forged.text
    assert "Maasikas" not in check.text and "Kaevu" not in check.text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "act_viewed"))
    assert re.search(r"OMU-\d{4}-\d{5}", doc.number)
