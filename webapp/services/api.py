"""The business API's work (ITB 1.2.2): what a key sees and sends, in the dialect of
Tallinna Vesi's API. Readings go through the same rules as the portal's form
(``services.readings``); this module maps meter numbers and shapes the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    Meter,
    MeterKind,
    MeterStatus,
    Property,
    Reading,
    ReadingChannel,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.services import readings as service
from webapp.services.access import TALLINN
from webapp.services.api_keys import KeyUse
from webapp.services.overview import latest_readings
from webapp.services.readings import LOOKUP_CHUNK

MAX_READINGS = 1000  # per POST (ITB 1.2.2 dialect); more is 413

# meterCodeName: what the meter is, in the utility's language (Estonian first).
METER_CODE_NAMES = {
    MeterKind.COLD_WATER: "Külma vee arvesti",
    MeterKind.GARDEN_SUB_METER: "Kastmisvee lisaarvesti",
    MeterKind.SMART: "Kaugloetav veearvesti",
}


def utc_text(moment: dt.datetime) -> str:
    """``2026-04-01T08:30:00.000Z``: UTC with milliseconds, as every API timestamp."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def reading_moment(reading: Reading) -> dt.datetime:
    """When a reading stood: the smart meter's hour; else when it was sent, if sent on
    its own day; else the start of its day in Tallinn (a reading dated in a CSV file)."""
    if reading.measured_at is not None:
        return reading.measured_at
    sent = reading.submitted_at
    if sent.astimezone(TALLINN).date() == reading.reading_date:
        return sent
    return dt.datetime.combine(reading.reading_date, dt.time(), TALLINN)


def number(value: Decimal) -> float:
    """A reading as a JSON number; three decimals survive a float exactly as typed."""
    return float(value)


def visible_site_ids(use: KeyUse) -> list[int]:
    return sorted(use.actor.site_roles)


# --------------------------------------------------------------------------- GET /api/Readings


def latest(use: KeyUse) -> list[dict[str, object]]:
    """The latest reading of every active meter the key sees, in two queries."""
    meters = db.session.execute(
        select(Meter, Site.address).join(Site, Site.id == Meter.site_id)
        .where(Meter.site_id.in_(visible_site_ids(use)), Meter.status == MeterStatus.ACTIVE)
        .order_by(Site.address, Site.code, Meter.number)
    ).all()
    last = latest_readings([meter.id for meter, _ in meters])
    results: list[dict[str, object]] = []
    for meter, address in meters:
        reading = last.get(meter.id)
        results.append({
            "address": address,
            "meterNr": meter.number,
            "lastReading": number(reading.value) if reading else None,
            "meterCodeName": METER_CODE_NAMES[meter.kind],
            "lastReadingDate": utc_text(reading_moment(reading)) if reading else None,
            "meterType": "Smart" if meter.kind in service.READ_REMOTELY else "Mechanical",
        })
    return results


# --------------------------------------------------------------------------- POST /api/Readings


@dataclass(frozen=True)
class Sent:
    meter_number: str
    value: Decimal
    with_warnings: bool


def _meters_by_number(use: KeyUse, numbers: Sequence[str]) -> dict[str, Meter]:
    wanted = sorted(set(numbers))
    found: dict[str, Meter] = {}
    sites = visible_site_ids(use)
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        for meter in db.session.scalars(select(Meter).where(
                Meter.number.in_(wanted[start:start + LOOKUP_CHUNK]),
                Meter.site_id.in_(sites))):
            found[meter.number] = meter
    return found


def submit(use: KeyUse, sent: Sequence[Sent], utility: Utility | None
           ) -> list[dict[str, str]]:
    """One result per reading, in order. The readings without errors (and with their
    warnings accepted) are added in one flush; the caller commits them together."""
    meters = _meters_by_number(use, [item.meter_number for item in sent])
    messages: list[str | None] = [None] * len(sent)
    entries: list[service.Entry] = []
    positions: list[int] = []
    seen: set[str] = set()
    for index, item in enumerate(sent):
        meter = meters.get(item.meter_number)
        if meter is None:
            messages[index] = str(_l("Unknown meter number, or not a meter this key may "
                                     "send readings for."))
        elif meter.kind in service.READ_REMOTELY:
            messages[index] = str(_l("A smart meter sends its readings itself."))
        elif item.meter_number in seen:
            messages[index] = str(_l("This meter is already in the request: one reading "
                                     "per meter at a time."))
        else:
            seen.add(item.meter_number)
            entries.append(service.Entry(meter.id, f"{item.value:f}", use.today,
                                         confirmed=item.with_warnings))
            positions.append(index)
    outcomes, facts = service.judge_entries(use.actor, entries, utility, use.today)
    service.save_ready(use.actor, outcomes, facts, ReadingChannel.API)
    for index, outcome in zip(positions, outcomes, strict=True):
        if outcome.errors:
            messages[index] = " ".join(outcome.errors)
        elif outcome.needs_confirmation:
            messages[index] = " ".join(outcome.warnings) + " " + str(
                _l("Send it again with submitWithWarnings: true to save it."))
    saved_message = str(_l("Reading saved."))
    return [{"meterNumber": item.meter_number,
             "status": "Failed" if messages[index] else "Success",
             "message": messages[index] or saved_message}
            for index, item in enumerate(sent)]


# --------------------------------------------------------------------------- SmartMeter


def supply_points(use: KeyUse) -> list[dict[str, str]]:
    rows = db.session.execute(
        select(Meter.number, Site.code, Property.cadastral_number, Site.address)
        .join(Site, Site.id == Meter.site_id).join(Property, Property.id == Site.property_id)
        .where(Meter.site_id.in_(visible_site_ids(use)), Meter.kind == MeterKind.SMART,
               Meter.status == MeterStatus.ACTIVE)
        .order_by(Site.address, Meter.number)
    ).all()
    return [{"meterNr": nr, "supplyPointId": code, "objectId": cadastral, "address": address}
            for nr, code, cadastral, address in rows]


@dataclass(frozen=True)
class SmartQuery:
    meter_number: str
    start: dt.datetime | None
    end: dt.datetime | None
    page: int
    size: int
    descending: bool
    contract_number: str | None = None
    consumption_point: str | None = None


class NotVisible(LookupError):
    pass


def smart_readings(use: KeyUse, query: SmartQuery) -> dict[str, object]:
    """One page of a smart meter's intervals: each starts at one reading and ends at
    the next; ``from``/``to`` bound the start (from ≤ start < to)."""
    site_ids = visible_site_ids(use)
    lookup = (select(Meter, Site.code).join(Site, Site.id == Meter.site_id)
              .where(Meter.number == query.meter_number, Meter.site_id.in_(site_ids),
                     Meter.kind == MeterKind.SMART))
    if query.consumption_point is not None:
        lookup = lookup.where(Site.code == query.consumption_point)
    if query.contract_number is not None:
        lookup = lookup.where(Site.id.in_(
            select(contract_site.c.site_id)
            .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
            .where(ServiceContract.number == query.contract_number,
                   ServiceContract.customer_id == use.key.customer_id)))
    row = db.session.execute(lookup).first()
    if row is None:
        raise NotVisible(query.meter_number)
    meter, site_code = row
    conditions = [Reading.meter_id == meter.id, Reading.replaced_by_id.is_(None),
                  Reading.measured_at.is_not(None)]
    if query.start is not None:
        conditions.append(Reading.measured_at >= query.start)
    intervals = select(
        Reading.measured_at.label("start"),
        Reading.value.label("reading"),
        func.lead(Reading.value, type_=Reading.value.type)
        .over(order_by=Reading.measured_at).label("reading_end"),
    ).where(*conditions).subquery()
    page = select(intervals).where(intervals.c.reading_end.is_not(None))
    if query.end is not None:
        page = page.where(intervals.c.start < query.end)
    order = intervals.c.start.desc() if query.descending else intervals.c.start.asc()
    page = page.order_by(order).offset((query.page - 1) * query.size).limit(query.size)
    items = [{"reading": number(value), "readingEnd": number(end_value),
              "readingDate": utc_text(start)}
             for start, value, end_value in db.session.execute(page)]
    return {"readings": items, "supplyPointId": site_code, "meterNr": meter.number,
            "errors": []}
