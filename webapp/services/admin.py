"""Staff administration: staff roles, the utility's settings and price list, the audit trail.

Only administrators get here (``MANAGE_STAFF_ROLES``, ``MANAGE_UTILITY_SETTINGS``,
``VIEW_AUDIT_TRAIL`` in ``domain/permissions.py``). Each function that writes
checks the permission again, writes, records the audit event and flushes; the
route commits, so a request writes everything or nothing.

A rule the request breaks raises ``AdminRefusal``, naming the form fields it
concerns, so that the route can show the message beside them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from webapp.domain.deadlines import DeadlineError, PercentageId, percentage
from webapp.domain.identity import clean_bic, clean_iban, clean_vat_number
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.domain.price_variants import POLLUTION_GROUPS, variant_fits, variant_of
from webapp.domain.rule_sets import rule_set_ids
from webapp.extensions import db
from webapp.i18n import format_day, format_volume
from webapp.models import (
    AuditEvent,
    Person,
    Price,
    PriceKind,
    StaffRole,
    StaffRoleKind,
    Utility,
    VatRate,
)
from webapp.services.access import TALLINN
from webapp.services.audit import record

# The same words as ``role_label`` in _macros.html, for messages made in Python.
STAFF_ROLE_NAMES = {
    StaffRoleKind.CLERK: _l("clerk"),
    StaffRoleKind.INSPECTOR: _l("inspector"),
    StaffRoleKind.ADMIN: _l("administrator"),
    StaffRoleKind.COUNCIL: _l("council member"),
}
STAFF_ROLE_ORDER = {StaffRoleKind.ADMIN: 0, StaffRoleKind.CLERK: 1, StaffRoleKind.INSPECTOR: 2,
                    StaffRoleKind.COUNCIL: 3}
PRICE_KIND_NAMES = {
    PriceKind.WATER: _l("water"), PriceKind.SEWER: _l("sewer"),
    PriceKind.FIXED_FEE: _l("monthly fixed fee"), PriceKind.CLOSURE_FEE: _l("closing fee"),
    PriceKind.REOPENING_FEE: _l("reopening fee"),
}

# What a price is per: a cubic metre, a month (and main meter), a closing or reopening.
PRICE_UNITS = {
    PriceKind.WATER: _l("EUR/m³"), PriceKind.SEWER: _l("EUR/m³"),
    PriceKind.FIXED_FEE: _l("EUR a month"), PriceKind.CLOSURE_FEE: _l("EUR a time"),
    PriceKind.REOPENING_FEE: _l("EUR a time"),
}

# ITB 1.2: the mass view offers groups, CSV import and the API from these sizes.
THRESHOLD_MIN, THRESHOLD_MAX = 1, 1000
# Price.unit_price is Numeric(12, 4): 8 digits before the decimal point, 4 after.
UNIT_PRICE_PLACES, UNIT_PRICE_WHOLE_DIGITS = 4, 8
# VatRate.rate_percent is Numeric(5, 2); a rate is at most 100 %.
VAT_PLACES, VAT_MAX = 2, Decimal(100)
# Utility.late_interest_percent is Numeric(5, 3): a percentage a day.
LATE_INTEREST_PLACES = 3
# Utility.invoice_due_days: the due date is this many days after the invoice's date.
DUE_DAYS_MIN, DUE_DAYS_MAX = 1, 90


class AdminRefusal(Exception):
    """What was asked breaks a rule; ``fields`` are the form fields to show it beside."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


def _check(actor: Actor, action: Action) -> None:
    # The route has asked already; a service never trusts that it was.
    if not can(actor, action):
        abort(404)


# --------------------------------------------------------------------------- staff roles


@dataclass(frozen=True)
class StaffRoleLine:
    role_id: int
    role: StaffRoleKind
    since: dt.datetime


@dataclass(frozen=True)
class StaffMember:
    person_id: int
    name: str
    personal_code: str
    is_you: bool
    roles: tuple[StaffRoleLine, ...]


def staff_members(actor: Actor) -> list[StaffMember]:
    """Everyone with a staff role, by family name, with their roles."""
    _check(actor, Action.MANAGE_STAFF_ROLES)
    rows = db.session.scalars(select(StaffRole).options(selectinload(StaffRole.person))).all()
    by_person: dict[int, list[StaffRole]] = {}
    for role in rows:
        by_person.setdefault(role.person_id, []).append(role)
    people = sorted(
        (roles[0].person for roles in by_person.values()),
        key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.personal_code),
    )
    return [
        StaffMember(
            person_id=person.id,
            name=person.full_name,
            personal_code=person.personal_code,
            is_you=person.id == actor.person_id,
            roles=tuple(
                StaffRoleLine(role.id, role.role, role.created_at)
                for role in sorted(by_person[person.id], key=lambda r: STAFF_ROLE_ORDER[r.role])
            ),
        )
        for person in people
    ]


def _roles_of(person_id: int) -> list[str]:
    roles = db.session.scalars(select(StaffRole.role).where(StaffRole.person_id == person_id))
    return sorted(role.value for role in roles)


def grant_staff_role(
    actor: Actor,
    personal_code: str,
    role: StaffRoleKind,
    given_name: str = "",
    family_name: str = "",
) -> StaffRole:
    """Give ``role`` to the person with ``personal_code``; a person the portal does not
    know yet is added with the names given (both are then required)."""
    _check(actor, Action.MANAGE_STAFF_ROLES)
    person = db.session.scalar(select(Person).where(Person.personal_code == personal_code))
    new_person: dict[str, str] | None = None
    if person is None:
        given_name, family_name = given_name.strip(), family_name.strip()
        missing = [name for name, value in (("given_name", given_name),
                                            ("family_name", family_name)) if not value]
        if missing:
            raise AdminRefusal(
                _("This person is not known to the portal yet: enter their given and "
                  "family name."),
                missing,
            )
        person = Person(personal_code=personal_code, given_name=given_name,
                        family_name=family_name)
        db.session.add(person)
        db.session.flush()
        new_person = {"given_name": given_name, "family_name": family_name}
    before = _roles_of(person.id)
    if role.value in before:
        raise AdminRefusal(
            _("%(name)s already has the role %(role)s.", name=person.full_name,
              role=STAFF_ROLE_NAMES[role]),
            ["role"],
        )
    granted = StaffRole(person_id=person.id, role=role)
    db.session.add(granted)
    db.session.flush()
    after: dict[str, Any] = {"roles": sorted([*before, role.value])}
    if new_person is not None:
        after["new_person"] = new_person
    _audit(actor, Action.MANAGE_STAFF_ROLES, "grant_staff_role", "staff_role", granted.id,
           subject_person_id=person.id, before={"roles": before}, after=after)
    return granted


def staff_role_or_404(actor: Actor, role_id: int) -> StaffRole:
    _check(actor, Action.MANAGE_STAFF_ROLES)
    role = db.session.get(StaffRole, role_id)
    if role is None:
        abort(404)
    return role


def removal_refusal(actor: Actor, role: StaffRole, other_admins: int | None = None) -> str | None:
    """Why ``actor`` may not remove ``role``, or None.

    The utility must never be left without an administrator: nobody removes their
    own administrator role (another administrator must), and the last one stays.
    """
    if role.role is not StaffRoleKind.ADMIN:
        return None
    if role.person_id == actor.person_id:
        return _("You cannot remove your own administrator role: another administrator "
                 "must do it.")
    if other_admins is None:
        other_admins = _count_admins(excluding=role.id)
    if other_admins == 0:
        return _("This is the last administrator. Give someone else the administrator role "
                 "first.")
    return None


def _count_admins(excluding: int, lock: bool = False) -> int:
    """Administrator roles other than ``excluding``.

    With ``lock``, every administrator row is locked first, the excluded one too, in
    one order: of two administrators removing each other at the same moment, the
    second waits for the first, then finds one row fewer and is refused
    (PostgreSQL; SQLite lets one writer in at a time anyway).
    """
    query = select(StaffRole.id).where(StaffRole.role == StaffRoleKind.ADMIN)
    if lock:
        query = query.order_by(StaffRole.id).with_for_update()
    return sum(1 for role_id in db.session.scalars(query) if role_id != excluding)


def revoke_staff_role(actor: Actor, role: StaffRole) -> None:
    """Remove ``role``. The row goes (UNIQUE person+role lets it be given again later);
    the audit event keeps what it was. It counts from the person's next request,
    where the roles are loaded afresh (``services/auth.py``)."""
    _check(actor, Action.MANAGE_STAFF_ROLES)
    other_admins = _count_admins(excluding=role.id, lock=True)
    refusal = removal_refusal(actor, role, other_admins)
    if refusal is not None:
        raise AdminRefusal(refusal)
    person_id, role_id, kind = role.person_id, role.id, role.role
    before = _roles_of(person_id)
    db.session.delete(role)
    db.session.flush()
    _audit(actor, Action.MANAGE_STAFF_ROLES, "revoke_staff_role", "staff_role", role_id,
           subject_person_id=person_id, before={"roles": before},
           after={"roles": [name for name in before if name != kind.value]})


# --------------------------------------------------------------------------- settings


def the_utility(lock: bool = False) -> Utility | None:
    """The utility this portal serves: the first row (there is one once data is loaded)."""
    query = select(Utility).order_by(Utility.id).limit(1)
    if lock:
        # Settings and prices are changed one request at a time, so that two
        # administrators cannot add overlapping prices side by side.
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def change_thresholds(actor: Actor, utility: Utility, meters: int, sites: int) -> bool:
    """Set the mass-view thresholds (ITB 1.2); False when nothing changed."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    for value in (meters, sites):
        if not THRESHOLD_MIN <= value <= THRESHOLD_MAX:
            raise AdminRefusal(_("Enter a whole number from %(low)s to %(high)s.",
                                 low=THRESHOLD_MIN, high=THRESHOLD_MAX))
    before = {
        "mass_view_meter_threshold": utility.mass_view_meter_threshold,
        "mass_view_site_threshold": utility.mass_view_site_threshold,
    }
    after = {"mass_view_meter_threshold": meters, "mass_view_site_threshold": sites}
    if before == after:
        return False
    utility.mass_view_meter_threshold = meters
    utility.mass_view_site_threshold = sites
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "change_settings", "utility", utility.id,
           before=before, after=after)
    return True


def change_reading_warnings(actor: Actor, utility: Utility, factor: int,
                            ceiling: Decimal | None) -> bool:
    """ITB 1: a reading is held for confirmation above ``factor`` times the meter's
    usual use, or above ``ceiling`` m³ a day (None: no ceiling). False: no change."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    before = {"reading_warning_factor": utility.reading_warning_factor,
              "daily_use_ceiling": utility.daily_use_ceiling}
    after = {"reading_warning_factor": Decimal(factor), "daily_use_ceiling": ceiling}
    if before == after:
        return False
    utility.reading_warning_factor = Decimal(factor)
    utility.daily_use_ceiling = ceiling
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "change_settings", "utility", utility.id,
           before=before, after=after)
    return True


def change_rebate_rule_set(actor: Actor, utility: Utility, rule_set_id: str | None) -> bool:
    """Name the garden-water rebate rule set in force (a file in rules/), or none: the
    portal then offers no rebate. Applications keep the rule set they were made under;
    each season is computed under the rule set that governs it. False: no change."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    if rule_set_id is not None and rule_set_id not in rule_set_ids():
        raise AdminRefusal(_("There is no such rule set."), ["rule_set"])
    before = utility.rebate_rule_set
    if before == rule_set_id:
        return False
    utility.rebate_rule_set = rule_set_id
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "change_settings", "utility", utility.id,
           before={"rebate_rule_set": before}, after={"rebate_rule_set": rule_set_id})
    return True


def parse_unit_price(text: str) -> Decimal:
    """A unit price in EUR per m³ as typed: a decimal comma or point, at most four
    decimal places, not negative. Raises ``ValueError`` with a message to show."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
    if cleaned.startswith("-"):
        raise ValueError(_("A price cannot be negative."))
    match = re.fullmatch(r"(\d+)(?:[.,](\d+))?", cleaned)
    if match is None:
        raise ValueError(_("Enter the price as a number, for example 1,5240."))
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > UNIT_PRICE_PLACES:
        raise ValueError(_("Use at most %(places)s decimal places.", places=UNIT_PRICE_PLACES))
    if len(whole.lstrip("0")) > UNIT_PRICE_WHOLE_DIGITS:
        raise ValueError(_("This price is too large."))
    return Decimal(f"{whole}.{fraction or '0'}")


def parse_percentage(text: str, places: int) -> Decimal:
    """A percentage as typed ("24", "0,15", "9.5 %"): a decimal comma or point, at most
    ``places`` decimals, not negative. Raises ``ValueError`` with a message to show."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).removesuffix("%")
    if cleaned.startswith("-"):
        raise ValueError(_("A percentage cannot be negative."))
    match = re.fullmatch(r"(\d{1,3})(?:[.,](\d+))?", cleaned)
    if match is None:
        raise ValueError(_("Enter the percentage as a number, for example 24 or 0,15."))
    fraction = match.group(2) or ""
    if len(fraction) > places:
        raise ValueError(_("Use at most %(places)s decimal places.", places=places))
    return Decimal(f"{match.group(1)}.{fraction or '0'}")


@dataclass(frozen=True)
class PriceLine:
    price: Price
    status: str  # "ended", "in_force", "future"
    variant: str  # the variant as words, "" for a kind that has none


def _status(valid_from: dt.date, valid_until: dt.date | None, today: dt.date) -> str:
    if valid_from > today:
        return "future"
    if valid_until is not None and valid_until < today:
        return "ended"
    return "in_force"


def _variant_order(variant: str) -> tuple[int, int, str]:
    """"" first, then the pollution groups in order, then the sizes by their number."""
    if not variant:
        return (0, 0, "")
    if variant in POLLUTION_GROUPS:
        return (1, POLLUTION_GROUPS.index(variant), variant)
    digits = "".join(ch for ch in variant if ch.isdigit())
    return (2, int(digits or 0), variant)


def variant_label(kind: PriceKind, variant: str) -> str:
    """A price's variant in words ("pollution group II", "meter size DN20"); "" for a
    kind without variants."""
    match variant_of(kind):
        case "pollution_group":  # KEE §4(3), §22(1)
            return (_("pollution group %(group)s", group=variant) if variant
                    else _("every pollution group without a price of its own"))
        case "meter_size":
            return (_("meter size %(size)s", size=variant) if variant
                    else _("every meter size without a price of its own"))
        case _:
            return ""


def price_list(utility: Utility, today: dt.date) -> dict[PriceKind, list[PriceLine]]:
    """The utility's prices by kind and variant ("" first), each variant newest first,
    each price marked ended, in force or future."""
    prices = db.session.scalars(
        select(Price).where(Price.utility_id == utility.id).order_by(Price.valid_from.desc())
    )
    listed: dict[PriceKind, list[PriceLine]] = {kind: [] for kind in PriceKind}
    for price in sorted(prices, key=lambda p: _variant_order(p.variant)):  # stable sort
        listed[price.kind].append(PriceLine(
            price, _status(price.valid_from, price.valid_until, today),
            variant_label(price.kind, price.variant)))
    return listed


@dataclass(frozen=True)
class AddedPrice:
    price: Price
    closed: Price | None  # the open-ended price that now ends the day before


def _overlaps(start: dt.date, end: dt.date | None, other: Price) -> bool:
    return (other.valid_until is None or start <= other.valid_until) and (
        end is None or other.valid_from <= end
    )


def price_amount(price: Price) -> str:
    """The price with its unit: "1,3100 EUR/m³", "2,4000 EUR a month"."""
    return _("%(price)s %(unit)s", price=format_volume(price.unit_price, 4),
             unit=PRICE_UNITS[price.kind])


def price_name(price: Price) -> str:
    """The kind of price, with its variant where it has one."""
    variant = variant_label(price.kind, price.variant)
    if not variant:
        return _("the %(kind)s price", kind=PRICE_KIND_NAMES[price.kind])
    return _("the %(kind)s price for %(variant)s", kind=PRICE_KIND_NAMES[price.kind],
             variant=variant)


def describe_price(price: Price) -> str:
    if price.valid_until is None:
        return _("%(name)s of %(amount)s from %(start)s", name=price_name(price),
                 amount=price_amount(price), start=format_day(price.valid_from))
    return _("%(name)s of %(amount)s from %(start)s to %(end)s", name=price_name(price),
             amount=price_amount(price), start=format_day(price.valid_from),
             end=format_day(price.valid_until))


VARIANT_FIELDS = {"pollution_group": "pollution_group", "meter_size": "meter_size"}


def add_price(
    actor: Actor,
    utility: Utility,
    kind: PriceKind,
    unit_price: Decimal,
    valid_from: dt.date,
    valid_until: dt.date | None,
    today: dt.date,
    variant: str = "",
) -> AddedPrice:
    """Add a price to the list. Prices are never changed for days gone by: it starts
    today (Europe/Tallinn) or later. Two prices of one kind and variant never apply on
    the same day; the usual way to change a price is a new one from a later day, which
    ends the open-ended price of its kind and variant in force the day before.

    ``variant``: the sewer price's pollution group (KEE §4(3), §22(1)), the fixed
    fee's meter size; "" for every group or size without a price of its own."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    if not variant_fits(kind, variant):
        varies_by = variant_of(kind)
        raise AdminRefusal(
            _("Only sewer prices (by pollution group) and fixed fees (by meter size) have "
              "a variant: leave it empty for this price.") if varies_by is None
            else _("This is not a variant of this price."),
            [VARIANT_FIELDS[varies_by]] if varies_by else list(VARIANT_FIELDS),
        )
    if unit_price < 0:
        raise AdminRefusal(_("A price cannot be negative."), ["unit_price"])
    if valid_from < today:
        raise AdminRefusal(
            _("Prices are never changed for days gone by: the price must start today "
              "(%(today)s) or later.", today=format_day(today)),
            ["valid_from"],
        )
    if valid_until is not None and valid_until < valid_from:
        raise AdminRefusal(_("The end date cannot be before the start date."), ["valid_until"])
    existing = list(
        db.session.scalars(
            select(Price).where(Price.utility_id == utility.id, Price.kind == kind,
                                Price.variant == variant)
        )
    )
    closed = next(
        (
            price for price in existing
            if price.valid_until is None and price.valid_from < valid_from
        ),
        None,
    )
    for price in existing:
        if price is closed:
            continue
        if _overlaps(valid_from, valid_until, price):
            raise AdminRefusal(
                _("The new price would apply on the same days as %(other)s. Choose other "
                  "dates.", other=describe_price(price)),
                ["valid_from", "valid_until"] if valid_until is not None else ["valid_from"],
            )
    before: dict[str, Any] | None = None
    after: dict[str, Any] = {
        "kind": kind,
        "unit_price": unit_price,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    if variant:
        after["variant"] = variant
    if closed is not None:
        before = {"closed_price": {"id": closed.id, "valid_until": None}}
        closed.valid_until = valid_from - dt.timedelta(days=1)
        after["closed_price"] = {"id": closed.id, "valid_until": closed.valid_until}
    price = Price(utility_id=utility.id, kind=kind, variant=variant, unit_price=unit_price,
                  valid_from=valid_from, valid_until=valid_until)
    db.session.add(price)
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "add_price", "price", price.id,
           before=before, after=after)
    return AddedPrice(price, closed)


# --------------------------------------------------------------------------- VAT rates


@dataclass(frozen=True)
class VatLine:
    rate: VatRate
    valid_until: dt.date | None  # the day before the next rate starts
    status: str  # "ended", "in_force", "future"


def vat_rates(utility: Utility, today: dt.date) -> list[VatLine]:
    """The utility's VAT rates, newest first; each applies until the next one starts."""
    rates = list(db.session.scalars(
        select(VatRate).where(VatRate.utility_id == utility.id)
        .order_by(VatRate.valid_from.desc())))
    lines = []
    next_start: dt.date | None = None
    for rate in rates:
        until = next_start - dt.timedelta(days=1) if next_start is not None else None
        lines.append(VatLine(rate, until, _status(rate.valid_from, until, today)))
        next_start = rate.valid_from
    return lines


def add_vat_rate(actor: Actor, utility: Utility, rate_percent: Decimal, valid_from: dt.date,
                 today: dt.date) -> VatRate:
    """Add a VAT rate in force from ``valid_from`` until the next one starts. Like a
    price, never for a day gone by; and never two from the same day."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    if not Decimal(0) <= rate_percent <= VAT_MAX:
        raise AdminRefusal(_("Enter a rate from 0 to 100 per cent."), ["vat_rate"])
    if valid_from < today:
        raise AdminRefusal(
            _("VAT rates are never changed for days gone by: the rate must start today "
              "(%(today)s) or later.", today=format_day(today)),
            ["vat_valid_from"],
        )
    same_day = db.session.scalar(select(VatRate).where(
        VatRate.utility_id == utility.id, VatRate.valid_from == valid_from))
    if same_day is not None:
        raise AdminRefusal(
            _("A VAT rate of %(rate)s %% already starts on %(day)s.",
              rate=format_volume(same_day.rate_percent, 2), day=format_day(valid_from)),
            ["vat_valid_from"],
        )
    rate = VatRate(utility_id=utility.id, rate_percent=rate_percent, valid_from=valid_from)
    db.session.add(rate)
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "add_vat_rate", "vat_rate", rate.id,
           after={"rate_percent": rate_percent, "valid_from": valid_from})
    return rate


# --------------------------------------------------------------------------- billing settings


@dataclass(frozen=True)
class BillingSettings:
    """The utility's billing settings as an administrator enters them."""

    late_interest_percent: Decimal  # a day, KEE §41(3)
    invoice_due_days: int
    resident_norm_m3: Decimal  # a month per resident, KEE §42
    iban: str | None
    bic: str | None
    vat_number: str | None
    address: str | None


def billing_settings(utility: Utility) -> BillingSettings:
    return BillingSettings(
        late_interest_percent=utility.late_interest_percent,
        invoice_due_days=utility.invoice_due_days,
        resident_norm_m3=utility.resident_norm_m3,
        iban=utility.iban, bic=utility.bic, vat_number=utility.vat_number,
        address=utility.address,
    )


def late_interest_cap(day: dt.date) -> Decimal | None:
    """KEE §41(3): the highest late interest a day, in percent, in force on ``day``."""
    try:
        return percentage(PercentageId.LATE_INTEREST_CAP, day)
    except DeadlineError:
        return None


def _cleaned(value: str | None, clean: Any, message: str, field_name: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return str(clean(value))
    except ValueError:
        raise AdminRefusal(message, [field_name]) from None


def change_billing_settings(actor: Actor, utility: Utility, wanted: BillingSettings,
                            today: dt.date) -> bool:
    """Set the billing settings. The late interest is at most the cap of KEE §41(3) in
    force today; the due date 1 to 90 days after the invoice; the IBAN, BIC and VAT
    number must pass their check digits. False: nothing changed."""
    _check(actor, Action.MANAGE_UTILITY_SETTINGS)
    if wanted.late_interest_percent < 0:
        raise AdminRefusal(_("A percentage cannot be negative."), ["late_interest_percent"])
    cap = late_interest_cap(today)
    if cap is not None and wanted.late_interest_percent > cap:
        raise AdminRefusal(
            _("The late interest may be at most %(cap)s %% a day of the unpaid sum "
              "(KEE §41(3)).", cap=format_volume(cap, 2)),
            ["late_interest_percent"],
        )
    if not DUE_DAYS_MIN <= wanted.invoice_due_days <= DUE_DAYS_MAX:
        raise AdminRefusal(_("Enter a whole number from %(low)s to %(high)s.",
                             low=DUE_DAYS_MIN, high=DUE_DAYS_MAX), ["invoice_due_days"])
    if wanted.resident_norm_m3 < 0:
        raise AdminRefusal(_("The use per resident cannot be negative."),
                           ["resident_norm_m3"])
    address = (wanted.address or "").strip() or None
    cleaned = BillingSettings(
        late_interest_percent=wanted.late_interest_percent,
        invoice_due_days=wanted.invoice_due_days,
        resident_norm_m3=wanted.resident_norm_m3,
        iban=_cleaned(wanted.iban, clean_iban, _("Enter a valid IBAN, for example "
                                                 "EE38 2200 2210 2014 5685."), "iban"),
        bic=_cleaned(wanted.bic, clean_bic, _("Enter a valid BIC of 8 or 11 characters, "
                                              "for example HABAEE2X."), "bic"),
        vat_number=_cleaned(wanted.vat_number, clean_vat_number,
                            _("Enter a valid VAT number with its country code, for "
                              "example EE101987653."), "vat_number"),
        address=address,
    )
    before = billing_settings(utility)
    # Decimals compare by value: 0.1 and 0.100 are the same rate.
    changed = {name: value for name, value in vars(cleaned).items()
               if value != getattr(before, name)}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(utility, name, value)
    db.session.flush()
    _audit(actor, Action.MANAGE_UTILITY_SETTINGS, "change_settings", "utility", utility.id,
           before={name: getattr(before, name) for name in changed}, after=changed)
    return True


# --------------------------------------------------------------------------- audit trail


@dataclass(frozen=True)
class AuditFilters:
    actor_code: str | None = None
    subject_code: str | None = None
    action: str | None = None
    object_type: str | None = None
    date_from: dt.date | None = None  # days in Europe/Tallinn, both ends included
    date_to: dt.date | None = None


def tallinn_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in Tallinn, as UTC (the audit trail stores UTC)."""
    return dt.datetime.combine(day, dt.time(0), TALLINN).astimezone(dt.UTC)


def audit_events(actor: Actor, filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    """The audit trail, newest first, narrowed by every filter given.

    Reading it is not itself recorded: each page view would add an event for every
    event shown, and the trail would soon be mostly about itself.
    """
    _check(actor, Action.VIEW_AUDIT_TRAIL)
    query = select(AuditEvent).options(
        selectinload(AuditEvent.actor), selectinload(AuditEvent.subject)
    )
    if filters.actor_code:
        query = query.where(AuditEvent.actor_id == _person_id(filters.actor_code))
    if filters.subject_code:
        query = query.where(AuditEvent.subject_person_id == _person_id(filters.subject_code))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.date_from:
        query = query.where(AuditEvent.occurred_at >= tallinn_midnight(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        query = query.where(AuditEvent.occurred_at < tallinn_midnight(next_day))
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _person_id(personal_code: str) -> Any:
    return (
        select(Person.id).where(Person.personal_code == personal_code).scalar_subquery()
    )


def compact_json(value: dict[str, Any] | None) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


# --------------------------------------------------------------------------- audit


def _audit(
    actor: Actor,
    action: Action,
    code: str,
    object_type: str,
    object_id: object,
    *,
    subject_person_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    record(code, object_type, object_id, acting_as=acting_role(actor, action),
           subject_person_id=subject_person_id, before=before, after=after,
           actor_id=actor.person_id)
