"""Claims about invoices (KEE §43(1)): the customer's form and the staff queue with its
deadlines.

Thin: ``webapp.services.claims`` checks, writes and asks the permission function; a
route parses the form, commits once, delivers the notifications and redirects with 303.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.blueprints.claims.forms import AcceptForm, ClaimForm, QueueFilterForm, RejectForm
from webapp.domain.permissions import Action, Actor
from webapp.extensions import db
from webapp.models import Claim, ClaimStatus, Invoice, Utility
from webapp.navigation import current_utility
from webapp.pagination import paginate
from webapp.services import claims as service
from webapp.services import notifications
from webapp.services.access import current_actor, logged_in_actor, require, today_in_tallinn

bp = Blueprint("claims", __name__)

INVALID = 422  # a form sent back with its problems


@bp.record_once
def _template_names(state: Any) -> None:
    state.app.jinja_env.globals.update(claim_status_names=service.STATUS_NAMES,
                                       claim_line_names=service.LINE_NAMES,
                                       claim_invoice_status_names=service.INVOICE_STATUS_NAMES)


@bp.app_template_global("invoice_claims")
def invoice_claims(invoice: Invoice) -> list[Claim]:
    """The claims about ``invoice``, for ``claims/_invoice_claims.html``."""
    return service.claims_of(invoice)


@bp.app_template_global("invoice_claim_window")
def invoice_claim_window(invoice: Invoice) -> service.ClaimWindow | None:
    """Until when the current person may claim about ``invoice``; None if they may not."""
    if not service.may_claim(current_actor(), invoice):
        return None
    return service.window(invoice, today_in_tallinn())


# --------------------------------------------------------------------------- the customer


def _claim_page(invoice: Invoice, form: ClaimForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "claims/new.html", invoice=invoice, form=form,
        window=service.window(invoice, today_in_tallinn()),
        open_claim=service.open_claim_of(invoice)), status


@bp.route("/my/invoices/<int:invoice_id>/claim", methods=["GET", "POST"])
@login_required
def new(invoice_id: int) -> Response | tuple[str, int]:
    actor = logged_in_actor()
    invoice = service.claimable_invoice(actor, invoice_id)
    if request.method == "GET":
        return _claim_page(invoice, ClaimForm(formdata=None))
    form = ClaimForm()
    today = today_in_tallinn()
    try:
        # The deadline decides before the text: a late claim hears why, even empty.
        service.check_claimable(invoice, today)
        if not form.validate_on_submit():
            return _claim_page(invoice, form, INVALID)
        service.make_claim(actor, current_user.person, invoice, form.text.data, today)
    except service.ClaimRefusal as refusal:
        db.session.rollback()
        _show(refusal, form)
        return _claim_page(invoice, form, INVALID)
    db.session.commit()
    flash(_("Your claim was sent. The utility answers it within 10 working days (KEE "
            "§43(1))."), "success")
    return redirect(url_for("claims.new", invoice_id=invoice.id), code=303)


def _show(refusal: service.ClaimRefusal, form: Any) -> None:
    """The refusal beside its field, or above the form."""
    named = [name for name in refusal.fields if name in form]
    for name in named:
        form[name].errors = [*form[name].errors, refusal.message]
    if not named:
        form.form_errors.append(refusal.message)


# --------------------------------------------------------------------------- staff


@bp.get("/staff/claims")
@login_required
def queue() -> tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    form = QueueFilterForm(formdata=request.args if request.args else None)
    today = today_in_tallinn()
    if not form.validate():
        abort(400)
    status = ClaimStatus(form.status.data) if form.status.data else None
    page = paginate(service.queue(actor, status))
    return render_template("claims/queue.html", form=form, page=page, today=today,
                           counts=service.queue_counts(actor, today),
                           overdue=service.is_overdue), 200


def _utility() -> Utility:
    utility = current_utility()
    if utility is None:
        abort(404)
    return utility


def _claim_view(actor: Actor, claim_id: int, reject: RejectForm | None = None,
                accept: AcceptForm | None = None, status: int = 200) -> tuple[str, int]:
    claim = service.claim_for_staff(actor, claim_id)
    view = service.view(actor, claim)
    db.session.commit()  # the look is on the audit trail
    return render_template(
        "claims/claim.html", view=view, claim=claim, invoice=view.invoice,
        today=today_in_tallinn(), overdue=service.is_overdue(claim, today_in_tallinn()),
        reject=reject or RejectForm(formdata=None, prefix="reject"),
        accept=accept or AcceptForm(formdata=None, prefix="accept"),
        messages=notifications.about("invoice_claim", claim.id)), status


@bp.get("/staff/claims/<int:claim_id>")
@login_required
def claim(claim_id: int) -> tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    return _claim_view(actor, claim_id)


def _back(claim_id: int) -> Response:
    return redirect(url_for("claims.claim", claim_id=claim_id), code=303)


@bp.post("/staff/claims/<int:claim_id>/reject")
@login_required
def reject(claim_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    item = service.claim_for_staff(actor, claim_id)
    form = RejectForm(prefix="reject")
    if not form.validate_on_submit():
        return _claim_view(actor, claim_id, reject=form, status=INVALID)
    try:
        service.reject(actor, item, form.answer.data)
    except service.ClaimRefusal as refusal:
        db.session.rollback()
        _show(refusal, form)
        return _claim_view(actor, claim_id, reject=form, status=INVALID)
    db.session.commit()
    notifications.deliver()
    flash(_("The claim was rejected; the customer was told."), "success")
    return _back(claim_id)


@bp.post("/staff/claims/<int:claim_id>/accept")
@login_required
def accept(claim_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    item = service.claim_for_staff(actor, claim_id)
    form = AcceptForm(prefix="accept")
    if not form.validate_on_submit():
        return _claim_view(actor, claim_id, accept=form, status=INVALID)
    try:
        amount = None if form.credit_in_full.data else service.parse_amount(form.amount.data or "")
        note = service.accept(actor, item, form.answer.data, amount, today_in_tallinn(),
                              _utility())
    except service.ClaimRefusal as refusal:
        db.session.rollback()
        _show(refusal, form)
        return _claim_view(actor, claim_id, accept=form, status=INVALID)
    db.session.commit()
    notifications.deliver()
    flash(_("The claim was accepted: credit note %(number)s was issued and the customer was "
            "told.", number=note.number), "success")
    return _back(claim_id)
