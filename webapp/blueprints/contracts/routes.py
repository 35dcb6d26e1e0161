"""Applying for a service contract (KEE §5): the steps of the form, kept as a draft
between visits; the application's page with its history; adding documents the
utility asked for; withdrawing.

Thin: ``webapp.services.contract_applications`` checks and writes; a route parses
the form, commits once, delivers the notifications and redirects with 303.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.blueprints.contracts.forms import (
    MYSELF,
    AcceptForm,
    ClosureForm,
    ConfirmForm,
    ContactForm,
    DocumentForm,
    KindForm,
    PropertyForm,
    SaleForm,
    TerminationForm,
)
from webapp.extensions import db
from webapp.models import ContractApplication, DocumentKind, Person, ServiceContract
from webapp.navigation import current_utility
from webapp.responses import download
from webapp.services import contract_applications as service
from webapp.services import contracts as contract_service
from webapp.services import notifications, uploads
from webapp.services.access import logged_in_actor, today_in_tallinn

bp = Blueprint("contracts", __name__)

INVALID = 422
bp.add_app_template_global(service.STATUS_NAMES, "application_status_names")
bp.add_app_template_global(service.KIND_NAMES, "application_kind_names")
bp.add_app_template_global(service.DOCUMENT_NAMES, "document_names")
bp.add_app_template_global(service.EVENT_NAMES, "application_event_names")
bp.add_app_template_global(service.applied_late, "application_applied_late")
FORMS = {"kind": KindForm, "property": PropertyForm, "contact": ContactForm}


@bp.get("/my/contracts")
@login_required
def index() -> str:
    actor = logged_in_actor()
    person = current_user.person
    return render_template("contracts/index.html", draft=service.current_draft(person),
                           applications=service.applications_of(person),
                           contracts=contract_service.contracts_of(actor, person),
                           today=today_in_tallinn())


def _step_page(application: ContractApplication, step: str, form: object,
               status: int = 200, document_form: DocumentForm | None = None
               ) -> tuple[str, int]:
    return render_template(
        "contracts/step.html", application=application, step=step, form=form,
        steps=service.STEPS, gaps=service.gaps(application) if step == "send" else [],
        document_form=document_form or DocumentForm(formdata=None),
        confirm=ConfirmForm(), today=today_in_tallinn(),
    ), status


def _filled(application: ContractApplication, step: str) -> object:
    """The step's form as the draft has it."""
    if step == "kind":
        form = KindForm(formdata=None, obj=application)
        form.set_parties(service.represented_companies(current_user.person))
        if not current_user.person.full_name.strip():
            form.ask_name()
        form.party.data = str(application.company_id) if application.company_id else MYSELF
        form.kind.data = application.kind.value
        form.temporary_purpose.data = (application.temporary_purpose.value
                                       if application.temporary_purpose else None)
        return form
    if step == "property":
        form = PropertyForm(formdata=None, obj=application)
        form.pollution_group.data = (application.pollution_group.value
                                     if application.pollution_group else "")
        return form
    if step == "contact":
        form = ContactForm(formdata=None, obj=application)
        form.invoice_delivery.data = (application.invoice_delivery.value
                                      if application.invoice_delivery else None)
        return form
    return ConfirmForm()


def _next(step: str) -> str:
    steps = service.STEPS
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


@bp.route("/my/contracts/apply", methods=["GET"])
@login_required
def start() -> Response:
    """Begin an application, or go on with the draft."""
    actor = logged_in_actor()
    service.draft_for(actor, current_user.person)
    db.session.commit()
    return redirect(url_for("contracts.step", step=service.STEPS[0]), code=303)


@bp.route("/my/contracts/apply/<step>", methods=["GET", "POST"])
@login_required
def step(step: str) -> Response | tuple[str, int]:
    if step not in service.STEPS:
        abort(404)
    actor = logged_in_actor()
    person = current_user.person
    application = service.draft_for(actor, person)
    db.session.commit()
    if request.method == "GET":
        return _step_page(application, step, _filled(application, step))
    if step in FORMS:
        form = FORMS[step]()
        if isinstance(form, KindForm):
            form.set_parties(service.represented_companies(person))
            if not person.full_name.strip():
                form.ask_name()
        if not form.validate_on_submit():
            return _step_page(application, step, form, INVALID)
        if isinstance(form, KindForm) and form.needs_name:
            service.name_the_applicant(person, form.given_name.data, form.family_name.data)
        service.save_fields(application, form.values())  # type: ignore[attr-defined]
        db.session.commit()
        return redirect(url_for("contracts.step", step=_next(step)), code=303)
    if step == "documents":
        def page(form: DocumentForm, status: int) -> tuple[str, int]:
            return _step_page(application, step, ConfirmForm(), status, form)

        return _add_document(application, person, page,
                             url_for("contracts.step", step="documents"))
    # "send": the last step's button
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.submit(application, person)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(url_for("contracts.step", step="send"), code=303)
    db.session.commit()
    notifications.deliver()
    flash(_("The application was sent. The utility presents the draft contract within 14 "
            "days (KEE §5(3)); you will get an e-mail at each step."), "success")
    return redirect(url_for("contracts.application", application_id=application.id), code=303)


Page = Callable[[DocumentForm, int], tuple[str, int]]


def _add_document(application: ContractApplication, person: Person, page: Page,
                  back: str) -> Response | tuple[str, int]:
    """A document for the application, checked by content; the page again on a refusal."""
    form = DocumentForm()
    upload = request.files.get("file")
    if not form.validate_on_submit():
        return page(form, INVALID)
    if upload is None or not upload.filename:
        form.kind.errors = [*form.kind.errors, _("Choose the file to add.")]
        return page(form, INVALID)
    try:
        checked = uploads.check_upload(upload.stream, upload.filename,
                                       service.DOCUMENT_MAX_BYTES)
        service.add_document(application, person, DocumentKind(form.kind.data), checked)
    except (uploads.UploadRefused, service.ApplicationRefusal) as refused:
        db.session.rollback()
        form.kind.errors = [*form.kind.errors, refused.message]
        return page(form, INVALID)
    db.session.commit()
    flash(_("The document %(name)s was added.", name=checked.name), "success")
    return redirect(back, code=303)


@bp.post("/my/contracts/apply/documents/<int:document_id>/remove")
@login_required
def remove_document(document_id: int) -> Response:
    actor = logged_in_actor()
    application = service.draft_for(actor, current_user.person)
    return _application_step(lambda: service.remove_document(application, document_id),
                             _("The document was removed."),
                             url_for("contracts.step", step="documents"))


def _application_step(work: Callable[[], object], done: str, back: str) -> Response:
    """A button's step on an application: done and told, or refused and said."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        work()
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        db.session.commit()
        notifications.deliver()
        flash(done, "success")
    return redirect(back, code=303)


@bp.get("/my/contracts/<int:application_id>")
@login_required
def application(application_id: int) -> tuple[str, int]:
    actor = logged_in_actor()
    item = service.own_application(actor, current_user.person, application_id)
    return _application_page(item)


def _application_page(item: ContractApplication, document_form: DocumentForm | None = None,
                      accept_form: AcceptForm | None = None, status: int = 200
                      ) -> tuple[str, int]:
    return render_template(
        "contracts/application.html", application=item, due=service.draft_due(item),
        document_form=document_form or DocumentForm(formdata=None), confirm=ConfirmForm(),
        accept_form=accept_form or AcceptForm(formdata=None),
        messages=notifications.about("contract_application", item.id)), status


@bp.post("/my/contracts/<int:application_id>/documents")
@login_required
def add_document(application_id: int) -> Response | tuple[str, int]:
    actor = logged_in_actor()
    person = current_user.person
    item = service.own_application(actor, person, application_id)
    back = url_for("contracts.application", application_id=item.id)

    def page(form: DocumentForm, status: int) -> tuple[str, int]:
        return _application_page(item, document_form=form, status=status)

    return _add_document(item, person, page, back)


@bp.post("/my/contracts/<int:application_id>/complete")
@login_required
def complete(application_id: int) -> Response:
    """The documents asked for are added: the application is complete again."""
    actor = logged_in_actor()
    person = current_user.person
    item = service.own_application(actor, person, application_id)
    return _application_step(lambda: service.send_missing_documents(item, person),
                             _("The documents were sent to the utility."),
                             url_for("contracts.application", application_id=item.id))


@bp.route("/my/contracts/<int:application_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(application_id: int) -> Response | str:
    actor = logged_in_actor()
    person = current_user.person
    item = service.own_application(actor, person, application_id)
    back = url_for("contracts.application", application_id=item.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.withdraw(item, person)
        except service.ApplicationRefusal as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(back, code=303)
        db.session.commit()
        notifications.deliver()
        flash(_("The application was withdrawn."), "success")
        return redirect(url_for("contracts.index"), code=303)
    return render_template("contracts/withdraw.html", application=item, form=form, back=back)


@bp.get("/my/contracts/<int:application_id>/documents/<int:document_id>")
@login_required
def document(application_id: int, document_id: int) -> Response:
    actor = logged_in_actor()
    item = service.own_application(actor, current_user.person, application_id)
    found = next((d for d in item.documents if d.id == document_id), None)
    if found is None:
        abort(404)
    return download(uploads.read(found.file), found.file.content_type,
                    found.file.original_name)


@bp.get("/my/contracts/<int:application_id>/draft.pdf")
@login_required
def draft_pdf(application_id: int) -> Response:
    actor = logged_in_actor()
    item = service.own_application(actor, current_user.person, application_id)
    data, name = service.draft_download(item)
    return download(data, "application/pdf", name, inline=True)


def _signed(item: ContractApplication, contract: ServiceContract) -> Response:
    db.session.commit()
    notifications.deliver()
    flash(_("The contract %(number)s is signed. Its site appears under My sites from %(day)s.",
            number=contract.number, day=contract.start_date.strftime("%d.%m.%Y")), "success")
    return redirect(url_for("contracts.application", application_id=item.id), code=303)


@bp.post("/my/contracts/<int:application_id>/accept")
@login_required
def accept(application_id: int) -> Response | tuple[str, int]:
    """The applicant accepts the draft (KEE §5(3)), with the eID method of this login."""
    actor = logged_in_actor()
    person = current_user.person
    item = service.own_application(actor, person, application_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _application_page(item, accept_form=form, status=INVALID)
    try:
        contract = service.accept(item, person, current_user.login_session)
    except service.ApplicationRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(url_for("contracts.application", application_id=item.id), code=303)
    return _signed(item, contract)


@bp.post("/my/contracts/<int:application_id>/signed")
@login_required
def signed(application_id: int) -> Response | tuple[str, int]:
    """The draft sent back signed: a DigiDoc container (.asice, .bdoc) or a signed PDF."""
    actor = logged_in_actor()
    person = current_user.person
    item = service.own_application(actor, person, application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    document_form = DocumentForm(formdata=None)
    try:
        if upload is None or not upload.filename:
            raise uploads.UploadRefused(_("Choose the signed file."))
        checked = uploads.check_upload(upload.stream, upload.filename,
                                       service.DOCUMENT_MAX_BYTES, uploads.SIGNED_TYPES)
        contract = service.upload_signed(item, person, checked)
    except (uploads.UploadRefused, service.ApplicationRefusal) as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return _application_page(item, document_form=document_form, status=INVALID)
    return _signed(item, contract)


# --------------------------------------------------------------------------- a contract


def _contract_page(contract: ServiceContract, status: int = 200, *,
                   sale: SaleForm | None = None, closure: ClosureForm | None = None
                   ) -> tuple[str, int]:
    today = today_in_tallinn()
    return render_template(
        "contracts/contract.html", contract=contract, today=today,
        closure_state=contract_service.closure(contract, today),
        ended=contract_service.has_ended(contract, today),
        ending=contract_service.ending(contract, today),
        renewal_until=contract_service.renewal_until(contract),
        sale=sale or SaleForm(formdata=None), closure=closure or ClosureForm(formdata=None),
        confirm=ConfirmForm(), event_names=contract_service.EVENT_NAMES,
        ground_names=contract_service.GROUND_NAMES), status


def _contract(contract_id: int) -> ServiceContract:
    return contract_service.contract_for(logged_in_actor(), current_user.person, contract_id)


@bp.get("/my/contracts/c/<int:contract_id>")
@login_required
def contract(contract_id: int) -> tuple[str, int]:
    return _contract_page(_contract(contract_id))


def _contract_action(contract: ServiceContract, work: Callable[[], object], done: str,
                     page: Callable[[], tuple[str, int]] | None = None
                     ) -> Response | tuple[str, int]:
    """Do it, commit and tell; a refusal is shown beside its field or above the page."""
    try:
        work()
    except contract_service.ContractRefusal as refusal:
        db.session.rollback()
        if page is not None and refusal.fields:
            flash(refusal.message, "error")
            return page()
        flash(refusal.message, "error")
        return redirect(url_for("contracts.contract", contract_id=contract.id), code=303)
    db.session.commit()
    notifications.deliver()
    flash(done, "success")
    return redirect(url_for("contracts.contract", contract_id=contract.id), code=303)


@bp.post("/my/contracts/c/<int:contract_id>/sale")
@login_required
def sale(contract_id: int) -> Response | tuple[str, int]:
    """KEE §6(1): the customer notifies a sale at least 14 days ahead."""
    item = _contract(contract_id)
    form = SaleForm()
    if not form.validate_on_submit():
        return _contract_page(item, INVALID, sale=form)
    return _contract_action(item, lambda: contract_service.notify_sale(
        logged_in_actor(), current_user.person, item, form.sale_on.data,
        form.new_owner.data or "", today_in_tallinn()),
        _("The sale was notified: the contract ends the day before the new owner's day."),
        lambda: _contract_page(item, INVALID, sale=form))


@bp.post("/my/contracts/c/<int:contract_id>/close")
@login_required
def close(contract_id: int) -> Response | tuple[str, int]:
    """KEE §6(2): the supply closed for up to a year."""
    item = _contract(contract_id)
    form = ClosureForm()
    if not form.validate_on_submit():
        return _contract_page(item, INVALID, closure=form)
    return _contract_action(item, lambda: contract_service.close_supply(
        logged_in_actor(), current_user.person, item, form.start.data, form.until.data,
        today_in_tallinn()), _("The closure of the supply was recorded."),
        lambda: _contract_page(item, INVALID, closure=form))


@bp.post("/my/contracts/c/<int:contract_id>/reopen")
@login_required
def reopen(contract_id: int) -> Response:
    item = _contract(contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = _contract_action(item, lambda: contract_service.reopen(
        logged_in_actor(), current_user.person, item, today_in_tallinn()),
        _("The supply is to be opened again."))
    assert isinstance(result, Response)  # noqa: S101 - no page to send back
    return result


@bp.post("/my/contracts/c/<int:contract_id>/renew")
@login_required
def renew(contract_id: int) -> Response:
    """KEE §7(1): renewal within a year of the end, as an application."""
    item = _contract(contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        application = contract_service.renew(logged_in_actor(), current_user.person, item,
                                             today_in_tallinn())
    except contract_service.ContractRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(url_for("contracts.contract", contract_id=item.id), code=303)
    db.session.commit()
    flash(_("The renewal was applied for: the utility sends the draft contract within 14 "
            "days (KEE §5(3))."), "success")
    return redirect(url_for("contracts.application", application_id=application.id), code=303)


@bp.route("/my/contracts/c/<int:contract_id>/end", methods=["GET", "POST"])
@login_required
def end(contract_id: int) -> Response | str | tuple[str, int]:
    """KEE §6(1): the contract ended at the customer's request, with final readings."""
    item = _contract(contract_id)
    meters = contract_service.final_meters(item)
    today = today_in_tallinn()
    form = TerminationForm() if request.method == "POST" else TerminationForm(
        formdata=None, end_on=today, reading_day=today)
    values = {meter.id: request.form.get(f"reading-{meter.id}", "")[:40] for meter in meters}

    def page(status: int = 200) -> tuple[str, int]:
        return render_template("contracts/end.html", contract=item, form=form, meters=meters,
                               values=values), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(INVALID)
    return _contract_action(item, lambda: contract_service.terminate(
        logged_in_actor(), current_user.person, item, form.end_on.data, form.reading_day.data,
        values, current_utility(), today), _("The contract ends on the day you chose; the "
                                             "final readings were saved."),
        lambda: page(INVALID))


@bp.get("/my/contracts/c/<int:contract_id>/notice/<int:event_id>")
@login_required
def notice(contract_id: int, event_id: int) -> Response:
    item = _contract(contract_id)
    event = next((e for e in item.events if e.id == event_id and e.notice_file), None)
    if event is None or event.notice_file is None:
        abort(404)
    return download(uploads.read(event.notice_file), "application/pdf",
                    event.notice_file.original_name, inline=True)
