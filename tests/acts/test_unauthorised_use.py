"""The act of unauthorised water use (KEE §26-§27) through the staff pages: a draft,
its htmx preview, a missing field refused beside it, saving, issuing with an OMK
number, and the issued PDF's Estonian figures, dates and clauses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.acts.helpers import (
    assert_estonian_words,
    et,
    fill,
    issue,
    one_line,
    pdftotext,
    preview_draft,
    reloaded,
    start_draft,
)
from tests.conftest import INSPECTOR, csrf_token_from
from webapp.extensions import db
from webapp.models import ActStatus, OfficialDocument
from webapp.services import uploads

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house, contract L-2019-0001 (pollution group I)

# KEE §26 p 6: the closed main valve opened; the use from 15.01.2026 to 15.03.2026.
FILLED = {"found_on": "2026-03-15", "case": "26.6",
          "description": "The main valve closed by the utility was found open.",
          "used_from": "2026-01-15",
          "used_from_basis": "Closure act of 15.01.2026; the meter moved since.",
          "daily_m3": "1,2", "estimate_basis": "Meter readings 15.01-15.03.2026",
          "water_used": "y", "sewer_used": "y", "closed_without_notice": "y",
          "seal_cost_eur": "12,50", "damage_eur": "0", "closing_cost_eur": ""}
# Hand-checked (demo price list from 01.07.2025, without VAT):
#   15.01.2026 -> 15.03.2026: 16 (Jan) + 28 (Feb) + 15 (Mar) = 59 days (KEE §27(1))
#   1.2 m³ × 59 = 70.8 -> 71 m³, whole m³ half up (KEE §41(1))
#   water 71 × 1.3100 = 93.01; sewer (group I) 71 × 1.6020 = 113.742 -> 113.74
#   closing: empty and closed -> the price list's closing fee 35.00 (KEE §27(1))
#   seal 12.50 (KEE §27(1), second sentence); damage 0: no line
#   total 93.01 + 113.74 + 35.00 + 12.50 = 254.25 EUR
TOTAL_ET = "254,25"

# Estonian words of the PDF (the catalogue translates each): the title, the headings.
ESTONIAN_WORDS = ["Act of unauthorised water use or wastewater discharge", "Findings",
                  "Compensation", "Total to pay", "What follows"]


def _draft(client: FlaskClient) -> tuple[int, str]:
    doc_id = start_draft(client, "unauth_use", SITE)
    form = client.get(f"/staff/acts/{doc_id}")
    assert form.status_code == 200
    assert 'name="case"' in form.text and "§26 p 9" in form.text  # the nine cases
    return doc_id, csrf_token_from(form.text)


@pytest.mark.usefixtures("demo")
def test_inspector_previews_saves_and_issues_the_act(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    preview = preview_draft(inspector, doc_id, {"csrf_token": token, **FILLED})
    assert preview.status_code == 200
    text = preview.text
    # Mari reads Estonian: the preview is her act's text
    assert et("Volume: %(daily)s m³ a day × %(days)s days = %(volume)s m³, in whole cubic "
              "metres (KEE §41(1)).", daily="1,200", days=59, volume=71) in text, text
    assert "§26 p 6" in text and "KEE §27(1)" in text
    assert "254,25" in text
    assert et("Replacing the seal") in text and "35" in text
    # §27(4): the town government fines; the act computes none
    assert et("Unauthorised use of water and unauthorised discharge of wastewater may also "
              "be punished with a fine (KEE §27(2)-(3)). Fines are imposed by the town "
              "government in misdemeanour proceedings (KEE §27(4)); this act imposes none.") \
        in text
    assert db.session.get(OfficialDocument, doc_id).data == {}  # a preview saves nothing

    fill(inspector, doc_id, {"csrf_token": token, **FILLED})
    issue(inspector, doc_id, token)
    doc = reloaded(doc_id)
    assert doc.status is ActStatus.ISSUED and doc.number.startswith("OMK-")
    assert doc.result["compensation"]["total"] == "254.25"
    assert doc.result["compensation"]["volume_m3"] == 71
    assert {line["key"]: line["amount"] for line in doc.result["compensation"]["lines"]} == {
        "water": "93.01", "sewer": "113.74", "closing": "35.00", "seal": "12.50"}

    text = pdftotext(uploads.read(doc.pdf_file))
    assert doc.number in text and "DRAFT" not in text
    assert TOTAL_ET in text and "113,74" in text and "93,01" in text and "12,50" in text
    assert "1,31" in text and "1,60" in text  # unit prices, decimal comma
    assert "1,200" in text  # the daily use, m³
    assert "15.03.2026" in text and "15.01.2026" in text  # dd.mm.yyyy
    for clause in ("KEE §26", "KEE §27(1)", "KEE §27(2)-(3)", "KEE §27(4)", "KEE §41(1)"):
        assert clause in one_line(text), clause  # a clause may break across lines
    assert_estonian_words(text, ESTONIAN_WORDS)  # Mari reads Estonian


@pytest.mark.usefixtures("demo")
def test_a_missing_start_is_refused_beside_the_field_and_nothing_saved(login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    sent = {**FILLED, "used_from": ""}  # KEE §27 has no default duration
    refused = fill(inspector, doc_id, {"csrf_token": token, **sent}, status=422)
    assert 'id="used_from-error"' in refused.text and "Give the date." in refused.text
    assert db.session.get(OfficialDocument, doc_id).data == {}
    no_case = fill(inspector, doc_id, {"csrf_token": token, **{**FILLED, "case": "27.1"}},
                   status=422)
    assert 'id="case-error"' in no_case.text
    late = preview_draft(inspector, doc_id, {
        "csrf_token": token, **{**FILLED, "used_from": "2026-04-01"}})
    assert late.status_code == 200 and "cannot have started after" in late.text
    assert db.session.get(OfficialDocument, doc_id).data == {}


@pytest.mark.usefixtures("demo")
def test_no_contract_case_notes_the_contract_holder_and_open_supply_costs_no_closing(
        login: Login) -> None:
    inspector = login(INSPECTOR)
    doc_id, token = _draft(inspector)
    sent = {**FILLED, "case": "26.1", "closed_without_notice": "", "seal_cost_eur": "0"}
    del sent["closed_without_notice"]
    preview = preview_draft(inspector, doc_id, {"csrf_token": token, **sent})
    assert preview.status_code == 200
    # Mari's contract holds the site on 15.03.2026: the act says so (KEE §26 p 1).
    assert "Maasikas" in preview.text and "§26 p 1" in preview.text
    # Not closed, no closing cost entered: water 93.01 + sewer 113.74 = 206.75
    assert "206.75" in preview.text or "206,75" in preview.text, preview.text
    assert "Closing the connection or supply" not in preview.text
