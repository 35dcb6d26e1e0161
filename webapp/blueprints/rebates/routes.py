"""Garden-water rebates for residents (DOMAIN.md section 2): the overview, the
application form with its preconditions, an application's page with its decisions
and letters, withdrawal, and the co-applicants' confirmation (ELVESO 2.1.3).

Thin: ``webapp.services.rebates`` checks, writes and asks the permission function;
a route parses the form, commits once and redirects with 303.
"""

from __future__ import annotations

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
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.blueprints.rebates.forms import (
    ConfirmForm,
    RebateApplicationForm,
    preview_input,
    verification_hint,
)
from webapp.extensions import db
from webapp.models.enums import OPEN_REBATE_STATUSES
from webapp.navigation import current_utility
from webapp.responses import download
from webapp.services import rebate_letters, uploads
from webapp.services import rebates as service
from webapp.services.access import logged_in_actor, today_in_tallinn

bp = Blueprint("rebates", __name__)

INVALID = 422  # a form sent back with its problems


@bp.get("/my/rebates")
@login_required
def index() -> str:
    actor = logged_in_actor()
    utility = current_utility()
    today = today_in_tallinn()
    options = service.site_options(actor, utility, today)
    applications = service.applications_of(actor)
    requests = service.joint_requests(current_user.person)
    if not (options or applications or requests):
        abort(404)
    return render_template(
        "rebates/index.html", rule_set=service.active_rule_set(utility), options=options,
        applications=applications, requests=requests, today=today)


def _form_page(option: service.SiteOption, form: RebateApplicationForm,
               preview: service.Preview | None, status: int = 200) -> tuple[str, int]:
    rule_set = service.active_rule_set(current_utility())
    return render_template(
        "rebates/apply.html", option=option, form=form, preview=preview, rule_set=rule_set,
        verification_hint=verification_hint(rule_set) if rule_set else None,
    ), status


def _preview(option: service.SiteOption, form: RebateApplicationForm
             ) -> service.Preview | None:
    data = preview_input(form)
    utility = current_utility()
    if data is None or utility is None:
        return None
    return service.preview(utility, option, data, today_in_tallinn())


@bp.route("/my/rebates/apply/<int:site_id>", methods=["GET", "POST"])
@login_required
def apply(site_id: int) -> Response | tuple[str, int]:
    """The application form (ELVESO 3.3): the preconditions are shown before sending."""
    actor = logged_in_actor()
    utility = current_utility()
    today = today_in_tallinn()
    option = service.site_option(actor, utility, site_id, today)
    rule_set = service.active_rule_set(utility)
    if rule_set is None or utility is None:
        abort(404)
    form = RebateApplicationForm()
    form.set_rule_set(rule_set)
    if not option.may_apply:
        return _form_page(option, form, None)
    if request.method == "GET":
        if len(option.sub_meters) == 1:  # the register's sub-meter, as a suggestion
            meter = option.sub_meters[0]
            form.sub_meter_number.data = meter.number
            form.sub_meter_seal.data = meter.seal_number
            form.sub_meter_verified_until.data = meter.verified_until
        return _form_page(option, form, _preview(option, form))
    if request.form.get("action") == "check":  # "Check the conditions" without JavaScript
        form.validate()
        form.consent.errors = []
        return _form_page(option, form, _preview(option, form))
    if not form.validate_on_submit():
        return _form_page(option, form, _preview(option, form), INVALID)
    attachment = None
    upload = request.files.get("attachment")
    if upload is not None and upload.filename:
        try:
            attachment = uploads.check_upload(upload.stream, upload.filename,
                                              service.ATTACHMENT_MAX_BYTES)
        except uploads.UploadRefused as refused:
            form.attachment.errors = [refused.message]
            return _form_page(option, form, _preview(option, form), INVALID)
    try:
        application = service.submit(actor, utility, option, current_user.person,
                                     form.application_input(), attachment, today)
    except service.RebateRefusal as refusal:
        db.session.rollback()
        _field_errors(form, refusal)
        return _form_page(option, form, _preview(option, form), INVALID)
    db.session.commit()
    if application.joint_applicants:
        flash(_("The application was saved. It goes to the utility once every co-applicant "
                "has confirmed it in their own login."), "success")
    else:
        flash(_("The application was sent to the utility."), "success")
    return redirect(url_for("rebates.application", application_id=application.id), code=303)


def _field_errors(form: RebateApplicationForm, refusal: service.RebateRefusal) -> None:
    names = ["joint_code_1" if name == "joint" else name for name in refusal.fields]
    fields = [form[name] for name in names if name in form]
    for field in fields:
        field.errors = [*field.errors, refusal.message]
    if not fields:
        flash(refusal.message, "error")


@bp.post("/my/rebates/apply/<int:site_id>/preview")
@login_required
def preview(site_id: int) -> Response:
    """The preconditions panel alone, for htmx as the form changes."""
    actor = logged_in_actor()
    utility = current_utility()
    option = service.site_option(actor, utility, site_id, today_in_tallinn())
    rule_set = service.active_rule_set(utility)
    if rule_set is None or not option.may_apply:
        abort(404)
    form = RebateApplicationForm()
    form.set_rule_set(rule_set)
    form.validate()
    response = make_response(render_template(
        "rebates/_preconditions.html", preview=_preview(option, form), rule_set=rule_set))
    response.vary.add("HX-Request")
    return response


@bp.get("/my/rebates/<int:application_id>")
@login_required
def application(application_id: int) -> str:
    actor = logged_in_actor()
    item = service.application_for(actor, application_id)
    return render_template("rebates/application.html", application=item,
                           decisions=service.decisions_of(item))


@bp.route("/my/rebates/<int:application_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(application_id: int) -> Response | str:
    actor = logged_in_actor()
    item = service.application_for(actor, application_id)
    back = url_for("rebates.application", application_id=item.id)
    utility = current_utility()
    if utility is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.withdraw(actor, utility, item, today_in_tallinn())
        except service.RebateRefusal as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(back, code=303)
        db.session.commit()
        flash(_("The application was withdrawn."), "success")
        return redirect(back, code=303)
    if item.status not in OPEN_REBATE_STATUSES:
        flash(_("This application is no longer in force."), "info")
        return redirect(back, code=303)
    return render_template("rebates/withdraw.html", application=item, form=form, back=back)


@bp.get("/my/rebates/<int:application_id>/attachment")
@login_required
def attachment(application_id: int) -> Response:
    actor = logged_in_actor()
    item = service.application_for(actor, application_id)
    if item.attachment is None:
        abort(404)
    stored = item.attachment
    return download(uploads.read(stored), stored.content_type, stored.original_name)


@bp.get("/my/rebates/decisions/<int:decision_id>/letter.pdf")
@login_required
def letter(decision_id: int) -> Response:
    """The decision letter (PDF) in the customer's language."""
    actor = logged_in_actor()
    decision = service.decision_for(actor, decision_id)
    letter = rebate_letters.decision_letter(decision)
    return download(letter.data, "application/pdf", letter.file_name, inline=True)


@bp.route("/my/rebates/joint/<int:application_id>", methods=["GET", "POST"])
@login_required
def joint(application_id: int) -> Response | str:
    """A co-applicant confirms the joint application in their own login (ELVESO 2.1.3)."""
    actor = logged_in_actor()
    person = current_user.person
    place = service.joint_request(actor, person, application_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.confirm_joint(actor, person, place)
        except service.RebateRefusal as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(url_for("rebates.joint", application_id=application_id), code=303)
        db.session.commit()
        flash(_("Thank you: your confirmation was saved."), "success")
        return redirect(url_for("rebates.joint", application_id=application_id), code=303)
    return render_template("rebates/joint.html", place=place, item=place.application,
                           form=form)
