"""The council's what-if report (issue 10 item 5): the rebate rules with proposed
caps, windows and methods, over the last season's real applications, in aggregates
only. Council members, clerks and administrators (``domain/permissions.py``);
everyone else gets 404.

The form is sent with GET, so that a report is a link; the PDF takes the same
parameters. htmx swaps the form and result alone; without JavaScript the whole page
comes back.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from pdf.render import render_pdf
from webapp.blueprints.council.forms import WhatIfForm, form_data
from webapp.blueprints.council.texts import (
    BAND_NAMES,
    cap_text,
    problem_text,
    what_if_chart,
    window_text,
)
from webapp.domain.permissions import Action
from webapp.domain.rule_sets import RuleSet, load_rule_set, rule_set_ids
from webapp.domain.what_if import ProposalError, current_proposal, proposal_problems
from webapp.htmx import is_htmx_request
from webapp.i18n import select_locale
from webapp.models import Utility
from webapp.navigation import current_utility
from webapp.responses import download
from webapp.services import uploads
from webapp.services.access import require, today_in_tallinn
from webapp.services.what_if import NoSeason, WhatIfReport, what_if

bp = Blueprint("council", __name__, url_prefix="/council")

INVALID = 422
PDF_TITLE = _l("What-if report of the garden-water rebate rules")


@bp.context_processor
def _texts() -> dict[str, Any]:
    return {"band_names": BAND_NAMES, "cap_text": cap_text, "window_text": window_text}


def _utility() -> Utility:
    utility = current_utility()
    if utility is None:
        abort(404)
    return utility


def _compute(utility: Utility) -> tuple[WhatIfForm, RuleSet | None, WhatIfReport | None,
                                        str | None, int]:
    """The form, and the report if one was asked for: (form, rule set, report,
    message, status)."""
    ids = rule_set_ids()
    chosen = request.args.get("rule_set") or utility.rebate_rule_set or ids[0]
    # The rule set alone ("Use its values") asks for its own values in the form.
    asked = "watering_start" in request.args
    rule_set = load_rule_set(chosen) if chosen in ids else None
    defaults = form_data(current_proposal(rule_set), chosen) if rule_set else {}
    form = WhatIfForm(formdata=request.args if asked else None, data=defaults)
    form.rule_set.choices = [SelectChoice(rule_set_id, rule_set_id) for rule_set_id in ids]
    if rule_set is None:
        form.rule_set.data = chosen
        form.rule_set.errors = [_("Choose one of the rule sets.")]
        return form, None, None, None, INVALID
    if not asked:
        return form, rule_set, None, None, 200
    if not form.validate():
        return form, rule_set, None, None, INVALID
    proposal = form.proposal()
    problems = proposal_problems(rule_set, proposal)
    for problem in problems:
        getattr(form, problem.field).errors.append(problem_text(problem.code))
    if problems:
        return form, rule_set, None, None, INVALID
    try:
        report = what_if(utility, rule_set, proposal, today_in_tallinn())
    except ProposalError:  # pragma: no cover - proposal_problems said none
        abort(INVALID)
    except NoSeason as refusal:
        return form, rule_set, None, str(refusal), 200
    return form, rule_set, report, None, 200


@bp.get("/what-if")
@login_required
def what_if_page() -> Response:
    require(Action.COUNCIL_WHAT_IF)
    form, rule_set, report, message, status = _compute(_utility())
    template = "council/_what_if.html" if is_htmx_request() else "council/what_if.html"
    response = make_response(render_template(
        template, form=form, rule_set=rule_set, report=report, message=message,
        chart=what_if_chart(report) if report else None, query=request.query_string.decode()),
        status)
    response.vary.add("HX-Request")  # the same URL answers a page or the section alone
    return response


@bp.get("/what-if.pdf")
@login_required
def what_if_pdf() -> Response | tuple[str, int]:
    """The same report as a PDF for the council's meeting papers."""
    require(Action.COUNCIL_WHAT_IF)
    utility = _utility()
    form, rule_set, report, message, status = _compute(utility)
    if report is None:
        # Nothing to print: the page says why (bad input 422, no season 200).
        if status == 200 and message is None:
            status = INVALID
            message = _("Choose the values to compare first.")
        return render_template("council/what_if.html", form=form, rule_set=rule_set,
                               report=None, message=message, chart=None, query=""), status
    context: dict[str, Any] = {"report": report, "utility_name": utility.name,
                               "band_names": BAND_NAMES, "cap_text": cap_text,
                               "window_text": window_text,
                               "chart": what_if_chart(report, id_prefix="pdf-chart")}
    data = render_pdf("pdf/what_if.html", lang=select_locale(), title=PDF_TITLE, **context)
    return download(data, uploads.PDF, f"what-if-{report.rule_set.id}-{report.season}.pdf",
                    inline=True)
