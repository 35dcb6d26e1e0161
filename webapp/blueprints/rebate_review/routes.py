"""The utility's side of garden-water rebates: the review queue (ELVESO 3.6, 2.2) and
the season run (ELVESO 3.4). Clerks and administrators (``domain/permissions.py``);
everyone else gets 404.
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
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.blueprints.rebate_review.forms import (
    ApproveForm,
    CapForm,
    QueueFilterForm,
    RefuseForm,
    RunForm,
)
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.domain.rule_sets import load_rule_set
from webapp.extensions import db
from webapp.htmx import is_htmx_request
from webapp.models import RebateApplication, RebateDecisionRecord, RebateRun, RebateStatus, Utility
from webapp.navigation import current_utility
from webapp.pagination import paginate
from webapp.rebate_texts import check_title
from webapp.responses import download
from webapp.services import rebate_letters, rebate_run, uploads
from webapp.services import rebates as service
from webapp.services.access import require, today_in_tallinn
from webapp.services.audit import record
from webapp.services.backoffice import REBATE_REVIEW, purpose_text

bp = Blueprint("rebate_review", __name__, url_prefix="/staff/rebates")

INVALID = 422


def _utility() -> Utility:
    utility = current_utility()
    if utility is None:
        abort(404)
    return utility


@bp.get("/")
@login_required
def queue() -> tuple[str, int]:
    actor = require(Action.STAFF_REVIEW_REBATES)
    form = QueueFilterForm(formdata=request.args if request.args else None)
    if not form.validate():
        return render_template("rebate_review/queue.html", form=form, page=None,
                               counts=service.queue_counts(actor)), 400
    status = RebateStatus(form.status.data) if form.status.data else None
    page = paginate(service.queue(actor, status, form.q.data))
    return render_template("rebate_review/queue.html", form=form, page=page,
                           counts=service.queue_counts(actor),
                           may_run=can(actor, Action.STAFF_RUN_REBATES)), 200


def _review_page(actor: Actor, application_id: int, refuse: RefuseForm | None = None,
                 cap: CapForm | None = None, status: int = 200) -> tuple[str, int]:
    application = service.for_staff(actor, RebateApplication, application_id)
    review = service.review(actor, _utility(), application, today_in_tallinn())
    rule_set = load_rule_set(application.rule_set)
    refuse = refuse or RefuseForm(formdata=None)
    refuse.ground.choices = _ground_choices(application)
    db.session.commit()  # the look is on the audit trail
    return render_template(
        "rebate_review/application.html", review=review, application=application,
        refuse=refuse, cap=cap or CapForm(formdata=None), approve=ApproveForm(),
        cap_rule=rule_set.caps.get(application.method),
    ), status


def _ground_choices(application: RebateApplication) -> list[tuple[str, str]]:
    """The rule set's refusal grounds (ELVESO 3.6.1-3.6.7), each with its clause."""
    rule_set = load_rule_set(application.rule_set)
    grounds = service.refusal_grounds(rule_set, application.method)
    return [("", _("Choose…"))] + [(ground, f"{clause}: {check_title(ground)}")
                                   for ground, clause in grounds]


@bp.get("/<int:application_id>")
@login_required
def application(application_id: int) -> tuple[str, int]:
    actor = require(Action.STAFF_REVIEW_REBATES)
    return _review_page(actor, application_id)


def _back(application_id: int) -> Response:
    return redirect(url_for("rebate_review.application", application_id=application_id),
                    code=303)


@bp.post("/<int:application_id>/approve")
@login_required
def approve(application_id: int) -> Response:
    actor = require(Action.STAFF_REVIEW_REBATES)
    application = service.for_staff(actor, RebateApplication, application_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    try:
        service.approve(actor, application)
    except service.RebateRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    flash(_("The application was approved: it counts in the season runs of its seasons."),
          "success")
    return _back(application_id)


@bp.post("/<int:application_id>/refuse")
@login_required
def refuse(application_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_REVIEW_REBATES)
    application = service.for_staff(actor, RebateApplication, application_id)
    form = RefuseForm()
    form.ground.choices = _ground_choices(application)
    if not form.validate_on_submit():
        return _review_page(actor, application_id, refuse=form, status=INVALID)
    try:
        service.refuse(actor, application, form.ground.data, form.note.data or "")
    except service.RebateRefusal as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back(application_id)
    db.session.commit()
    flash(_("The application was refused."), "success")
    return _back(application_id)


@bp.post("/<int:application_id>/cap")
@login_required
def raise_cap(application_id: int) -> Response | tuple[str, int]:
    actor = require(Action.STAFF_REVIEW_REBATES)
    application = service.for_staff(actor, RebateApplication, application_id)
    form = CapForm()
    if not form.validate_on_submit():
        return _review_page(actor, application_id, cap=form, status=INVALID)
    try:
        service.raise_cap(actor, application, form.cap_m3.data, form.justification.data)
    except service.RebateRefusal as refusal:
        db.session.rollback()
        for name in refusal.fields:
            if name in form:
                form[name].errors = [refusal.message]
        if not any(name in form for name in refusal.fields):
            flash(refusal.message, "error")
        return _review_page(actor, application_id, cap=form, status=INVALID)
    db.session.commit()
    flash(_("The cap was raised to %(cap)s m³.", cap=form.cap_m3.data), "success")
    return _back(application_id)


@bp.get("/<int:application_id>/attachment")
@login_required
def attachment(application_id: int) -> Response:
    actor = require(Action.STAFF_REVIEW_REBATES)
    application = service.for_staff(actor, RebateApplication, application_id)
    if application.attachment is None:
        abort(404)
    stored = application.attachment
    record("view_rebate_attachment", "rebate_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_REVIEW_REBATES),
           subject_person_id=application.applicant_id,
           purpose=purpose_text(REBATE_REVIEW, None))
    db.session.commit()
    return download(uploads.read(stored), stored.content_type, stored.original_name)


@bp.get("/decisions/<int:decision_id>/letter.pdf")
@login_required
def letter(decision_id: int) -> Response:
    actor = require(Action.STAFF_REVIEW_REBATES)
    decision = service.for_staff(actor, RebateDecisionRecord, decision_id)
    letter = rebate_letters.decision_letter(decision)
    record("view_rebate_letter", "rebate_decision", decision.id,
           acting_as=acting_role(actor, Action.STAFF_REVIEW_REBATES),
           subject_person_id=decision.application.applicant_id,
           purpose=purpose_text(REBATE_REVIEW, None))
    db.session.commit()
    return download(letter.data, "application/pdf", letter.file_name, inline=True)


# --------------------------------------------------------------------------- season runs


def _runs_page(form: RunForm, status: int = 200) -> tuple[str, int]:
    page = paginate(select(RebateRun).order_by(RebateRun.started_at.desc(),
                                               RebateRun.id.desc()))
    return render_template("rebate_review/runs.html", form=form, page=page,
                           rule_set=service.active_rule_set(current_utility())), status


@bp.route("/runs", methods=["GET", "POST"])
@login_required
def runs() -> Response | tuple[str, int]:
    actor = require(Action.STAFF_RUN_REBATES)
    today = today_in_tallinn()
    if request.method == "GET":
        form = RunForm(formdata=None)
        rule_set = service.active_rule_set(current_utility())
        if rule_set is not None:
            form.season.data = service.latest_ended_season(rule_set, today)
        return _runs_page(form)
    form = RunForm()
    if not form.validate_on_submit():
        return _runs_page(form, INVALID)
    try:
        run = rebate_run.begin_run(_utility(), form.season.data, today, actor.person_id)
    except service.RebateRefusal as refusal:
        db.session.rollback()
        form.season.errors = [refusal.message]
        return _runs_page(form, INVALID)
    db.session.commit()
    rebate_run.start_in_background(run.id, today,
                                   acting_role(actor, Action.STAFF_RUN_REBATES))
    return redirect(url_for("rebate_review.run", run_id=run.id), code=303)


@bp.get("/runs/<int:run_id>")
@login_required
def run(run_id: int) -> Response:
    require(Action.STAFF_RUN_REBATES)
    item = db.session.get(RebateRun, run_id)
    if item is None:
        abort(404)
    template = "rebate_review/_run.html" if is_htmx_request() else "rebate_review/run.html"
    response = make_response(render_template(template, run=item))
    response.vary.add("HX-Request")
    return response
