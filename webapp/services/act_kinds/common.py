"""What several kinds of act share: fields, prices on a day, and results as JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.extensions import db
from webapp.forms.common import LocalDecimalField, clean_text
from webapp.models import (
    PollutionGroup,
    Price,
    PriceKind,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.services.access import contract_in_force
from webapp.services.acts import ActError
from webapp.services.contract_documents import volume_prices

TEXT_MAX = 4000
VOLUME_MAX = Decimal("10000")
MONEY_MAX = Decimal("1000000")


def text_field(label: Any, required: bool = True, rows: int = 4) -> TextAreaField:
    validators: list[Any] = [Length(max=TEXT_MAX)]
    validators.insert(0, InputRequired(_l("Fill in this field.")) if required else Optional())
    return TextAreaField(label, filters=[clean_text], validators=validators,
                         render_kw={"rows": rows})


def day_field(label: Any, required: bool = True) -> DateField:
    return DateField(label, validators=[
        InputRequired(_l("Give the date.")) if required else Optional()])


def volume_field(label: Any, required: bool = True) -> LocalDecimalField:
    return LocalDecimalField(label, places=None, validators=[
        InputRequired(_l("Give the volume.")) if required else Optional(),
        NumberRange(min=0, max=VOLUME_MAX, message=_l("Give a volume from 0 to 10 000 m³."))],
        render_kw={"inputmode": "decimal"})


def money_field(label: Any, required: bool = False,
                default: Decimal | None = Decimal("0")) -> LocalDecimalField:
    """An amount in EUR; ``default=None`` leaves it empty (the price list decides)."""
    return LocalDecimalField(label, places=None, default=default, validators=[
        InputRequired(_l("Give the amount.")) if required else Optional(),
        NumberRange(min=0, max=MONEY_MAX, message=_l("Give an amount from 0 to 1 000 000 EUR."))],
        render_kw={"inputmode": "decimal"})


def day(data: dict[str, Any] | Any, name: str, required: bool = True) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ActError(str(_l("Give the date.")), name)
        return None
    return dt.date.fromisoformat(str(value)[:10])


def required_day(data: dict[str, Any] | Any, name: str) -> dt.date:
    found = day(data, name)
    if found is None:  # pragma: no cover - day() raised already
        raise ActError(str(_l("Give the date.")), name)
    return found


def decimal(data: dict[str, Any] | Any, name: str, default: Decimal | None = None) -> Decimal:
    value = data.get(name)
    if value in (None, ""):
        if default is None:
            raise ActError(str(_l("Fill in this field.")), name)
        return default
    return Decimal(str(value))


def not_in_future(value: dt.date | None, name: str, today: dt.date) -> None:
    if value is not None and value > today:
        raise ActError(str(_l("The date cannot be in the future.")), name)


def group_of(site: Site | None, on: dt.date) -> PollutionGroup:
    """The pollution group of the contract holding the site on ``on`` (KEE §22(1));
    group I, household wastewater, without one."""
    if site is None:
        return PollutionGroup.I
    group = db.session.scalar(
        select(ServiceContract.pollution_group)
        .join(contract_site, contract_site.c.contract_id == ServiceContract.id)
        .where(contract_site.c.site_id == site.id, contract_in_force(on))
        .order_by(ServiceContract.id).limit(1))
    return group or PollutionGroup.I


def prices_on(day_: dt.date, group: PollutionGroup) -> dict[str, Decimal]:
    """The price list's unit prices without VAT on ``day_``: water, sewer (of the group)
    and the closing fee (KEE §6(2))."""
    utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    found = {kind: price.unit_price for kind, price in volume_prices(utility, day_, group).items()}
    if utility is not None:
        closing = db.session.scalar(select(Price.unit_price).where(
            Price.utility_id == utility.id, Price.kind == PriceKind.CLOSURE_FEE,
            Price.valid_from <= day_,
            (Price.valid_until.is_(None)) | (Price.valid_until >= day_))
            .order_by(Price.valid_from.desc()).limit(1))
        if closing is not None:
            found[PriceKind.CLOSURE_FEE.value] = closing
    return found


def plain(value: Any) -> Any:
    """A dataclass result as JSON: dates as ISO text, decimals as text."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: plain(getattr(value, item.name))
                for item in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value
