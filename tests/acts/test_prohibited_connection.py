"""The act of a prohibited connection (KEE §28-§29) through the staff pages: a draft,
its htmx preview, missing fields refused beside them, saving, issuing with a KEU
number, the compensation of §29(3) for wastewater into the storm sewer only, and the
issued PDF's Estonian figures, dates and clauses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.acts.helpers import assert_estonian_words, et, one_line, pdftotext
from tests.conftest import INSPECTOR, csrf_token_from
from webapp.extensions import db
from webapp.models import ActStatus, OfficialDocument
from webapp.services import uploads

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house, contract L-2019-0001 (pollution group I)

# KEE §28(2) p 3: the house's drain led into the storm sewer; when it was made unknown.
STORM = {"found_on": "2026-03-15", "case": "28.2.3",
         "description": "The kitchen drain is joined to the street's storm sewer.",
         "made_on": "", "made_on_evidence": "", "daily_m3": "0,5",
         "estimate_basis": "The water meter's average of 2025", "closure_taken": "y"}
# Hand-checked (demo price list from 01.07.2025, without VAT):
#   start not proved: six months back from 15.03.2026 = 15.09.2025, 181 days (KEE §25(2))
#   0.5 m³ × 181 = 90.5 -> 91 m³, whole m³ half up (KEE §41(1))
#   sewer fee of group I only (KEE §29(3)): 91 × 1.6020 = 145.782 -> 145.78 EUR
TOTAL_ET = "145,78"

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Findings", "Compensation", "Total to pay", "What follows"]


def _draft(client: FlaskClient) -> tuple[int, str]:
    page = client.get("/staff/acts/")
    assert page.status_code == 200
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "prohibited_conn",
        "site_code": SITE})
    assert response.status_code == 303, response.text
    doc_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    form = client.get(f"/staff/acts/{doc_id}")
    assert form.status_code == 200
    assert 'name="case"' in form.text and "§28(2) p 4" in form.text
    return doc_id, csrf_token_from(form.text)


def _issued(client: FlaskClient, doc_id: int, token: str) -> OfficialDocument:
    issued = client.post(f"/staff/acts/{doc_id}/issue",
                         data={"csrf_token": token, "confirm": "y"})
    assert issued.status_code == 303, issued.text
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED and doc.number.startswith("KEU-")
    return doc


@pytest.mark.usefixtures("demo")
def test_wastewater_into_the_storm_sewer_is_charged_the_sewer_fee(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **STORM}, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    text = preview.text
    assert et("Volume: %(daily)s m³ a day × %(days)s days = %(volume)s m³, in whole cubic "
              "metres (KEE §41(1)).", daily="0,500", days=181, volume=91) in text, text
    assert "145.78" in text or "145,78" in text
    # KEE §29(2) for §28(2) p 3
    assert et("The utility may close the wastewater discharge (KEE §29(2)).") in text
    assert et("The customer pays the sewer fee of pollution group %(group)s for a volume equal "
              "to the water volume, over the duration of KEE §25(2) (KEE §29(3)).",
              group="I") in text
    assert db.session.get(OfficialDocument, doc_id).data == {}  # a preview saves nothing

    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **STORM})
    assert saved.status_code == 303, saved.text
    doc = _issued(inspector, doc_id, token)
    compensation = doc.result["compensation"]
    assert compensation["volume_m3"] == 91 and compensation["total"] == "145.78"
    assert [line["key"] for line in compensation["lines"]] == ["sewer"]  # no water line
    assert doc.result["closure"] == "wastewater"

    text = pdftotext(uploads.read(doc.pdf_file))
    assert doc.number in text and "DRAFT" not in text
    assert TOTAL_ET in text and "1,60" in text and "0,500" in text
    assert "15.03.2026" in text and "15.09.2025" in text  # dd.mm.yyyy
    for clause in ("KEE §28", "KEE §29(1)", "KEE §29(2)", "KEE §29(3)", "KEE §25(2)",
                   "§28(2) p 3"):
        assert clause in text, clause
    assert_estonian_words(text, ESTONIAN_WORDS)


@pytest.mark.usefixtures("demo")
def test_backflow_has_no_compensation_and_water_may_be_closed(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    sent = {**STORM, "case": "28.1", "daily_m3": "", "estimate_basis": "",
            "made_on": "2026-02-01", "made_on_evidence": "The plumber's invoice"}
    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **sent})
    assert saved.status_code == 303, saved.text
    doc = _issued(inspector, doc_id, token)
    assert doc.result["compensation"] is None  # KEE §29(3): only §28(2) p 3
    assert doc.result["closure"] == "water_without_notice"  # KEE §29(2)
    text = pdftotext(uploads.read(doc.pdf_file))
    joined = one_line(text)
    assert et("KEE §29(3) sets no compensation for this case.") in joined
    assert one_line(et("The utility may close the water supply without notice (KEE §29(2)).")) \
        in joined
    assert "01.02.2026" in text and "§28(1)" in text


@pytest.mark.usefixtures("demo")
def test_missing_fields_are_refused_beside_them_and_nothing_is_issued(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    refused = inspector.post(f"/staff/acts/{doc_id}",
                             data={"csrf_token": token, **{**STORM, "found_on": ""}})
    assert refused.status_code == 422
    assert 'id="found_on-error"' in refused.text and "Give the date." in refused.text
    assert db.session.get(OfficialDocument, doc_id).data == {}
    no_case = inspector.post(f"/staff/acts/{doc_id}",
                             data={"csrf_token": token, **{**STORM, "case": ""}})
    assert no_case.status_code == 422 and 'id="case-error"' in no_case.text
    assert db.session.get(OfficialDocument, doc_id).data == {}

    # The daily volume is needed for §28(2) p 3 only: the form takes the draft, the
    # preview and issuing refuse it beside the field (KEE §29(3)).
    no_volume = {**STORM, "daily_m3": ""}
    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **no_volume})
    assert "Give the daily water volume" in preview.text
    saved = inspector.post(f"/staff/acts/{doc_id}", data={"csrf_token": token, **no_volume})
    assert saved.status_code == 303
    issue = inspector.post(f"/staff/acts/{doc_id}/issue",
                           data={"csrf_token": token, "confirm": "y"})
    assert issue.status_code == 422
    assert 'id="daily_m3-error"' in issue.text and "Give the daily water volume" in issue.text
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.DRAFT and doc.number is None

    no_proof = {**STORM, "made_on": "2026-01-10"}
    preview = inspector.post(f"/staff/acts/{doc_id}/preview",
                             data={"csrf_token": token, **no_proof})
    assert "Say what proves the day" in preview.text
