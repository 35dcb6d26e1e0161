"""The customer's invoices (ITB 2: users see and pay invoices): list, detail, Factur-X
PDF and XML, balance, payments, late interest, the use and cost by month.

Thin: ``webapp.services.customer_invoices`` decides who sees what (one rule,
``may_view_invoice``) and reads; ``webapp.services.invoice_documents`` makes the
documents. An issued invoice's PDF is rendered once, on the first download, and
served from storage afterwards; its XML is the one inside that PDF.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from webapp.charts import MonthlyUse, monthly_use_chart
from webapp.domain.deadlines import percentage
from webapp.domain.permissions import Actor
from webapp.domain.readings import month_starts
from webapp.extensions import db
from webapp.i18n import format_volume
from webapp.models import InvoiceDelivery, InvoiceKind, ServiceContract
from webapp.pagination import paginate
from webapp.responses import download
from webapp.services import customer_invoices as service
from webapp.services import invoice_documents as documents
from webapp.services import uploads
from webapp.services.access import logged_in_actor, today_in_tallinn

bp = Blueprint("invoices", __name__, url_prefix="/my/invoices")

CHART_MONTHS = 24
CLAIM_ENDPOINT = "claims.new"


def _actor() -> Actor:
    """The current person, if they may view documents at any site; else 404."""
    actor = logged_in_actor()
    if not service.may_view_any_invoices(actor):
        abort(404)
    return actor


def _chosen(contracts: list[ServiceContract]) -> tuple[list[ServiceContract],
                                                       ServiceContract | None]:
    """The contracts to show: all, or the one chosen with ``?contract=`` (404 for one
    the visitor does not see, or junk)."""
    raw = request.args.get("contract", "")
    if not raw:
        return contracts, None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        abort(404)
    chosen = next((contract for contract in contracts if contract.id == int(raw)), None)
    if chosen is None:
        abort(404)
    return [chosen], chosen


def _money_axis(value: Decimal) -> str:
    return format_volume(value, 0 if value == value.to_integral_value() else 2)


def _charts(figures: list[service.MonthFigures]) -> tuple[str, str]:
    use = monthly_use_chart(
        [MonthlyUse(entry.month, entry.water_m3) for entry in figures],
        title=_("Water billed by month, m³"),
        description=_("Bar chart of the water billed on the invoices of each of the last "
                      "%(count)s months; the table below lists the same figures.",
                      count=len(figures)),
        month_label=lambda day: day.strftime("%m.%y"),
        volume_label=lambda value: format_volume(
            value, 0 if value == value.to_integral_value() else 1),
        unknown_label=_("no invoice"), id_prefix="invoice-use")
    cost = monthly_use_chart(
        [MonthlyUse(entry.month, entry.cost) for entry in figures],
        title=_("Invoiced by month, EUR with VAT"),
        description=_("Bar chart of the invoices' totals with VAT for each of the last "
                      "%(count)s months; the table below lists the same figures.",
                      count=len(figures)),
        month_label=lambda day: day.strftime("%m.%y"),
        volume_label=_money_axis, unknown_label=_("no invoice"), id_prefix="invoice-cost",
        unit="EUR")
    return use, cost


@bp.get("/")
@login_required
def index() -> str:
    """The invoices with their statuses, the balance, and the use and cost by month."""
    actor = _actor()
    contracts = service.visible_contracts(actor)
    shown, chosen = _chosen(contracts)
    ids = [contract.id for contract in shown]
    today = today_in_tallinn()
    page = paginate(service.invoices_query(ids))
    # The months billed so far: up to the last one that has ended.
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    figures = service.monthly_figures(ids, month_starts(last_month, CHART_MONTHS))
    use_chart, cost_chart = _charts(figures)
    return render_template(
        "invoices/index.html", contracts=contracts, chosen=chosen, page=page, today=today,
        balances=service.balances(shown, today), figures=figures,
        has_figures=any(entry.cost is not None for entry in figures),
        use_chart=use_chart, cost_chart=cost_chart, status_of=service.display_status)


@bp.get("/payments")
@login_required
def payments() -> str:
    """The bank payments received for the invoices the visitor sees."""
    actor = _actor()
    contracts = service.visible_contracts(actor)
    shown, chosen = _chosen(contracts)
    page = paginate(service.payments_query([contract.id for contract in shown]))
    return render_template("invoices/payments.html", contracts=contracts, chosen=chosen,
                           page=page)


@bp.get("/interest")
@login_required
def interest() -> str:
    """The late interest charged (KEE §41(3)) on the invoices the visitor sees."""
    actor = _actor()
    contracts = service.visible_contracts(actor)
    shown, chosen = _chosen(contracts)
    page = paginate(service.interest_query([contract.id for contract in shown]))
    return render_template("invoices/interest.html", contracts=contracts, chosen=chosen,
                           page=page,
                           interest_cap=percentage("late_interest_cap", today_in_tallinn()))


@bp.get("/<int:invoice_id>")
@login_required
def detail(invoice_id: int) -> str:
    actor = logged_in_actor()
    invoice = service.visible_invoice(actor, invoice_id)
    try:
        totals = documents.totals_of(invoice)
    except documents.InvoiceDocumentError:
        current_app.logger.exception("invoice %s: totals do not add up", invoice.id)
        totals = None
    may_claim = (CLAIM_ENDPOINT in current_app.view_functions
                 and service.may_claim_invoice(actor, invoice))
    return render_template(
        "invoices/detail.html", invoice=invoice, totals=totals,
        status=service.display_status(invoice, today_in_tallinn()),
        groups=documents.line_groups(invoice), sources=documents.prepayment_sources(invoice),
        payments=documents.invoice_payments(invoice), may_claim=may_claim,
        claim_url=url_for(CLAIM_ENDPOINT, invoice_id=invoice.id) if may_claim else None,
        e_invoice=invoice.contract.invoice_delivery is InvoiceDelivery.E_INVOICE,
        credit_note=invoice.kind is InvoiceKind.CREDIT_NOTE,
        documents=documents)


def _document(invoice_id: int, content_type: str, suffix: str) -> Response:
    """The invoice's stored PDF (rendered and kept on the first download), or the XML
    inside it."""
    invoice = service.visible_invoice(logged_in_actor(), invoice_id)
    try:
        if suffix == ".xml":
            data = documents.stored_invoice_xml(invoice)
        else:
            data = uploads.read(documents.stored_invoice_pdf(invoice))
    except (documents.InvoiceDocumentError, OSError):
        db.session.rollback()
        current_app.logger.exception("invoice %s: no document", invoice_id)
        flash(_("The invoice's document cannot be made just now. Please try again later "
                "or contact the utility."), "error")
        return redirect(url_for("invoices.detail", invoice_id=invoice_id), code=303)
    db.session.commit()
    return download(data, content_type, documents.document_number(invoice) + suffix,
                    inline=suffix == ".pdf")


@bp.get("/<int:invoice_id>/pdf")
@login_required
def pdf(invoice_id: int) -> Response:
    """The invoice as a Factur-X PDF, the same file every time."""
    return _document(invoice_id, uploads.PDF, ".pdf")


@bp.get("/<int:invoice_id>/xml")
@login_required
def xml(invoice_id: int) -> Response:
    """The invoice's EN 16931 XML: the one inside its PDF, also for e-invoices."""
    return _document(invoice_id, "application/xml", ".xml")
