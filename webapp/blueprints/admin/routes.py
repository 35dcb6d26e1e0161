"""Staff administration: staff roles, utility settings and prices, the audit trail.

Administrators only (``domain/permissions.py``); everyone else gets 404, as if
the pages did not exist.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from webapp.blueprints.admin.forms import (
    NO_RULE_SET,
    AuditFilterForm,
    BillingSettingsForm,
    PriceForm,
    ReadingWarningsForm,
    RebateRulesForm,
    RemoveStaffRoleForm,
    StaffRoleForm,
    ThresholdsForm,
    VatRateForm,
)
from webapp.domain.permissions import Action, Actor
from webapp.domain.rule_sets import rule_sets
from webapp.extensions import db
from webapp.i18n import format_day, format_volume
from webapp.models import PriceKind, StaffRoleKind, Utility
from webapp.pagination import paginate
from webapp.services import admin
from webapp.services.access import require, today_in_tallinn

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")

INVALID = 422  # a form sent back with its errors
# A form posts to its own section (``action="…#add-price"``) so that a page sent back
# with errors opens there; after success the browser would keep that fragment, so the
# redirect names the top of the content, where the confirmation is shown.
TOP = "main"


def _refused(form: Any, refusal: admin.AdminRefusal) -> None:
    """Show a refusal beside the fields it concerns, or above the form."""
    fields = [getattr(form, name) for name in refusal.fields if hasattr(form, name)]
    for field in fields:
        field.errors = [*field.errors, refusal.message]
    if not fields:
        flash(refusal.message, "error")


# --------------------------------------------------------------------------- staff roles


def _staff_roles_page(actor: Actor, form: StaffRoleForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/staff_roles.html", members=admin.staff_members(actor), form=form
    ), status


@bp.get("/staff-roles")
@login_required
def staff_roles() -> tuple[str, int]:
    actor = require(Action.MANAGE_STAFF_ROLES)
    return _staff_roles_page(actor, StaffRoleForm())


@bp.post("/staff-roles")
@login_required
def add_staff_role() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_STAFF_ROLES)
    form = StaffRoleForm()
    if not form.validate_on_submit():
        return _staff_roles_page(actor, form, INVALID)
    try:
        granted = admin.grant_staff_role(
            actor, form.personal_code.data, StaffRoleKind(form.role.data),
            form.given_name.data or "", form.family_name.data or "",
        )
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _staff_roles_page(actor, form, INVALID)
    db.session.commit()
    flash(_("%(name)s now has the role %(role)s.", name=granted.person.full_name,
            role=admin.STAFF_ROLE_NAMES[granted.role]), "success")
    return redirect(url_for("admin.staff_roles", _anchor=TOP), code=303)


@bp.route("/staff-roles/<int:role_id>/remove", methods=["GET", "POST"])
@login_required
def remove_staff_role(role_id: int) -> Response | str:
    actor = require(Action.MANAGE_STAFF_ROLES)
    role = admin.staff_role_or_404(actor, role_id)
    form = RemoveStaffRoleForm()
    if form.validate_on_submit():
        name, kind = role.person.full_name, role.role
        try:
            admin.revoke_staff_role(actor, role)
        except admin.AdminRefusal as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(url_for("admin.staff_roles"), code=303)
        db.session.commit()
        flash(_("The role %(role)s of %(name)s was removed.",
                role=admin.STAFF_ROLE_NAMES[kind], name=name), "success")
        return redirect(url_for("admin.staff_roles"), code=303)
    return render_template(
        "admin/remove_staff_role.html", role=role, form=form,
        refusal=admin.removal_refusal(actor, role),
    )


# --------------------------------------------------------------------------- settings


def _utility_or_404() -> Utility:
    utility = admin.the_utility(lock=True)
    if utility is None:
        abort(404)
    return utility


def _billing_form(utility: Utility) -> BillingSettingsForm:
    settings = admin.billing_settings(utility)
    return BillingSettingsForm(
        formdata=None,
        late_interest_percent=settings.late_interest_percent,
        invoice_due_days=settings.invoice_due_days,
        resident_norm_m3=f"{settings.resident_norm_m3.normalize():f}",
        iban=settings.iban or "", bic=settings.bic or "",
        vat_number=settings.vat_number or "", address=settings.address or "",
    )


def _settings_page(
    thresholds: ThresholdsForm | None = None,
    price_form: PriceForm | None = None,
    status: int = 200,
    warnings: ReadingWarningsForm | None = None,
    rebate_rules: RebateRulesForm | None = None,
    billing: BillingSettingsForm | None = None,
    vat_form: VatRateForm | None = None,
) -> tuple[str, int]:
    utility = admin.the_utility()
    if rebate_rules is None:
        rebate_rules = RebateRulesForm(
            formdata=None, rule_set=(utility.rebate_rule_set if utility else None)
            or NO_RULE_SET)
    rebate_rules.set_choices(rule_sets())
    if utility is not None and thresholds is None:
        thresholds = ThresholdsForm(
            formdata=None,
            meter_threshold=utility.mass_view_meter_threshold,
            site_threshold=utility.mass_view_site_threshold,
        )
    if utility is not None and warnings is None:
        ceiling = utility.daily_use_ceiling
        warnings = ReadingWarningsForm(
            formdata=None,
            warning_factor=int(utility.reading_warning_factor),
            daily_ceiling=f"{ceiling.normalize():f}" if ceiling else "",
        )
    if utility is not None and billing is None:
        billing = _billing_form(utility)
    today = today_in_tallinn()
    return render_template(
        "admin/settings.html",
        utility=utility,
        thresholds=thresholds,
        warnings=warnings,
        rebate_rules=rebate_rules,
        billing=billing,
        interest_cap=admin.late_interest_cap(today),
        vat_form=vat_form or VatRateForm(formdata=None),
        vat_rates=admin.vat_rates(utility, today) if utility is not None else [],
        price_form=price_form or PriceForm(formdata=None),
        prices=admin.price_list(utility, today) if utility is not None else {},
        kind_names=admin.PRICE_KIND_NAMES,
        price_units=admin.PRICE_UNITS,
        today=today,
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    if request.method == "GET":
        return _settings_page()
    utility = _utility_or_404()
    form = ThresholdsForm()
    if not form.validate_on_submit():
        return _settings_page(thresholds=form, status=INVALID)
    try:
        changed = admin.change_thresholds(
            actor, utility, form.meter_threshold.data, form.site_threshold.data
        )
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _settings_page(thresholds=form, status=INVALID)
    db.session.commit()
    if changed:
        flash(_("The settings were saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


@bp.post("/reading-warnings")
@login_required
def reading_warnings() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    utility = _utility_or_404()
    form = ReadingWarningsForm()
    if not form.validate_on_submit():
        return _settings_page(warnings=form, status=INVALID)
    changed = admin.change_reading_warnings(actor, utility, form.warning_factor.data,
                                            form.daily_ceiling.data)
    db.session.commit()
    flash(_("The settings were saved.") if changed else _("Nothing was changed."),
          "success" if changed else "info")
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


@bp.post("/rebate-rules")
@login_required
def rebate_rules() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    utility = _utility_or_404()
    form = RebateRulesForm()
    form.set_choices(rule_sets())
    if not form.validate_on_submit():
        return _settings_page(rebate_rules=form, status=INVALID)
    try:
        changed = admin.change_rebate_rule_set(actor, utility, form.chosen())
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _settings_page(rebate_rules=form, status=INVALID)
    db.session.commit()
    flash(_("The settings were saved.") if changed else _("Nothing was changed."),
          "success" if changed else "info")
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


@bp.post("/prices")
@login_required
def add_price() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    utility = _utility_or_404()
    form = PriceForm()
    if not form.validate_on_submit():
        return _settings_page(price_form=form, status=INVALID)
    try:
        added = admin.add_price(
            actor, utility, PriceKind(form.kind.data), form.unit_price.data,
            form.valid_from.data, form.valid_until.data, today_in_tallinn(),
            variant=form.variant(),
        )
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _settings_page(price_form=form, status=INVALID)
    db.session.commit()
    flash(_("The price was added: %(price)s.", price=admin.describe_price(added.price)),
          "success")
    if added.closed is not None:
        # The usual way to change a price: the open-ended one ends the day before.
        flash(
            _("%(name)s of %(amount)s had no end date: it now ends on %(day)s, the day "
              "before the new price starts.",
              name=admin.price_name(added.closed), amount=admin.price_amount(added.closed),
              day=format_day(added.closed.valid_until)),
            "success",
        )
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


@bp.post("/vat-rates")
@login_required
def add_vat_rate() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    utility = _utility_or_404()
    form = VatRateForm()
    if not form.validate_on_submit():
        return _settings_page(vat_form=form, status=INVALID)
    try:
        rate = admin.add_vat_rate(actor, utility, form.vat_rate.data,
                                  form.vat_valid_from.data, today_in_tallinn())
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _settings_page(vat_form=form, status=INVALID)
    db.session.commit()
    flash(_("The VAT rate of %(rate)s %% from %(day)s was added.",
            rate=format_volume(rate.rate_percent, 2),
            day=format_day(rate.valid_from)), "success")
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


@bp.post("/billing")
@login_required
def billing_settings() -> Response | tuple[str, int]:
    actor = require(Action.MANAGE_UTILITY_SETTINGS)
    utility = _utility_or_404()
    form = BillingSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(billing=form, status=INVALID)
    wanted = admin.BillingSettings(
        late_interest_percent=form.late_interest_percent.data,
        invoice_due_days=form.invoice_due_days.data,
        resident_norm_m3=form.resident_norm_m3.data,
        iban=form.iban.data, bic=form.bic.data, vat_number=form.vat_number.data,
        address=form.address.data,
    )
    try:
        changed = admin.change_billing_settings(actor, utility, wanted, today_in_tallinn())
    except admin.AdminRefusal as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return _settings_page(billing=form, status=INVALID)
    db.session.commit()
    flash(_("The settings were saved.") if changed else _("Nothing was changed."),
          "success" if changed else "info")
    return redirect(url_for("admin.settings", _anchor=TOP), code=303)


# --------------------------------------------------------------------------- audit trail


@bp.get("/audit")
@login_required
def audit() -> tuple[str, int]:
    actor = require(Action.VIEW_AUDIT_TRAIL)
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None,
                               filtered=True, compact_json=admin.compact_json), 400
    filters = admin.AuditFilters(
        actor_code=form.actor.data or None,
        subject_code=form.subject.data or None,
        action=form.action.data or None,
        object_type=form.object_type.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    page = paginate(admin.audit_events(actor, filters))
    return render_template(
        "admin/audit.html", form=form, page=page,
        filtered=any(astuple(filters)),
        compact_json=admin.compact_json,
    ), 200
