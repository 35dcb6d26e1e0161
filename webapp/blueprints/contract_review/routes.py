"""The utility's queue of service contract applications (KEE §5): the draft's legal
deadline for each, the overdue first; asking for missing documents, assigning,
rejecting. Clerks and administrators (``domain/permissions.py``); others get 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.contracts.forms import AssignForm, NoteForm
from webapp.domain.permissions import Action, Actor, acting_role
from webapp.extensions import db
from webapp.models import ContractApplicationStatus
from webapp.pagination import paginate
from webapp.responses import download
from webapp.services import contract_applications as service
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
                           due=service.draft_due, overdue=service.is_overdue), 200


def _page(actor: Actor, application_id: int, note: NoteForm | None = None,
          reject: NoteForm | None = None, status: int = 200) -> tuple[str, int]:
    application = service.application_for_staff(actor, application_id)
    service.record_view(actor, application)
    db.session.commit()
    assign = AssignForm(formdata=None)
    assign.clerk.choices = [(str(person.id), person.full_name) for person in service.clerks()]
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


def _back(application_id: int) -> Response:
    return redirect(url_for("contract_review.application", application_id=application_id),
                    code=303)


@bp.post("/<int:application_id>/assign")
@login_required
def assign(application_id: int) -> Response:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    form = AssignForm()
    form.clerk.choices = [(str(person.id), person.full_name) for person in service.clerks()]
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


@bp.post("/<int:application_id>/missing-documents")
@login_required
def missing_documents(application_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    form = NoteForm(prefix="ask")
    if not form.validate_on_submit():
        return _page(actor, application_id, note=form, status=INVALID)
    try:
        service.ask_for_documents(actor, application, form.note.data)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    notifications.deliver()
    flash(_("The applicant was asked for the missing documents; the draft's days count "
            "again once they come."), "success")
    return _back(application_id)


@bp.post("/<int:application_id>/reject")
@login_required
def reject(application_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_HANDLE_CONTRACTS)
    application = service.application_for_staff(actor, application_id)
    form = NoteForm(prefix="reject")
    if not form.validate_on_submit():
        return _page(actor, application_id, reject=form, status=INVALID)
    try:
        service.reject(actor, application, form.note.data)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    notifications.deliver()
    flash(_("The application was rejected."), "success")
    return _back(application_id)


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
