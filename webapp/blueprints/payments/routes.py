"""Payments from bank statements (camt.053): the upload, the queue of unmatched payments
and their matching by hand, the list of payments. Clerks and administrators
(``Action.STAFF_BILLING``); everyone else gets 404.

Thin: ``services/payments`` imports, matches, writes and audits; a route parses,
commits once and redirects with 303 after a change. Each change by hand is shown
first (what it would do) and done only when confirmed.
"""

from __future__ import annotations

from typing import Any

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
from werkzeug.wrappers import Response

from webapp.blueprints.payments.forms import (
    STATUS_NAMES,
    IgnoreForm,
    ListFilterForm,
    MatchForm,
    PrepayForm,
    UploadForm,
)
from webapp.domain.camt053 import MAX_BYTES
from webapp.domain.permissions import Action, acting_role
from webapp.extensions import db
from webapp.htmx import is_htmx_request
from webapp.models import Payment, PaymentStatus, Utility
from webapp.navigation import current_utility
from webapp.pagination import paginate
from webapp.services import payments as service
from webapp.services.access import require

bp = Blueprint("payments", __name__, url_prefix="/staff/payments")

INVALID = 422
MEGABYTE = 1024 * 1024
# The request around a statement file: twice the file's limit, so that a file a little
# too large is told so on the form, not by the 413 page.
UPLOAD_REQUEST_MAX = 2 * MAX_BYTES
SKIPPED_SHOWN = 200  # skipped entries listed on the page; the rest are counted
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


@bp.url_value_preprocessor
def _statement_size(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """A bank statement may be larger than the portal's other uploads
    (``MAX_CONTENT_LENGTH``). This runs before any ``before_request`` function, so
    before the CSRF check reads the form."""
    if endpoint == "payments.upload":
        request.max_content_length = UPLOAD_REQUEST_MAX


def _utility() -> Utility:
    utility = current_utility()
    if utility is None:
        abort(404)
    return utility


def _context() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "skip_reasons": service.SKIP_REASON_NAMES}


# --------------------------------------------------------------------------- queue


@bp.get("/")
@login_required
def queue() -> str:
    require(Action.STAFF_BILLING)
    page = paginate(service.queue())
    return render_template("payments/queue.html", page=page, counts=service.queue_counts(),
                           **_context())


@bp.get("/list")
@login_required
def listing() -> Response:
    require(Action.STAFF_BILLING)
    form = ListFilterForm(formdata=request.args if request.args else None)
    page = None
    status_code = 200
    if form.validate():
        status = PaymentStatus(form.status.data) if form.status.data else None
        page = paginate(service.recent(status, (form.q.data or "").strip() or None))
    else:
        status_code = 400
    template = "payments/_list.html" if is_htmx_request() else "payments/list.html"
    response = make_response(render_template(template, form=form, page=page, **_context()),
                             status_code)
    response.vary.add("HX-Request")
    return response


# --------------------------------------------------------------------------- upload


def _upload_page(form: UploadForm, summary: service.ImportSummary | None = None,
                 problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("payments/upload.html", form=form, summary=summary,
                           problems=problems or [], max_megabytes=MAX_BYTES // MEGABYTE,
                           skipped_shown=SKIPPED_SHOWN, **_context()), status


def _statement_bytes(form: UploadForm) -> bytes | None:
    """The uploaded file's bytes if it looks like XML; else None with the form's error."""
    upload = request.files.get(form.statement.name)
    if upload is None or not upload.filename:
        form.statement.errors = [_("Choose the bank statement file.")]
        return None
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        form.statement.errors = [_("The file is larger than %(size)s MB: download a shorter "
                                   "period from the bank.", size=MAX_BYTES // MEGABYTE)]
        return None
    if not data.strip():
        form.statement.errors = [_("The file is empty.")]
        return None
    if not data.removeprefix(_BYTE_ORDER_MARK).lstrip().startswith(b"<"):
        form.statement.errors = [_("This file is not XML: a camt.053 bank statement is an "
                                   "XML file (its content was checked, not its name).")]
        return None
    return data


@bp.route("/import", methods=["GET", "POST"])
@login_required
def upload() -> tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    if request.method == "GET":
        return _upload_page(UploadForm(formdata=None))
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, status=INVALID)
    data = _statement_bytes(form)
    if data is None:
        return _upload_page(form, status=INVALID)
    try:
        summary = service.import_statement(
            data, actor_id=actor.person_id, utility=_utility(),
            acting_as=acting_role(actor, Action.STAFF_BILLING))
    except service.PaymentImportError as error:
        db.session.rollback()
        return _upload_page(UploadForm(formdata=None), problems=error.problems,
                            status=INVALID)
    db.session.commit()
    # The summary is shown once, here: loading the file again books nothing and says
    # its entries were there already.
    return _upload_page(UploadForm(formdata=None), summary=summary)


# --------------------------------------------------------------------------- one payment


def _payment_page(payment: Payment, *, match: MatchForm | None = None,
                  prepay: PrepayForm | None = None, ignore: IgnoreForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    unmatched = payment.status is PaymentStatus.UNMATCHED
    match = match or MatchForm(formdata=None)
    hints = service.hints(payment) if unmatched else None
    if hints is not None and not match.invoice.data and len(hints.named_invoices) == 1:
        match.invoice.data = hints.named_invoices[0].number
    return render_template(
        "payments/payment.html", payment=payment, hints=hints, unmatched=unmatched,
        match=match, prepay=prepay or PrepayForm(formdata=None),
        ignore=ignore or IgnoreForm(formdata=None), **_context()), status


def _back(payment_id: int) -> Response:
    return redirect(url_for("payments.payment", payment_id=payment_id), code=303)


def _done(message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("payments.queue"), code=303)


def _refused(payment_id: int, refusal: service.PaymentRefusal) -> Response:
    db.session.rollback()
    flash(refusal.message, "error")
    return _back(payment_id)


def _handled_already(payment: Payment) -> Response | None:
    if payment.status is PaymentStatus.UNMATCHED:
        return None
    flash(_("This payment was handled already: nothing was changed."), "error")
    return _back(payment.id)


@bp.get("/<int:payment_id>")
@login_required
def payment(payment_id: int) -> tuple[str, int]:
    require(Action.STAFF_BILLING)
    return _payment_page(service.payment_for_staff(payment_id))


@bp.post("/<int:payment_id>/match")
@login_required
def match(payment_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    item = service.payment_for_staff(payment_id)
    form = MatchForm()
    if not form.validate_on_submit():
        return _payment_page(item, match=form, status=INVALID)
    if (handled := _handled_already(item)) is not None:
        return handled
    try:
        invoice = service.find_invoice(form.invoice.data)
    except service.PaymentRefusal as refusal:
        form.invoice.errors = [refusal.message]
        return _payment_page(item, match=form, status=INVALID)
    if not form.is_confirmed:
        form.confirmed.data = "yes"
        service.record_look(actor, item, invoice.customer, invoice)
        db.session.commit()
        return render_template("payments/confirm.html", payment=item, action="match",
                               form=form, preview=service.preview_match(item, invoice),
                               **_context()), 200
    try:
        preview = service.match_by_hand(actor, item, invoice)
    except service.PaymentRefusal as refusal:
        return _refused(payment_id, refusal)
    if preview.prepayment > 0:
        return _done(_("The payment was matched to invoice %(number)s; %(rest)s EUR went to "
                       "the customer's prepayment.", number=invoice.number,
                       rest=preview.prepayment))
    return _done(_("The payment was matched to invoice %(number)s.", number=invoice.number))


@bp.post("/<int:payment_id>/prepay")
@login_required
def prepay(payment_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    item = service.payment_for_staff(payment_id)
    form = PrepayForm()
    if not form.validate_on_submit():
        return _payment_page(item, prepay=form, status=INVALID)
    if (handled := _handled_already(item)) is not None:
        return handled
    try:
        customer = service.find_customer(form.customer_code.data)
    except service.PaymentRefusal as refusal:
        form.customer_code.errors = [refusal.message]
        return _payment_page(item, prepay=form, status=INVALID)
    if not form.is_confirmed:
        form.confirmed.data = "yes"
        service.record_look(actor, item, customer)
        db.session.commit()
        return render_template("payments/confirm.html", payment=item, action="prepay",
                               form=form, customer=customer, **_context()), 200
    try:
        service.prepay_by_hand(actor, item, customer)
    except service.PaymentRefusal as refusal:
        return _refused(payment_id, refusal)
    return _done(_("The payment was booked as %(name)s's prepayment.", name=customer.name))


@bp.post("/<int:payment_id>/ignore")
@login_required
def ignore(payment_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_BILLING)
    item = service.payment_for_staff(payment_id)
    form = IgnoreForm()
    if not form.validate_on_submit():
        return _payment_page(item, ignore=form, status=INVALID)
    if (handled := _handled_already(item)) is not None:
        return handled
    if not form.is_confirmed:
        form.confirmed.data = "yes"
        return render_template("payments/confirm.html", payment=item, action="ignore",
                               form=form, **_context()), 200
    try:
        service.ignore_by_hand(actor, item, form.note.data)
    except service.PaymentRefusal as refusal:
        return _refused(payment_id, refusal)
    return _done(_("The payment was set aside as not a customer's."))
