"""Template globals: the portal's name and the menu, which depends on the person's roles."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import Utility
from webapp.services.access import current_actor


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


def current_utility() -> Utility | None:
    if "utility" not in g:
        g.utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    return g.utility  # type: ignore[no-any-return]


def portal_name() -> str:
    utility = current_utility()
    return _("%(utility)s self-service", utility=utility.name) if utility else _("Water portal")


def menu_items() -> list[MenuItem]:
    actor = current_actor()
    entries: list[tuple[str, str]] = []
    if actor is None:
        entries.append((_("Home"), url_for("main.index")))
    else:
        if actor.site_roles:
            entries.append((_("My sites"), url_for("account.home")))
        if any(can(actor, Action.SUBMIT_READING, site) for site in actor.site_roles):
            entries.append((_("Readings"), url_for("readings.index")))
        if any(can(actor, Action.VIEW_DOCUMENTS, site) for site in actor.site_roles):
            # ITB 2: owners, managers and users see invoices.
            entries.append((_("Invoices"), url_for("invoices.index")))
            entries.append((_("Documents"), url_for("acts.my_documents")))
        if _offers_rebates(actor):
            entries.append((_("Garden water"), url_for("rebates.index")))
        if can(actor, Action.APPLY_FOR_CONTRACT) and not actor.staff_roles:
            entries.append((_("Contracts"), url_for("contracts.index")))
        if can(actor, Action.STAFF_AREA):
            entries.append((_("Staff"), url_for("staff.home")))
        if can(actor, Action.COUNCIL_WHAT_IF):
            entries.append((_("What if"), url_for("council.what_if_page")))
        if not actor.site_roles and not actor.staff_roles:
            entries.append((_("Getting access"), url_for("account.home")))
        entries.append((_("Who viewed my data"), url_for("account.data_access")))
    entries.append((_("Rules"), url_for("rules.index")))  # issue 10: the published rules
    return [MenuItem(label, url, request.path == url) for label, url in entries]


def _offers_rebates(actor: Actor) -> bool:
    """Owners and managers where the utility has rebate rules, and co-applicants
    asked to confirm an application (ELVESO 2.1.3)."""
    utility = current_utility()
    if utility is None or not utility.rebate_rule_set:
        return False
    if any(can(actor, Action.APPLY_FOR_REBATE, site) for site in actor.site_roles):
        return True
    from webapp.services.rebates import joint_requests_waiting  # it needs this module

    return bool(current_user.is_authenticated and joint_requests_waiting(current_user.person))


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals.update(
        current_utility=current_utility, portal_name=portal_name, menu_items=menu_items
    )
