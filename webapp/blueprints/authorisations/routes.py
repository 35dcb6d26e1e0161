"""Authorisations (ITB 3): owners and managers add and remove representatives.

Thin: the service ``webapp.services.authorisations`` checks, writes and audits;
a route parses, commits once after a successful POST and redirects with 303.
A person who manages no site gets 404 here, as for any page they may not use.
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
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.authorisations.forms import RemoveForm, RepresentativeForm
from webapp.domain.permissions import Action, Actor
from webapp.extensions import db
from webapp.models import Site, SiteRoleKind
from webapp.services import authorisations as service
from webapp.services.access import current_actor, require, today_in_tallinn

bp = Blueprint("authorisations", __name__, url_prefix="/authorisations")


def _my_sites() -> tuple[Actor, list[Site]]:
    """The current person and the sites they manage; 404 if they manage none."""
    actor = current_actor()
    sites = service.manageable_sites(actor) if actor is not None else []
    if actor is None or not sites:
        abort(404)
    return actor, sites


def _chosen_site(sites: list[Site]) -> Site | None:
    """The site named by ``?site=``: None for all sites, 404 for one not managed."""
    raw = request.args.get("site", "")
    if not raw:
        return None
    site_id = int(raw) if raw.isdigit() else None
    require(Action.MANAGE_AUTHORISATIONS, site_id=site_id)
    return next(site for site in sites if site.id == site_id)


def _chosen_sites(sites: list[Site]) -> list[Site]:
    """The sites ticked in advance by ``?site=`` (it may repeat); 404 for one not managed.

    "Select all my sites" is a link naming them all, so it works without JavaScript.
    """
    chosen = []
    for raw in request.args.getlist("site"):
        site_id = int(raw) if raw.isdigit() else None
        require(Action.MANAGE_AUTHORISATIONS, site_id=site_id)
        chosen.append(next(site for site in sites if site.id == site_id))
    return chosen


@bp.get("/")
@login_required
def index() -> Response:
    actor, sites = _my_sites()
    chosen = _chosen_site(sites)
    listing = service.representatives_at(
        actor, [chosen] if chosen else sites, today_in_tallinn()
    )
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "authorisations/_representatives.html" if partial else "authorisations/index.html"
    response = make_response(render_template(template, sites=sites, chosen=chosen, listing=listing))
    response.vary.add("HX-Request")  # the same URL answers a page or the list alone
    return response


@bp.route("/add", methods=["GET", "POST"])
@login_required
def add() -> Response | str:
    actor, sites = _my_sites()
    chosen = _chosen_sites(sites)
    form = RepresentativeForm()
    form.sites.choices = [SelectChoice(str(site.id), site.address) for site in sites]
    if request.method == "GET":
        form.sites.data = [site.id for site in chosen]
    if form.validate_on_submit():
        new = service.NewRepresentative(
            personal_code=form.personal_code.data,
            given_name=form.given_name.data,
            family_name=form.family_name.data,
            role=SiteRoleKind(form.role.data),
            valid_from=form.valid_from.data,
            valid_until=form.valid_until.data,
            site_ids=tuple(form.sites.data),
        )
        try:
            added = service.add_representative(actor, new, today_in_tallinn())
        except service.InvalidRepresentative as invalid:
            for problem in invalid.problems:
                form[problem.field].errors.append(problem.message)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s was added as %(role)s at: %(sites)s.",
                    name=added.person.full_name,
                    role=service.ROLE_NAMES[added.role],
                    sites="; ".join(site.address for site in added.sites),
                ),
                "success",
            )
            only = added.sites[0].id if len(added.sites) == 1 else None
            return redirect(url_for("authorisations.index", site=only), 303)
    return render_template("authorisations/add.html", form=form, chosen=chosen, sites=sites)


@bp.route("/<int:role_id>/remove", methods=["GET", "POST"])
@login_required
def remove(role_id: int) -> Response | str:
    actor, role = service.role_to_remove(role_id, today_in_tallinn())
    form = RemoveForm()
    if form.validate_on_submit():
        service.remove_representative(actor, role)
        db.session.commit()
        flash(
            _(
                "%(name)s is no longer %(role)s at %(address)s.",
                name=role.person.full_name,
                role=service.ROLE_NAMES[role.role],
                address=role.site.address,
            ),
            "success",
        )
        return redirect(url_for("authorisations.index", site=role.site_id), 303)
    if request.method == "POST":
        abort(400)
    return render_template("authorisations/remove.html", form=form, role=role)
