"""Interruption notices to every affected customer (KEE §13(3)-(4)): staff choose the
sites, see how many sites and customers it concerns (htmx), confirm, and follow the
run's progress; a finished run links to its notices and to one PDF of them all.

Every staff role (``Action.STAFF_ACTS``); the work is ``webapp.services.interruptions``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.blueprints.acts.routes import INVALID, bp
from webapp.domain.notices import earliest_planned_start
from webapp.domain.permissions import Action, acting_role
from webapp.extensions import db
from webapp.forms.common import clean_line
from webapp.htmx import is_htmx_request
from webapp.models import NoticeRun
from webapp.responses import download
from webapp.services import acts as service
from webapp.services import audit, interruptions, runs, uploads
from webapp.services.access import require, today_in_tallinn
from webapp.services.act_kinds.interruption_notice import InterruptionNoticeForm, notice_data


class SelectionForm(FlaskForm):
    street = StringField(_l("Street or area in the sites' addresses"), filters=[clean_line],
                         validators=[Optional(), Length(max=100)])
    site_codes = TextAreaField(_l("Site codes, one a line"), validators=[
        Optional(), Length(max=interruptions.SITES_MAX * 41)], render_kw={"rows": 4})


class InterruptionRunForm(SelectionForm, InterruptionNoticeForm):
    confirm = BooleanField(_l("I have checked the notice: send it to every affected site"))


def _page(form: InterruptionRunForm, status: int = 200,
          selection: interruptions.Selection | None = None) -> tuple[str, int]:
    today = today_in_tallinn()
    return render_template("acts/interruptions.html", form=form, selection=selection,
                           earliest=earliest_planned_start(today),
                           runs=list(interruptions.recent_runs()),
                           sites_max=interruptions.SITES_MAX), status


@bp.route("/staff/acts/interruptions", methods=["GET", "POST"], endpoint="interruptions")
@login_required
def interruptions_page() -> Response | tuple[str, int]:
    actor = require(Action.STAFF_ACTS)
    if request.method == "GET":
        return _page(InterruptionRunForm(formdata=None))
    form = InterruptionRunForm()
    if not form.validate_on_submit():
        return _page(form, INVALID)
    today = today_in_tallinn()
    try:
        selection = interruptions.select_sites(form.street.data or "", form.site_codes.data or "",
                                               today)
    except interruptions.SelectionRefused as refused:
        form[refused.field].errors = [refused.message]
        return _page(form, INVALID)
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to send %(num)s notices.",
                                 num=selection.sites)]
        return _page(form, INVALID, selection)
    try:
        run = interruptions.begin_run(notice_data(form), selection.site_ids, actor.person_id)
    except runs.Busy:
        db.session.rollback()
        form.confirm.errors = [_("Notices of another interruption are being sent: wait "
                                 "until they are done, then send these.")]
        return _page(form, INVALID, selection)
    db.session.commit()
    interruptions.start_in_background(run.id, today, acting_role(actor, Action.STAFF_ACTS))
    return redirect(url_for("acts.interruption_run", run_id=run.id), code=303)


@bp.post("/staff/acts/interruptions/preview")
@login_required
def interruptions_preview() -> tuple[str, int]:
    """The htmx count of the sites and customers the selection reaches; nothing is saved."""
    require(Action.STAFF_ACTS)
    form = SelectionForm()
    selection = error = None
    if not form.validate():
        error = _("Correct the marked fields to see the sites.")
    else:
        try:
            selection = interruptions.select_sites(form.street.data or "",
                                                   form.site_codes.data or "",
                                                   today_in_tallinn())
        except interruptions.SelectionRefused as refused:
            error = refused.message
    return render_template("acts/_interruption_selection.html", selection=selection,
                           error=error), 200


def _run(run_id: int) -> NoticeRun:
    run = db.session.get(NoticeRun, run_id)
    if run is None:
        abort(404)
    return run


@bp.get("/staff/acts/interruptions/<int:run_id>")
@login_required
def interruption_run(run_id: int) -> Response:
    require(Action.STAFF_ACTS)
    run = _run(run_id)
    context: dict[str, Any] = {"run": run, "issued": interruptions.issued_count(run.batch_key)}
    template = ("acts/_interruption_run.html" if is_htmx_request()
                else "acts/interruption_run.html")
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


@bp.get("/staff/acts/interruptions/<int:run_id>/pdf")
@login_required
def interruption_run_pdf(run_id: int) -> Response:
    """Every notice of the run as one PDF, in the order of their numbers."""
    actor = require(Action.STAFF_ACTS)
    run = _run(run_id)
    documents = interruptions.batch_documents(run.batch_key)
    if not documents:
        flash(_("No notices of this interruption were issued."), "info")
        return redirect(url_for("acts.interruption_run", run_id=run.id), code=303)
    audit.record("act_batch_viewed", "notice_run", run.id,
                 acting_as=acting_role(actor, Action.STAFF_ACTS), purpose="official act",
                 after={"notices": len(documents)})
    data = service.batch_pdf(documents)
    db.session.commit()
    return download(data, uploads.PDF, f"interruption-{run.id}.pdf", inline=True)
