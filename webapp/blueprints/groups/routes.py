"""Groups of sites for the mass view of readings (ITB 1.2): create, rename, choose
the sites, delete. Offered to large customers only, like CSV import.

Thin: ``webapp.services.groups`` checks and writes; a route commits once and
redirects with 303.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.groups.forms import DeleteGroupForm, GroupForm
from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.navigation import current_utility
from webapp.services import groups as service
from webapp.services import readings
from webapp.services.access import current_actor

bp = Blueprint("groups", __name__, url_prefix="/my/readings/groups")

INVALID = 422


def _large_customer() -> tuple[Actor, readings.ReadingsList]:
    actor = current_actor()
    if actor is None or not readings.reading_site_ids(actor):
        abort(404)
    listing = readings.offers(actor, current_utility())
    if not listing.large_customer:
        abort(404)
    return actor, listing


def _form(listing: readings.ReadingsList) -> GroupForm:
    form = GroupForm()
    form.sites.choices = [SelectChoice(s.site_id, f"{s.address} ({s.code})")
                          for s in listing.sites]
    return form


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | tuple[str, int]:
    actor, listing = _large_customer()
    form = _form(listing)
    if form.validate_on_submit():
        try:
            group = service.create_group(actor, form.name.data, form.sites.data or [])
        except service.GroupRefused as refused:
            db.session.rollback()
            form.name.errors = [*form.name.errors, refused.message]
        else:
            db.session.commit()
            flash(_("The group “%(name)s” was made.", name=group.name), "success")
            return redirect(url_for("groups.index"), code=303)
    status = INVALID if form.errors else 200
    return render_template("groups/index.html", form=form, groups=service.my_groups(actor),
                           sites={s.site_id: s for s in listing.sites}), status


@bp.route("/<int:group_id>", methods=["GET", "POST"])
@login_required
def edit(group_id: int) -> Response | tuple[str, int]:
    actor, listing = _large_customer()
    group = service.group_or_404(actor, group_id)
    form = _form(listing)
    if not form.is_submitted():
        form.name.data = group.name
        form.sites.data = sorted(service.group_sites(actor, group.id))
    if form.validate_on_submit():
        try:
            service.change_group(actor, group, form.name.data, form.sites.data or [])
        except service.GroupRefused as refused:
            db.session.rollback()
            form.name.errors = [*form.name.errors, refused.message]
        else:
            db.session.commit()
            flash(_("The group “%(name)s” was saved.", name=group.name), "success")
            return redirect(url_for("groups.index"), code=303)
    status = INVALID if form.errors else 200
    return render_template("groups/edit.html", form=form, group=group), status


@bp.route("/<int:group_id>/delete", methods=["GET", "POST"])
@login_required
def delete(group_id: int) -> Response | str:
    actor, _listing = _large_customer()
    group = service.group_or_404(actor, group_id)
    form = DeleteGroupForm()
    if form.validate_on_submit():
        name = group.name
        service.delete_group(group)
        db.session.commit()
        flash(_("The group “%(name)s” was deleted. Its sites were not changed.", name=name),
              "success")
        return redirect(url_for("groups.index"), code=303)
    return render_template("groups/delete.html", form=form, group=group)
