"""The utility's queue of service contract applications (KEE §5): the draft's legal
deadline for each, the overdue first; asking for missing documents, assigning,
rejecting. Clerks and administrators (``domain/permissions.py``); others get 404.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.contracts.forms import (
    AssignForm,
    DraftForm,
    NoteForm,
    UtilityTerminationForm,
)
from webapp.domain.permissions import Action, Actor, acting_role
from webapp.extensions import db
from webapp.models import (
    ContractApplication,
    ContractApplicationStatus,
    ServiceContract,
    TerminationGround,
)
from webapp.pagination import paginate
from webapp.responses import download
from webapp.services import contract_applications as service
from webapp.services import contracts as contract_service
from webapp.services import notifications, uploads
from webapp.services.access import require, today_in_tallinn
from webapp.services.audit import record
from webapp.services.backoffice import CONTRACT_APPLICATION, purpose_text

bp = Blueprint("contract_review", __name__, url_prefix="/staff/contracts")

INVALID = 422


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All")),
                 *(SelectChoice(status.value, service.STATUS_NAMES[status])
                   for status in ContractApplicationStatus
                   if status is not ContractApplicationStatus.DRAFT)],
        default="")


@bp.get("/")
@login_required
def queue() -> tuple[str, int]:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    form = QueueFilterForm(formdata=request.args)
    if not form.validate():
        abort(400)
    status = ContractApplicationStatus(form.status.data) if form.status.data else None
    today = today_in_tallinn()
    page = paginate(service.queue(actor, status))
    return render_template("contract_review/queue.html", page=page, form=form, today=today,
                           counts=service.queue_counts(actor, today),
                           due=service.draft_due, overdue=service.is_overdue,
                           without=contract_service.used_without_contract(today)), 200


def _page(actor: Actor, application_id: int, note: NoteForm | None = None,
          reject: NoteForm | None = None, status: int = 200) -> tuple[str, int]:
    application = service.application_for_staff(actor, application_id)
    service.record_view(actor, application)
    db.session.commit()
    assign = AssignForm(formdata=None)
    assign.clerk.choices = _clerk_choices()
    assign.clerk.data = str(application.assigned_to_id or actor.person_id)
    today = today_in_tallinn()
    return render_template(
        "contract_review/application.html", application=application, assign=assign,
        note=note or NoteForm(formdata=None, prefix="ask"),
        reject=reject or NoteForm(formdata=None, prefix="reject"),
        due=service.draft_due(application), overdue=service.is_overdue(application, today),
        messages=notifications.about("contract_application", application.id),
    ), status


@bp.get("/<int:application_id>")
@login_required
def application(application_id: int) -> tuple[str, int]:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    return _page(actor, application_id)


def _clerk_choices() -> list[tuple[str, str]]:
    return [(str(person.id), person.full_name) for person in service.clerks()]


def _back(application_id: int) -> Response:
    return redirect(url_for("contract_review.application", application_id=application_id),
                    code=303)


@bp.post("/<int:application_id>/assign")
@login_required
def assign(application_id: int) -> Response:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    form = AssignForm()
    form.clerk.choices = _clerk_choices()
    if not form.validate_on_submit():
        flash(_("Choose a clerk."), "error")
        return _back(application_id)
    try:
        service.assign(actor, application, int(form.clerk.data))
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    flash(_("The application was assigned."), "success")
    return _back(application_id)


def _note_step(application_id: int, prefix: str,
               work: Callable[[Actor, ContractApplication, str], None], done: str
               ) -> Response | tuple[str, int]:
    """A step with a message to the applicant: the form again without it."""
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    form = NoteForm(prefix=prefix)
    if not form.validate_on_submit():
        forms = {"note": form} if prefix == "ask" else {"reject": form}
        return _page(actor, application_id, status=INVALID, **forms)
    try:
        work(actor, application, form.note.data)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    notifications.deliver()
    flash(done, "success")
    return _back(application_id)


@bp.post("/<int:application_id>/missing-documents")
@login_required
def missing_documents(application_id: int) -> Response | tuple[str, int]:
    return _note_step(application_id, "ask", service.ask_for_documents,
                      _("The applicant was asked for the missing documents; the draft's "
                        "days count again once they come."))


@bp.post("/<int:application_id>/reject")
@login_required
def reject(application_id: int) -> Response | tuple[str, int]:
    return _note_step(application_id, "reject", service.reject,
                      _("The application was rejected."))


@bp.get("/<int:application_id>/documents/<int:document_id>")
@login_required
def document(application_id: int, document_id: int) -> Response:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    found = next((d for d in application.documents if d.id == document_id), None)
    if found is None:
        abort(404)
    record("view_contract_document", "contract_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_HANDLE_CONTRACTS),
           subject_person_id=application.applicant_id,
           purpose=purpose_text(CONTRACT_APPLICATION, None))
    db.session.commit()
    return download(uploads.read(found.file), found.file.content_type,
                    found.file.original_name)


@bp.route("/<int:application_id>/draft", methods=["GET", "POST"])
@login_required
def draft(application_id: int) -> Response | tuple[str, int]:
    """The draft contract's terms; sending renders the PDF and tells the applicant."""
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    today = today_in_tallinn()
    if request.method == "GET":
        terms = service.suggested_terms(application, today)
        form = DraftForm(formdata=None, obj=terms)
        return _draft_page(application, form)
    form = DraftForm()
    if not form.validate_on_submit():
        return _draft_page(application, form, INVALID)
    terms = service.DraftTerms(
        site_code=form.site_code.data, contract_number=form.contract_number.data,
        start_date=form.start_date.data, end_date=form.end_date.data,
        reading_cycle_months=form.reading_cycle_months.data,
        meter_number=form.meter_number.data or None)
    try:
        service.prepare_draft(actor, application, terms, today)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        fields = [name for name in refusal.fields if name in form]
        for name in fields:
            form[name].errors = [*form[name].errors, refusal.message]
        if not fields:
            flash(refusal.message, "error")
        return _draft_page(application, form, INVALID)
    db.session.commit()
    notifications.deliver()
    flash(_("The draft contract was sent to the applicant."), "success")
    return _back(application_id)


def _draft_page(application: object, form: DraftForm, status: int = 200) -> tuple[str, int]:
    return render_template("contract_review/draft.html", application=application,
                           form=form), status


@bp.get("/<int:application_id>/draft.pdf")
@login_required
def draft_pdf(application_id: int) -> Response:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    data, name = service.draft_download(application)
    return download(data, "application/pdf", name, inline=True)


# --------------------------------------------------------------------------- contracts


def _contract_page(actor: Actor, contract_id: int, form: UtilityTerminationForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    contract = db.session.get(ServiceContract, contract_id)
    if contract is None:
        abort(404)
    record("view_service_contract", "service_contract", contract.id,
           acting_as=acting_role(actor, Action.STAFF_HANDLE_CONTRACTS),
           subject_person_id=contract.customer.person_id,
           purpose=purpose_text(CONTRACT_APPLICATION, None))
    db.session.commit()
    form = form or UtilityTerminationForm(formdata=None)
    form.ground.choices = _grounds()
    today = today_in_tallinn()
    return render_template(
        "contract_review/contract.html", contract=contract, form=form, today=today,
        ended=contract_service.has_ended(contract, today),
        closure_state=contract_service.closure(contract, today),
        event_names=contract_service.EVENT_NAMES,
        ground_names=contract_service.GROUND_NAMES), status


def _grounds() -> list[tuple[str, str]]:
    return [(ground.value, f"{ground.value}) {name}")
            for ground, name in contract_service.GROUND_NAMES.items()]


@bp.get("/c/<int:contract_id>")
@login_required
def contract(contract_id: int) -> tuple[str, int]:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    return _contract_page(actor, contract_id)


@bp.post("/c/<int:contract_id>/terminate")
@login_required
def terminate(contract_id: int) -> Response | tuple[str, int]:
    """KEE §6(3)-(4): the utility ends the contract on a ground, with a written notice."""
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    contract = db.session.get(ServiceContract, contract_id)
    if contract is None:
        abort(404)
    form = UtilityTerminationForm()
    form.ground.choices = _grounds()
    if not form.validate_on_submit():
        return _contract_page(actor, contract_id, form, INVALID)
    try:
        contract_service.terminate_by_utility(
            actor, contract, TerminationGround(form.ground.data), form.end_on.data,
            form.note.data or "", today_in_tallinn())
    except contract_service.ContractRefusal as refusal:
        db.session.rollback()
        for name in refusal.fields:
            if name in form:
                form[name].errors = [refusal.message]
        if not any(name in form for name in refusal.fields):
            flash(refusal.message, "error")
        return _contract_page(actor, contract_id, form, INVALID)
    db.session.commit()
    notifications.deliver()
    flash(_("The contract ends on the day given; the customer was sent the written notice."),
          "success")
    return redirect(url_for("contract_review.contract", contract_id=contract_id), code=303)


@bp.get("/c/<int:contract_id>/notice/<int:event_id>")
@login_required
def notice(contract_id: int, event_id: int) -> Response:
    require(Action.STAFF_HANDLE_CONTRACTS)
    contract = db.session.get(ServiceContract, contract_id)
    if contract is None:
        abort(404)
    event = next((e for e in contract.events if e.id == event_id), None)
    if event is None or event.notice_file is None:
        abort(404)
    return download(uploads.read(event.notice_file), "application/pdf",
                    event.notice_file.original_name, inline=True)
