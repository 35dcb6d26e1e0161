"""Decision letters (PDF) of garden-water rebates, in the customer's language.

A letter is drawn from the stored decision (its result as computed, never computed
again), dated with the decision, so the same decision gives the same letter every
time it is downloaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, to_user_timezone
from flask_babel import gettext as _
from sqlalchemy import select

from pdf.render import render_pdf
from webapp.domain.rule_sets import RuleSetError, load_rule_set
from webapp.extensions import db
from webapp.i18n import format_volume
from webapp.models import RebateDecisionRecord, Utility


@dataclass(frozen=True)
class Letter:
    data: bytes
    file_name: str


def letter_number(decision: RebateDecisionRecord) -> str:
    """The letter's reference: KV (kastmisvesi), the season and the decision."""
    return f"KV-{decision.season}-{decision.id:06d}"


def _language(decision: RebateDecisionRecord) -> str:
    locale = decision.customer.locale or "et"
    return locale if locale in current_app.config["LANGUAGES"] else "et"


def _day(value: str | dt.date | None) -> str:
    if value is None:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return day.strftime("%d.%m.%Y")


def _volume(value: str | Decimal, places: int = 3) -> str:
    return format_volume(Decimal(value), places)


def _money(value: str | Decimal) -> str:
    return format_volume(Decimal(value), 2)


def decision_letter(decision: RebateDecisionRecord) -> Letter:
    utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    utility_name = utility.name if utility else ""
    contacts = [value for value in (utility.email, utility.phone) if value] if utility else []
    result = decision.result
    computation = result["computation"]
    lang = _language(decision)
    try:
        rule_set_name = load_rule_set(decision.rule_set).name
    except RuleSetError:
        rule_set_name = decision.rule_set
    number = letter_number(decision)
    with force_locale(lang):
        title = _("Decision on the garden-water rebate, season %(season)s",
                  season=decision.season)
        windows = [(_("Watering period"), computation["watering"])]
        if computation.get("winter"):
            windows.append((_("Winter period"), computation["winter"]))
        data = render_pdf(
            "pdf/rebate_letter.html", lang=lang, title=title, document_number=number,
            created=decision.computed_at,
            utility_name=utility_name,
            contact=f" ({', '.join(contacts)})" if contacts else "",
            customer_name=decision.customer.name,
            site_address=decision.site.address,
            site_code=decision.site.code,
            application_sent=to_user_timezone(decision.application.submitted_at)
            .strftime("%d.%m.%Y"),
            decided_on=to_user_timezone(decision.computed_at).strftime("%d.%m.%Y"),
            superseded_on=(to_user_timezone(decision.superseded_at).strftime("%d.%m.%Y")
                           if decision.superseded_at else None),
            result=result,
            failed=[check for check in result["checks"] if not check["passed"]],
            windows=windows,
            rule_set_name=rule_set_name,
            day=_day, volume=_volume, money=_money,
        )
    return Letter(data, f"{number}.pdf")
