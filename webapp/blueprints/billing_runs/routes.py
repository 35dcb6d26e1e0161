"""Billing runs (KEE §41-§42): the staff start a month's run, follow its progress, check
its drafts and issue them. Clerks and administrators (``Action.STAFF_BILLING``);
everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from webapp.billing_texts import template_names
from webapp.blueprints.billing_runs.forms import IssueForm, RunForm
from webapp.domain.permissions import Action, acting_role
from webapp.extensions import db
from webapp.htmx import is_htmx_request
from webapp.models import (
    BillingRun,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    ServiceContract,
    Utility,
)
from webapp.navigation import current_utility
from webapp.pagination import paginate
from webapp.services import billing_run
from webapp.services.access import require, today_in_tallinn
from webapp.services.audit import record
from webapp.services.backoffice import purpose_text

bp = Blueprint("billing_runs", __name__, url_prefix="/staff/billing")
bp.app_context_processor(template_names)

INVALID = 422
STATUS_FILTERS = ("draft", "issued", "paid", "cancelled")


def _utility() -> Utility:
    utility = current_utility()
    if utility is None:
        abort(404)
    return utility


def _period_arg() -> dt.date | None:
    text = request.args.get("period", "")
    try:
        return billing_run.parse_period(text) if text else None
    except billing_run.RunRefused:
        return None


def _index_page(form: RunForm, status: int = 200) -> tuple[str, int]:
    page = paginate(select(BillingRun).order_by(BillingRun.started_at.desc(),
                                                BillingRun.id.desc()))
    return render_template("billing_runs/index.html", form=form, page=page,
                           drafts=_draft_counts()), status


def _draft_counts() -> list[tuple[dt.date, int]]:
    """The months that have drafts waiting to be issued, and how many."""
    return [(period, count) for period, count in db.session.execute(
        select(Invoice.period_start, func.count())
        .where(Invoice.status == InvoiceStatus.DRAFT, Invoice.kind == InvoiceKind.INVOICE)
        .group_by(Invoice.period_start).order_by(Invoice.period_start.desc()))]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    today = today_in_tallinn()
    if request.method == "GET":
        form = RunForm(formdata=None)
        form.period.data = f"{billing_run.last_ended_period(today):%Y-%m}"
        return _index_page(form)
    form = RunForm()
    if not form.validate_on_submit():
        return _index_page(form, INVALID)
    try:
        period = billing_run.parse_period(form.period.data or "")
        run = billing_run.begin_run(_utility(), period, today, actor.person_id)
    except billing_run.RunRefused as refusal:
        db.session.rollback()
        form.period.errors = [str(refusal)]
        return _index_page(form, INVALID)
    db.session.commit()
    billing_run.start_in_background(run.id, today, acting_role(actor, Action.STAFF_BILLING))
    return redirect(url_for("billing_runs.run", run_id=run.id), code=303)


@bp.get("/runs/<int:run_id>")
@login_required
def run(run_id: int) -> Response:
    require(Action.STAFF_BILLING)
    item = db.session.get(BillingRun, run_id)
    if item is None:
        abort(404)
    drafts = db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.period_start == item.period_start, Invoice.status == InvoiceStatus.DRAFT,
        Invoice.kind == InvoiceKind.INVOICE)) or 0
    template = "billing_runs/_run.html" if is_htmx_request() else "billing_runs/run.html"
    response = make_response(render_template(template, run=item, drafts=drafts,
                                             issue_form=IssueForm(formdata=None)))
    response.vary.add("HX-Request")
    return response


@bp.route("/issue", methods=["GET", "POST"])
@login_required
def issue() -> Response | tuple[str, int]:
    """Confirm, then issue a month's drafts: numbered, dated and payable from now on."""
    actor = require(Action.STAFF_BILLING)
    form = IssueForm() if request.method == "POST" else IssueForm(formdata=None)
    text = form.period.data if request.method == "POST" else request.args.get("period", "")
    try:
        period = billing_run.parse_period(text or "")
    except billing_run.RunRefused:
        abort(404)
    drafts = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Invoice.gross), 0),
               func.coalesce(func.sum(Invoice.payable), 0))
        .where(Invoice.period_start == period, Invoice.status == InvoiceStatus.DRAFT,
               Invoice.kind == InvoiceKind.INVOICE)).one()
    if request.method == "GET" or not form.validate_on_submit():
        form.period.data = f"{period:%Y-%m}"
        status = 200 if request.method == "GET" else INVALID
        return render_template("billing_runs/issue.html", form=form, period=period,
                               count=drafts[0], gross=drafts[1], payable=drafts[2]), status
    if not drafts[0]:
        flash(_("There are no drafts of %(month)s to issue.", month=f"{period:%m.%Y}"),
              "error")
        return redirect(url_for("billing_runs.index"), code=303)
    issued = billing_run.issue_period(period, today_in_tallinn(), actor.person_id, _utility())
    record("issue_invoices", "billing_period", f"{period:%Y-%m}",
           acting_as=acting_role(actor, Action.STAFF_BILLING), after={"issued": issued})
    db.session.commit()
    flash(_("%(count)s invoice(s) of %(month)s were issued: they are numbered and the "
            "customers see them in the portal.", count=issued, month=f"{period:%m.%Y}"),
          "success")
    return redirect(url_for("billing_runs.invoices", period=f"{period:%Y-%m}"), code=303)


@bp.get("/invoices")
@login_required
def invoices() -> tuple[str, int]:
    require(Action.STAFF_BILLING)
    period = _period_arg()
    status = request.args.get("status", "")
    statement = (select(Invoice).join(ServiceContract, ServiceContract.id == Invoice.contract_id)
                 .order_by(Invoice.period_start.desc(), ServiceContract.number, Invoice.id))
    if period is not None:
        statement = statement.where(Invoice.period_start == period)
    if status in STATUS_FILTERS:
        statement = statement.where(Invoice.status == InvoiceStatus(status))
    return render_template("billing_runs/invoices.html", page=paginate(statement),
                           period=period, status=status, statuses=STATUS_FILTERS), 200


@bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int) -> tuple[str, int]:
    """One invoice with its lines, for checking a draft or answering a question: a
    read of a customer's data, audited."""
    actor = require(Action.STAFF_BILLING)
    item = db.session.get(Invoice, invoice_id)
    if item is None:
        abort(404)
    record("view_invoice", "invoice", item.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING),
           subject_person_id=item.customer.person_id,
           purpose=purpose_text("billing_question", None))
    db.session.commit()
    return render_template("billing_runs/invoice.html", invoice=item), 200
