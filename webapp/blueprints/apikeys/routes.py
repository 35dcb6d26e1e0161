"""The API page of the mass view (ITB 1.2.2): an owner or a manager makes, renews,
limits and revokes the customer's API key. Offered to large customers, like CSV
import and groups. A new key is shown once, in the answer to the POST that made it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from webapp.blueprints.apikeys.forms import ConfirmForm, KeyLimitsForm
from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.models import ApiKey
from webapp.navigation import current_utility
from webapp.services import api_keys as service
from webapp.services import readings
from webapp.services.access import current_actor

bp = Blueprint("apikeys", __name__, url_prefix="/my/readings/api")

INVALID = 422
DOCS_URL = "/api/openapi/index.html?url=/api/openapi.json"  # the address ITB gives


def _key_maker() -> tuple[Actor, list[service.KeyCustomer]]:
    """A large customer's owner or manager; anyone else gets 404."""
    actor = current_actor()
    if actor is None or not readings.reading_site_ids(actor):
        abort(404)
    listing = readings.offers(actor, current_utility())
    if not listing.large_customer or not listing.api_keys:
        abort(404)
    return actor, service.key_customers(actor)


def _customer(customers: list[service.KeyCustomer], customer_id: int) -> service.KeyCustomer:
    for choice in customers:
        if choice.customer.id == customer_id:
            return choice
    abort(404)


def _own_key(actor: Actor, customers: list[service.KeyCustomer], key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None or key.created_by_id != actor.person_id or key.revoked_at is not None:
        abort(404)
    _customer(customers, key.customer_id)
    return key


def _page(actor: Actor, customers: list[service.KeyCustomer],
          forms: dict[int, KeyLimitsForm] | None = None, status: int = 200
          ) -> tuple[str, int]:
    keys = {c.customer.id: service.key_in_force(c.customer.id, actor.person_id)
            for c in customers}
    forms = forms or {}
    for key in keys.values():
        if key is not None and key.id not in forms:
            form = KeyLimitsForm(formdata=None, prefix=f"key{key.id}")
            form.expires_on.data = key.expires_on
            form.networks.data = "\n".join(key.networks)
            forms[key.id] = form
    sites = {c.customer.id: service.sites_of(c.site_ids) for c in customers}
    return render_template("apikeys/index.html", customers=customers, keys=keys, forms=forms,
                           sites=sites, docs_url=DOCS_URL), status


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    actor, customers = _key_maker()
    return _page(actor, customers)


@bp.route("/<int:customer_id>/new", methods=["GET", "POST"])
@login_required
def new_key(customer_id: int) -> tuple[str, int] | Response:
    actor, customers = _key_maker()
    choice = _customer(customers, customer_id)
    old = service.key_in_force(customer_id, actor.person_id)
    form = KeyLimitsForm()
    if form.validate_on_submit():
        issued = service.issue_key(actor, customer_id, form.expires_on.data, form.network_list)
        db.session.commit()
        response = make_response(render_template(
            "apikeys/issued.html", issued=issued, customer=choice.customer, docs_url=DOCS_URL,
            replaced=old is not None))
        # Shown once: never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
        return response
    if old is not None and not form.is_submitted():
        form.expires_on.data = old.expires_on
        form.networks.data = "\n".join(old.networks)
    status = INVALID if form.errors else 200
    return render_template("apikeys/new.html", form=form, customer=choice.customer,
                           old=old), status


@bp.post("/keys/<int:key_id>")
@login_required
def change(key_id: int) -> tuple[str, int] | Response:
    actor, customers = _key_maker()
    key = _own_key(actor, customers, key_id)
    form = KeyLimitsForm(prefix=f"key{key.id}")
    if not form.validate_on_submit():
        return _page(actor, customers, {key.id: form}, status=INVALID)
    service.change_limits(actor, key, form.expires_on.data, form.network_list)
    db.session.commit()
    flash(_("The key's limits were saved."), "success")
    return redirect(url_for("apikeys.index"), code=303)


@bp.route("/keys/<int:key_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(key_id: int) -> str | Response:
    actor, customers = _key_maker()
    key = _own_key(actor, customers, key_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.revoke(actor, key)
        db.session.commit()
        flash(_("The key was revoked: it no longer works."), "success")
        return redirect(url_for("apikeys.index"), code=303)
    return render_template("apikeys/revoke.html", form=form, key=key)
