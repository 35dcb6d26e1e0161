"""The utility staff's back office: start page, search, customer and person cards,
the purpose of a look at personal data, readings entered and corrected."""

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
from werkzeug.wrappers import Response

from webapp.blueprints.main.routes import safe_local_path
from webapp.blueprints.staff.forms import (
    CorrectReadingForm,
    EnterReadingForm,
    PurposeForm,
    SearchForm,
)
from webapp.domain.permissions import Action, can
from webapp.extensions import db
from webapp.htmx import is_htmx_request
from webapp.services import backoffice
from webapp.services.access import require, today_in_tallinn
from webapp.services.overview import staff_dashboard

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.app_template_global()
def purpose_label(text: str | None) -> str:
    """A purpose from the audit trail in the reader's language (for any page)."""
    return backoffice.purpose_label(text)


@bp.get("/")
@login_required
def home() -> str:
    actor = require(Action.STAFF_AREA)
    return render_template(
        "staff/home.html",
        dashboard=staff_dashboard(today_in_tallinn()),
        roles=actor.staff_roles,
        form=SearchForm(formdata=None),
        may_review_rebates=can(actor, Action.STAFF_REVIEW_REBATES),
        may_run_rebates=can(actor, Action.STAFF_RUN_REBATES),
        may_handle_contracts=can(actor, Action.STAFF_HANDLE_CONTRACTS),
        may_bill=can(actor, Action.STAFF_BILLING),
    )


@bp.get("/search")
@login_required
def search() -> Response:
    actor = require(Action.STAFF_SEARCH)
    form = SearchForm(formdata=request.args)
    asked = "q" in request.args
    results = None
    if asked and form.validate():
        results = backoffice.search(actor, form.q.data)
        db.session.commit()  # the search is on record
    partial = is_htmx_request()
    template = "staff/_search_results.html" if partial else "staff/search.html"
    response = make_response(
        render_template(template, form=form, results=results, asked=asked, partial=partial)
    )
    response.vary.add("HX-Request")
    return response


def _purpose_url(kind: str, object_id: int, next_url: str) -> str:
    return url_for("staff.purpose", kind=kind, id=object_id, next=next_url)


def _card_url(kind: str, object_id: int) -> str:
    if kind == backoffice.CUSTOMER:
        return url_for("staff.customer", customer_id=object_id)
    return url_for("staff.person", person_id=object_id)


@bp.route("/purpose", methods=["GET", "POST"])
@login_required
def purpose() -> str | Response:
    require(Action.STAFF_VIEW_CUSTOMER)
    kind = request.args.get("kind", "")
    raw_id = request.args.get("id", "")
    if not (raw_id.isascii() and raw_id.isdigit()) or not backoffice.card_exists(
        kind, int(raw_id)
    ):
        abort(404)
    object_id = int(raw_id)
    target = safe_local_path(request.args.get("next"), _card_url(kind, object_id))
    form = PurposeForm()
    if form.validate_on_submit():
        backoffice.remember_purpose(
            kind, object_id, backoffice.purpose_text(form.purpose.data, form.details.data)
        )
        return redirect(target, code=303)
    return render_template(
        "staff/purpose.html",
        form=form,
        kind=kind,
        action=_purpose_url(kind, object_id, target),
        cancel=url_for("staff.search"),
    )


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int) -> str | Response:
    actor = require(Action.STAFF_VIEW_CUSTOMER)
    customer = backoffice.load_customer(customer_id)
    given = backoffice.given_purpose(backoffice.CUSTOMER, customer.id)
    if given is None:
        return redirect(_purpose_url(backoffice.CUSTOMER, customer.id, request.path))
    card = backoffice.view_customer_card(actor, customer, given)
    db.session.commit()
    return render_template(
        "staff/customer.html",
        card=card,
        purpose=given,
        change_purpose=_purpose_url(backoffice.CUSTOMER, customer.id, request.path),
        may_enter=can(actor, Action.STAFF_ENTER_READING),
        may_correct=can(actor, Action.STAFF_CORRECT_READING),
        may_handle_contracts=can(actor, Action.STAFF_HANDLE_CONTRACTS),
        may_bill=can(actor, Action.STAFF_BILLING),
    )


@bp.get("/persons/<int:person_id>")
@login_required
def person(person_id: int) -> str | Response:
    actor = require(Action.STAFF_VIEW_CUSTOMER)
    person = backoffice.load_person(person_id)
    given = backoffice.given_purpose(backoffice.PERSON, person.id)
    if given is None:
        return redirect(_purpose_url(backoffice.PERSON, person.id, request.path))
    card = backoffice.view_person_card(actor, person, given)
    db.session.commit()
    return render_template(
        "staff/person.html",
        card=card,
        purpose=given,
        change_purpose=_purpose_url(backoffice.PERSON, person.id, request.path),
    )


@bp.route("/meters/<int:meter_id>/readings/new", methods=["GET", "POST"])
@login_required
def enter_reading(meter_id: int) -> str | Response:
    actor = require(Action.STAFF_ENTER_READING)
    context = backoffice.meter_context(meter_id)
    customer_id = context.customer.id
    given = backoffice.given_purpose(backoffice.CUSTOMER, customer_id)
    if given is None:
        return redirect(_purpose_url(backoffice.CUSTOMER, customer_id, request.path))
    form = EnterReadingForm()
    if request.method == "GET":
        form.reading_date.data = today_in_tallinn()
    elif form.validate_on_submit():
        try:
            backoffice.enter_reading(
                actor, context, form.value.data, form.reading_date.data, given
            )
        except backoffice.ReadingRejected as rejected:
            db.session.rollback()
            _add_errors(form, rejected.errors)
        else:
            db.session.commit()
            flash(_("The reading of meter %(number)s was saved.", number=context.meter.number),
                  "success")
            return redirect(url_for("staff.customer", customer_id=customer_id), code=303)
    return render_template("staff/enter_reading.html", form=form, context=context)


@bp.route("/readings/<int:reading_id>/correct", methods=["GET", "POST"])
@login_required
def correct_reading(reading_id: int) -> str | Response:
    actor = require(Action.STAFF_CORRECT_READING)
    context = backoffice.reading_context(reading_id)
    customer_id = context.customer.id
    given = backoffice.given_purpose(backoffice.CUSTOMER, customer_id)
    if given is None:
        return redirect(_purpose_url(backoffice.CUSTOMER, customer_id, request.path))
    card_url = url_for("staff.customer", customer_id=customer_id)
    if not context.reading.is_current:
        flash(_("This reading has already been corrected."), "error")
        return redirect(card_url, code=303)
    form = CorrectReadingForm()
    if form.validate_on_submit():
        try:
            backoffice.correct_reading(
                actor, context, form.value.data, form.reason.data, given
            )
        except backoffice.ReadingRejected as rejected:
            db.session.rollback()
            _add_errors(form, rejected.errors)
        else:
            db.session.commit()
            flash(_("The reading was corrected; the old value is kept."), "success")
            return redirect(card_url, code=303)
    return render_template("staff/correct_reading.html", form=form, context=context,
                           card_url=card_url)


def _add_errors(form: EnterReadingForm | CorrectReadingForm, errors: dict[str, list[object]]
                ) -> None:
    for name, messages in errors.items():
        form[name].errors = [*form[name].errors, *messages]
