"""Official acts and notices (issue 9): the staff's list, drafts with htmx previews,
issuing, printing and corrections; the customer's documents; the public check.

Thin: ``webapp.services.acts`` does the work; a route parses the form, asks the
permission function, commits once and redirects with 303.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.blueprints.acts.forms import (
    ConfirmForm,
    FilterForm,
    NewActForm,
    PhotoForm,
    VerifyFileForm,
    VerifyForm,
)
from webapp.domain.permissions import Action, Actor, acting_role
from webapp.extensions import db, limiter
from webapp.models import (
    ActKind,
    ActStatus,
    Invoice,
    IssuedDocumentChanged,
    OfficialDocument,
    Site,
)
from webapp.pagination import paginate
from webapp.responses import download
from webapp.services import acts as service
from webapp.services import audit, notifications, uploads
from webapp.services.access import logged_in_actor, require, today_in_tallinn
from webapp.services.backoffice import OFFICIAL_ACT, PURPOSE_CHOICES
from webapp.services.billing_run import closure_warning_candidates, closure_warning_count
from webapp.services.meter_installations import meters_to_install

bp = Blueprint("acts", __name__)

INVALID = 422
CANDIDATES = 20  # invoices shown for closure warnings, the longest due first
# The audit trail's wording of why staff read the customer's data (backoffice).
PURPOSE = dict((code, english) for code, english, _label in PURPOSE_CHOICES)[OFFICIAL_ACT]


@bp.record_once
def _template_names(state: Any) -> None:
    state.app.jinja_env.globals.update(act_kind_names=kind_names)


def kind_names() -> dict[str, str]:
    return {spec.kind.value: str(spec.title) for spec in service.all_specs()}


# --------------------------------------------------------------------------- staff: list


@bp.get("/staff/acts/")
@login_required
def index() -> tuple[str, int]:
    require(Action.STAFF_ACTS)
    form = FilterForm(formdata=request.args if request.args else None)
    if request.args and not form.validate():
        return _index_page(form, None, NewActForm(formdata=None), INVALID)
    filters = service.ListFilter(
        kind=ActKind(form.kind.data) if form.kind.data else None,
        status=ActStatus(form.status.data) if form.status.data else None,
        issued_from=form.issued_from.data, issued_until=form.issued_until.data,
        text=form.q.data or "", batch=form.batch.data or "")
    return _index_page(form, paginate(service.staff_query(filters)),
                       NewActForm(formdata=None))


def _index_page(form: FilterForm, page: Any, new: NewActForm,
                status: int = 200) -> tuple[str, int]:
    """The list of acts with the new-act form, the meters to install (KEE §37(1)) and
    the invoices a closure warning may be sent for (§43(2))."""
    today = today_in_tallinn()
    return render_template("acts/index.html", form=form, page=page, new=new, today=today,
                           to_install=meters_to_install(today),
                           closure_candidates=closure_warning_candidates(today, CANDIDATES),
                           closure_count=closure_warning_count(today)), status


@bp.post("/staff/acts/new")
@login_required
def new() -> Response | tuple[str, int]:
    actor = require(Action.STAFF_ACTS)
    form = NewActForm()
    if not form.validate_on_submit():
        return _index_page(FilterForm(formdata=None), None, form, INVALID)
    site = db.session.scalar(db.select(Site).where(Site.code == form.site_code.data))
    if site is None:
        form.site_code.errors = [_("No site has this code.")]
        return _index_page(FilterForm(formdata=None), None, form, INVALID)
    kind = ActKind(form.kind.data)
    invoice = None
    if form.invoice_id.data and service.spec_of(kind).needs_invoice:
        # Started from an invoice (KEE §43(2)): its customer, the invoice chosen.
        invoice = db.session.get(Invoice, int(form.invoice_id.data))
        if invoice is None or invoice.number is None \
                or site not in invoice.contract.sites:
            form.site_code.errors = [_("The invoice is not for this site.")]
            return _index_page(FilterForm(formdata=None), None, form, INVALID)
    doc = service.create_draft(kind, site, current_user.person,
                               customer=invoice.customer if invoice else None,
                               data={"invoice_id": str(invoice.id)} if invoice else None,
                               acting_as=acting_role(actor, Action.STAFF_ACTS))
    if invoice is not None:
        doc.invoice_id = invoice.id
    db.session.commit()
    return redirect(url_for("acts.detail", doc_id=doc.id), code=303)


# --------------------------------------------------------------------------- staff: one act


def _doc(doc_id: int) -> OfficialDocument:
    doc = service.staff_document(doc_id)
    if doc is None:
        abort(404)
    return doc


def _looked_at(actor: Actor, doc: OfficialDocument) -> None:
    """A staff member reading an act reads the customer's data: on the audit trail."""
    if doc.customer is not None:
        audit.record("act_viewed", "official_document", doc.id,
                     acting_as=acting_role(actor, Action.STAFF_ACTS),
                     subject_person_id=doc.customer.person_id, purpose=PURPOSE)


def _page(doc: OfficialDocument, form: Any = None, status: int = 200,
          problem: service.ActError | None = None) -> tuple[str, int]:
    """The act's page: a draft's form with its preview (``error``: what the preview
    cannot show yet) or an issued act's text; ``problem``: why the last action was
    refused, said above the form."""
    spec = service.spec_of(doc.kind)
    preview = error = None
    if not doc.is_issued:
        form = form or service.form_for(doc)
        try:
            preview = service.body_html(doc, service.compute(doc), doc.language)
        except service.ActError as refused:
            error = refused.message
    else:
        preview = service.body_html(doc, doc.result, doc.language)
    if problem is not None:
        error = None  # said once, above the form
        if form is not None and problem.field and problem.field in form:
            # the refusal beside the field it names, as a form's own error would be
            form[problem.field].errors = [*form[problem.field].errors, problem.message]
    return render_template(
        "acts/detail.html", doc=doc, spec=spec, form=form, preview=preview, error=error,
        problem=problem.message if problem is not None else None,
        confirm=ConfirmForm(formdata=None), photo_form=PhotoForm(formdata=None),
        messages=notifications.about("official_document", doc.id)), status


@bp.get("/staff/acts/<int:doc_id>")
@login_required
def detail(doc_id: int) -> tuple[str, int]:
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    _looked_at(actor, doc)
    page = _page(doc)
    db.session.commit()
    return page


@bp.post("/staff/acts/<int:doc_id>")
@login_required
def save(doc_id: int) -> Response | tuple[str, int]:
    require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    if doc.is_issued:
        flash(_("This act was issued as %(number)s and cannot change. Make a correction "
                "instead.", number=doc.number), "error")
        return redirect(url_for("acts.detail", doc_id=doc.id), code=303)
    form = service.form_for(doc, request.form)
    if not form.validate():
        return _page(doc, form, INVALID)
    service.update_draft(doc, form)
    db.session.commit()
    flash(_("The draft was saved."), "success")
    return redirect(url_for("acts.detail", doc_id=doc.id), code=303)


@bp.post("/staff/acts/<int:doc_id>/preview")
@login_required
def preview(doc_id: int) -> tuple[str, int]:
    """The htmx preview of what the form holds now; nothing is saved."""
    require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    if doc.is_issued:
        abort(409)
    form = service.form_for(doc, request.form)
    body = error = None
    if form.validate():
        with db.session.no_autoflush:
            service.update_draft(doc, form)
            try:
                body = service.body_html(doc, service.compute(doc), doc.language)
            except service.ActError as refused:
                error = refused.message
        db.session.rollback()
    else:
        error = _("Correct the marked fields to see the act.")
    return render_template("acts/_preview.html", preview=body, error=error, form=form,
                           doc=doc), 200


@bp.post("/staff/acts/<int:doc_id>/issue")
@login_required
def issue(doc_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    form = ConfirmForm()
    if doc.is_issued:
        db.session.rollback()
        flash(_("This act was issued already as %(number)s; it was not issued again.",
                number=doc.number), "error")
        return redirect(url_for("acts.detail", doc_id=doc.id), code=303)
    if not form.validate_on_submit():
        return _page(doc, status=INVALID, problem=service.ActError(
            _("Confirm that you have checked the act: once issued it cannot change.")))
    try:
        issued = service.issue(doc.id, current_user.person,
                               acting_role(actor, Action.STAFF_ACTS))
    except service.AlreadyIssued as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("acts.detail", doc_id=doc_id), code=303)
    except service.ActError as refused:
        db.session.rollback()
        return _page(_doc(doc_id), status=INVALID, problem=refused)
    db.session.commit()
    notifications.deliver()
    flash(_("Issued as %(number)s.", number=issued.number), "success")
    return redirect(url_for("acts.detail", doc_id=doc_id), code=303)


@bp.post("/staff/acts/<int:doc_id>/discard")
@login_required
def discard(doc_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(doc, status=INVALID, problem=service.ActError(
            _("Confirm that the draft is to be deleted.")))
    try:
        service.discard(doc, acting_role(actor, Action.STAFF_ACTS))
        db.session.commit()
    except (service.ActError, IssuedDocumentChanged):
        db.session.rollback()
        flash(_("An issued act cannot be deleted."), "error")
        return redirect(url_for("acts.detail", doc_id=doc_id), code=303)
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("acts.index"), code=303)


@bp.post("/staff/acts/<int:doc_id>/correct")
@login_required
def correct(doc_id: int) -> Response:
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    try:
        draft = service.correct(doc, current_user.person, acting_role(actor, Action.STAFF_ACTS))
    except service.ActError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("acts.detail", doc_id=doc_id), code=303)
    db.session.commit()
    flash(_("A correction of %(number)s was started as a new draft.", number=doc.number),
          "success")
    return redirect(url_for("acts.detail", doc_id=draft.id), code=303)


@bp.post("/staff/acts/<int:doc_id>/photos")
@login_required
def add_photo(doc_id: int) -> Response | tuple[str, int]:
    require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    form = PhotoForm()
    if not form.validate_on_submit():
        return _page(doc, status=INVALID, problem=service.ActError(
            "; ".join(str(error) for errors in form.errors.values() for error in errors)))
    try:
        service.attach_photo(doc, form.photo.data.stream, form.photo.data.filename,
                             form.caption.data or "", current_user.person)
    except service.ActError as refused:
        db.session.rollback()
        return _page(_doc(doc_id), status=INVALID, problem=refused)
    db.session.commit()
    flash(_("The photo was attached."), "success")
    return redirect(url_for("acts.detail", doc_id=doc_id) + "#photos", code=303)


@bp.post("/staff/acts/<int:doc_id>/photos/<int:attachment_id>/remove")
@login_required
def remove_photo(doc_id: int, attachment_id: int) -> Response:
    require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    try:
        service.remove_photo(doc, attachment_id)
        db.session.commit()
    except service.ActError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for("acts.detail", doc_id=doc_id) + "#photos", code=303)


@bp.get("/staff/acts/<int:doc_id>/photos/<int:attachment_id>")
@login_required
def photo(doc_id: int, attachment_id: int) -> Response:
    require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    item = next((item for item in doc.attachments if item.id == attachment_id), None)
    if item is None:
        abort(404)
    return download(uploads.read(item.file), item.file.content_type, item.file.original_name,
                    inline=True)


@bp.get("/staff/acts/<int:doc_id>/pdf")
@login_required
def pdf(doc_id: int) -> Response:
    """The issued act's stored PDF, or a draft's preview PDF (marked as a draft)."""
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    _looked_at(actor, doc)
    data = service.preview_pdf(doc)
    db.session.commit()
    return download(data, uploads.PDF, service.file_name(doc), inline=True)


@bp.get("/staff/acts/<int:doc_id>/print")
@login_required
def print_view(doc_id: int) -> tuple[str, int]:
    """The act as a page to print from the browser, the same text as its PDF."""
    actor = require(Action.STAFF_ACTS)
    doc = _doc(doc_id)
    _looked_at(actor, doc)
    try:
        result = doc.result if doc.is_issued else service.compute(doc)
    except service.ActError:
        result = None
    body = service.body_html(doc, result, doc.language)
    db.session.commit()
    return render_template("acts/print.html", doc=doc, body=body,
                           title=service.title_of(doc)), 200


@bp.get("/staff/acts/day.pdf")
@login_required
def day_pdf() -> Response:
    """Every act issued on a day (default today), as one PDF to print at the desk."""
    require(Action.STAFF_ACTS)
    raw = request.args.get("day") or today_in_tallinn().isoformat()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        abort(400)
    documents = service.issued_on_day(day)
    if not documents:
        flash(_("No acts were issued on %(day)s.", day=day.strftime("%d.%m.%Y")), "info")
        return redirect(url_for("acts.index"), code=303)
    return download(service.batch_pdf(documents), uploads.PDF, f"acts-{day.isoformat()}.pdf",
                    inline=True)


# --------------------------------------------------------------------------- the customer


@bp.get("/my/documents")
@login_required
def my_documents() -> tuple[str, int]:
    actor = logged_in_actor()
    documents = service.customer_documents(actor)
    return render_template("acts/my_documents.html", documents=documents), 200


@bp.get("/my/documents/<int:doc_id>/pdf")
@login_required
def my_document_pdf(doc_id: int) -> Response:
    actor = logged_in_actor()
    doc = db.session.get(OfficialDocument, doc_id)
    if doc is None or not service.may_view(actor, doc) or doc.pdf_file is None:
        abort(404)
    return download(uploads.read(doc.pdf_file), uploads.PDF, service.file_name(doc),
                    inline=True)


# --------------------------------------------------------------------------- public


def _verify_limit() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["GET", "POST"])
def verify() -> tuple[str, int]:
    """Anyone holding a printed act checks its number and the hash of its file; the
    answer names no person and no address."""
    result = None
    status = 200
    if request.method == "POST":
        file_form = VerifyFileForm()
        form = VerifyForm(formdata=None)
        if file_form.validate_on_submit():
            data = file_form.document.data.read(service.ACT_PDF_MAX_BYTES + 1)
            number = service.clean_number(file_form.number.data or "")
            result = service.verify(number, service.sha256_of(data))
        else:
            status = INVALID
    else:
        form = VerifyForm(formdata=request.args if request.args else None)
        file_form = VerifyFileForm(formdata=None)
        if request.args:
            if form.validate():
                result = service.verify(service.clean_number(form.number.data),
                                        service.clean_sha256(form.sha256.data))
            else:
                status = INVALID
    return render_template("acts/verify.html", form=form, file_form=file_form,
                           result=result), status


# The interruption notices' pages (KEE §13(3)-(4)) add their routes to this blueprint.
from webapp.blueprints.acts import interruptions as _interruptions  # noqa: E402, F401
