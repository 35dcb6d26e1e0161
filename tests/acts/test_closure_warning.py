"""The written warning of closure for an unpaid invoice (KEE §43(2), closure under
§12(1)-(2)) through the staff pages and the service: not before five working days after
the due date, the closure after the warning, the sum owed with the late interest the
billing run would charge (KEE §41(3)), the list of invoices a warning may be sent for,
and an invoice paid after the draft was made refused at issue with nothing numbered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.acts.helpers import assert_estonian_words, pdftotext
from tests.conftest import INSPECTOR, MARI, csrf_token_from
from tests.invoice_factory import contract_of, make_invoice, water_lines
from webapp.extensions import db
from webapp.models import ActStatus, Invoice, InvoiceStatus, OfficialDocument, Site
from webapp.services import acts, invoices
from webapp.services.act_kinds import closure_warning
from webapp.services.numbering import last_number

Login = Callable[[str], FlaskClient]
SITE = "TK-10001"  # Mari's house

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Warning", "Invoice total to pay", "Paid", "Unpaid", "Owed, EUR"]

# The worked example, by hand:
#   the invoice (tests/invoice_factory.water_lines): water 11 m³ x 1.2345 = 13.58,
#   wastewater 11 m³ x 1.5240 = 16.76, fixed fee 1 x 3.20 = 3.20; net 33.54, VAT 24 per
#   cent 8.05, total 41.59 EUR. Issued 05.10.2026, due 14 days later: 19.10.2026 (Mon).
#   KEE §43(2): five working days after it: 20, 21, 22, 23, 26.10 -> the warning from
#   27.10.2026 (26.10.2026 is refused).
#   The warning on 20.11.2026: late interest (KEE §41(3)) at the demo's 0.100 per cent a
#   day for 20.10-20.11.2026, 32 days: 41.59 x 0.001 x 32 = 1.33088 -> 1.33 EUR;
#   owed 41.59 + 1.33 = 42.92 EUR.
#   KEE §12(1): the closure after the warning: 21.11.2026 or later (20.11 is refused).
ISSUED_ON = dt.date(2026, 10, 5)
DUE = dt.date(2026, 10, 19)
EARLIEST = dt.date(2026, 10, 27)
WARNING_ON = dt.date(2026, 11, 20)


def _invoice() -> Invoice:
    contract = contract_of(MARI)
    site = db.session.scalar(select(Site).where(Site.code == SITE))
    assert site is not None and site in contract.sites
    invoice = make_invoice(contract, water_lines(site), issued_on=ISSUED_ON)
    db.session.commit()
    assert invoice.due_date == DUE and invoice.payable == Decimal("41.59")
    return invoice


def _today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The warning's day: the kind computes with it (the day of issue)."""
    monkeypatch.setattr(closure_warning, "today_in_tallinn", lambda: day)


def _draft(client: FlaskClient, invoice: Invoice) -> int:
    """Started from the list of invoices a warning may be sent for (the acts index)."""
    page = client.get("/staff/acts/")
    assert page.status_code == 200
    assert 'data-testid="closure-candidates"' in page.text
    assert f'data-invoice="{invoice.id}"' in page.text and invoice.number in page.text
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "closure_warning",
        "site_code": SITE, "invoice_id": str(invoice.id)})
    assert response.status_code == 303, response.text
    doc_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    doc = db.session.get(OfficialDocument, doc_id)
    assert doc.invoice_id == invoice.id and doc.customer_id == invoice.customer_id
    return doc_id




@pytest.mark.usefixtures("demo")
def test_warning_is_issued_with_interest_and_closure_day(
        login: Login, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    invoice = _invoice()
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector, invoice)
    page = inspector.get(f"/staff/acts/{doc_id}")
    assert page.status_code == 200
    assert f'<option selected value="{invoice.id}">' in page.text \
        or f'value="{invoice.id}" selected' in page.text, page.text
    token = csrf_token_from(page.text)
    filled = {"csrf_token": token, "invoice_id": str(invoice.id), "closure_on": "2026-12-01",
              "notes": "Called on 18.11.2026, no answer."}

    _today(monkeypatch, EARLIEST - dt.timedelta(days=1))
    early = inspector.post(f"/staff/acts/{doc_id}/preview", data=filled)
    assert "may be sent from 27.10.2026" in early.text and "19.10.2026" in early.text
    assert "KEE §43(2)" in early.text

    _today(monkeypatch, WARNING_ON)
    same_day = inspector.post(f"/staff/acts/{doc_id}/preview",
                              data={**filled, "closure_on": "2026-11-20"})
    assert "on 21.11.2026 or later" in same_day.text and "KEE §12(1)" in same_day.text
    preview = inspector.post(f"/staff/acts/{doc_id}/preview", data=filled)
    assert preview.status_code == 200
    assert "1.33" in preview.text or "1,33" in preview.text, preview.text
    assert "42.92" in preview.text or "42,92" in preview.text

    saved = inspector.post(f"/staff/acts/{doc_id}", data=filled)
    assert saved.status_code == 303, saved.text
    year = dt.date.today().year
    before = last_number("HOI", year)
    issued = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                  "confirm": "y"})
    assert issued.status_code == 303
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.ISSUED and doc.number == f"HOI-{year}-{before + 1:05d}"
    assert doc.result["interest"] == "1.33" and doc.result["total"] == "42.92"
    assert doc.result["earliest"] == "2026-10-27" and doc.result["warning_on"] == "2026-11-20"

    pdf = acts.preview_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    text = pdftotext(pdf)
    assert doc.number in text and invoice.number in text
    assert "19.10.2026" in text and "01.12.2026" in text and "20.11.2026" in text
    # Estonian number format: a decimal comma
    assert "41,59" in text and "1,33" in text and "42,92" in text
    assert "KEE §43(2)" in text and "§12(1)" in text and "KEE §41(3)" in text
    assert invoice.reference_number in text
    assert_estonian_words(text, list(ESTONIAN_WORDS))


@pytest.mark.usefixtures("demo")
def test_an_invoice_paid_after_the_draft_is_refused_at_issue(
        login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = _invoice()
    _today(monkeypatch, WARNING_ON)
    inspector = login(INSPECTOR)
    doc_id = _draft(inspector, invoice)
    token = csrf_token_from(inspector.get(f"/staff/acts/{doc_id}").text)
    saved = inspector.post(f"/staff/acts/{doc_id}", data={
        "csrf_token": token, "invoice_id": str(invoice.id), "closure_on": "2026-12-01"})
    assert saved.status_code == 303
    page = inspector.get(f"/staff/acts/{doc_id}")
    assert "42,92" in page.text or "42.92" in page.text  # the draft computes while unpaid

    # The customer pays on 21.11.2026 (KEE §41(2): paid on the day it arrived).
    invoices.receive(db.session.get(Invoice, invoice.id), Decimal("41.59"),
                     dt.date(2026, 11, 21))
    db.session.commit()
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.PAID
    year = dt.date.today().year
    before = last_number("HOI", year)
    refused = inspector.post(f"/staff/acts/{doc_id}/issue", data={"csrf_token": token,
                                                                   "confirm": "y"})
    assert refused.status_code == 422
    assert f"Invoice {invoice.number} is not unpaid (it is paid)" in refused.text
    assert last_number("HOI", year) == before
    doc = db.session.get(OfficialDocument, doc_id)
    db.session.refresh(doc)
    assert doc.status is ActStatus.DRAFT and doc.number is None
    # Paid: no longer among the invoices a warning may be sent for.
    index = inspector.get("/staff/acts/")
    assert f'data-invoice="{invoice.id}"' not in index.text


@pytest.mark.usefixtures("demo")
def test_a_draft_from_an_invoice_of_another_site_is_refused(login: Login) -> None:
    invoice = _invoice()
    inspector = login(INSPECTOR)
    page = inspector.get("/staff/acts/")
    response = inspector.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": "closure_warning",
        "site_code": "TK-10002", "invoice_id": str(invoice.id)})
    assert response.status_code == 422
    assert "The invoice is not for this site." in response.text
    assert db.session.scalar(select(db.func.count(OfficialDocument.id))) == 0


@pytest.mark.usefixtures("demo")
def test_the_service_refuses_a_missing_invoice_and_a_draft_invoice(
        app: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import current_app

    from webapp.models import ActKind

    _today(monkeypatch, WARNING_ON)
    with current_app.test_request_context("/"):
        site = db.session.scalar(select(Site).where(Site.code == SITE))
        doc = acts.create_draft(ActKind.CLOSURE_WARNING, site, None,
                                data={"closure_on": "2026-12-01"})
        with pytest.raises(acts.ActError) as missing:
            acts.compute(doc)
        assert missing.value.field == "invoice_id"
        draft = make_invoice(contract_of(MARI), water_lines(site), issued_on=None,
                             period=(dt.date(2026, 8, 1), dt.date(2026, 8, 31)))
        doc.invoice_id = draft.id
        with pytest.raises(acts.ActError) as not_issued:
            acts.compute(doc)
        assert not_issued.value.field == "invoice_id"
        # The interest follows the billing run's rule: none where it is waived.
        issued = _invoice()
        assert closure_warning.accrued_interest(issued, WARNING_ON) == Decimal("1.33")
        issued.interest_waived = True
        db.session.flush()
        assert closure_warning.accrued_interest(issued, WARNING_ON) == Decimal("0.00")
