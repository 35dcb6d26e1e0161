"""The logged-in person's own start page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.domain.permissions import Action, can
from webapp.pagination import paginate
from webapp.services.access import current_actor, require, sites_where
from webapp.services.audit import staff_reads_of
from webapp.services.overview import customer_overview

bp = Blueprint("account", __name__)


@bp.get("/my")
@login_required
def home() -> str | Response:
    actor = current_actor()
    if actor is None:  # login_required let through someone without a person
        abort(404)
    sites = customer_overview(actor)
    if not sites and can(actor, Action.STAFF_AREA):
        return redirect(url_for("staff.home"))
    if not sites and can(actor, Action.COUNCIL_WHAT_IF):
        # A council member's one page (issue 10).
        return redirect(url_for("council.what_if_page"))
    if not sites:
        return render_template("account/no_access.html")
    return render_template(
        "account/overview.html",
        sites=sites,
        person=current_user.person,
        manageable=set(sites_where(actor, Action.MANAGE_AUTHORISATIONS)),
    )


@bp.get("/my/data-access")
@login_required
def data_access() -> str:
    """Which staff member looked at or changed my data, when and why ("Andmejälgija")."""
    require(Action.VIEW_OWN_DATA_ACCESS)
    page = paginate(staff_reads_of(current_user.person.id))
    return render_template("account/data_access.html", page=page)
