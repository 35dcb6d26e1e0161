"""The act of an unauthorised connection and the claim for it (KEE §24-§25)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from webapp.domain import acts_compensation as rules
from webapp.forms.common import clean_line
from webapp.models import ActKind, OfficialDocument, PriceKind
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, register


class UnauthorisedConnectionForm(FlaskForm):
    found_on = common.day_field(_l("Found on"))
    description = common.text_field(_l("What was found: the connection, where, what it served"))
    addressee = StringField(_l("The person the connection served, if not the site's customer"),
                            filters=[clean_line], validators=[Optional(), Length(max=200)])
    closed = BooleanField(_l("The connection was closed at once (KEE §25(1) p 1)"))
    made_on = common.day_field(_l("Made on, where it can be proved"), required=False)
    made_on_evidence = common.text_field(_l("Proof of when it was made"), required=False,
                                         rows=2)
    daily_m3 = common.volume_field(_l("Estimated use, m³ a day"))
    estimate_basis = common.text_field(_l("How the daily use was estimated"), rows=2)
    water_used = BooleanField(_l("Water was taken"), default=True)
    sewer_used = BooleanField(_l("Wastewater was led away"), default=True)
    damage_eur = common.money_field(_l("Damage to the utility's facilities, EUR"))
    closing_cost_eur = common.money_field(
        _l("Cost of closing the connection, EUR (empty: the price list's closing fee)"),
        default=None)


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    today = today_in_tallinn()
    found_on = common.required_day(data, "found_on")
    made_on = common.day(data, "made_on", required=False)
    common.not_in_future(found_on, "found_on", today)
    if made_on is not None and not data.get("made_on_evidence"):
        raise ActError(str(_l("Say what proves the day the connection was made.")),
                       "made_on_evidence")
    try:
        duration = rules.connection_duration(made_on, found_on)
    except rules.ActsError:
        raise ActError(str(_l("The connection cannot have been made after it was found.")),
                       "made_on") from None
    prices = common.prices_on(found_on, common.group_of(doc.site, found_on))
    water = prices.get(PriceKind.WATER.value) if data.get("water_used") else None
    sewer = prices.get(PriceKind.SEWER.value) if data.get("sewer_used") else None
    if (data.get("water_used") and water is None) or (data.get("sewer_used") and sewer is None):
        raise ActError(str(_l("The price list has no water or sewer price on that day.")),
                       "found_on")
    closing = common.decimal(data, "closing_cost_eur",
                             prices.get(PriceKind.CLOSURE_FEE.value, Decimal("0")))
    compensation = rules.unauthorised_connection_compensation(
        duration, common.decimal(data, "daily_m3"), water, sewer, closing,
        common.decimal(data, "damage_eur", Decimal("0")))
    return {"compensation": common.plain(compensation), "prices_on": found_on.isoformat()}


SPEC = register(KindSpec(
    kind=ActKind.UNAUTHORISED_CONNECTION, prefix="OMU",
    title=_l("Act of an unauthorised connection"),
    clauses=("KEE §24", "KEE §25(1)", "KEE §25(2)", "KEE §27(2)-(3)", "KEE §41(1)"),
    form=UnauthorisedConnectionForm, compute=compute))
