"""What a logged-in person sees first: their sites, meters and last readings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import (
    Customer,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    Reading,
    ServiceContract,
    Site,
    SiteRoleKind,
    StaffRole,
)


@dataclass(frozen=True)
class MeterSummary:
    meter_id: int
    number: str
    kind: MeterKind
    verified_until: dt.date | None
    last_value: Decimal | None
    last_date: dt.date | None
    last_measured_at: dt.datetime | None


@dataclass(frozen=True)
class SiteSummary:
    site_id: int
    code: str
    address: str
    roles: frozenset[SiteRoleKind]
    meters: tuple[MeterSummary, ...]


def latest_readings(meter_ids: list[int]) -> dict[int, Reading]:
    """The newest reading of each meter, in one query whatever the number of meters."""
    if not meter_ids:
        return {}
    ranked = (
        select(
            Reading.id,
            func.row_number()
            .over(
                partition_by=Reading.meter_id,
                order_by=(
                    Reading.reading_date.desc(),
                    Reading.measured_at.desc().nulls_last(),
                    Reading.id.desc(),
                ),
            )
            .label("position"),
        )
        .where(Reading.meter_id.in_(meter_ids))
        .subquery()
    )
    rows = db.session.scalars(
        select(Reading).join(ranked, ranked.c.id == Reading.id).where(ranked.c.position == 1)
    ).all()
    return {reading.meter_id: reading for reading in rows}


def customer_overview(actor: Actor) -> list[SiteSummary]:
    site_ids = [site_id for site_id in actor.site_roles if can(actor, Action.VIEW_SITE, site_id)]
    if not site_ids:
        return []
    sites = db.session.scalars(
        select(Site)
        .where(Site.id.in_(site_ids))
        .options(selectinload(Site.meters))
        .order_by(Site.address, Site.code)
    ).all()
    active_meters = [
        meter for site in sites for meter in site.meters if meter.status == MeterStatus.ACTIVE
    ]
    latest = latest_readings([meter.id for meter in active_meters])
    summaries = []
    for site in sites:
        meters = tuple(
            _meter_summary(meter, latest.get(meter.id))
            for meter in site.meters
            if meter.status == MeterStatus.ACTIVE
        )
        summaries.append(
            SiteSummary(
                site_id=site.id,
                code=site.code,
                address=site.address,
                roles=actor.site_roles[site.id],
                meters=meters,
            )
        )
    return summaries


def _meter_summary(meter: Meter, reading: Reading | None) -> MeterSummary:
    return MeterSummary(
        meter_id=meter.id,
        number=meter.number,
        kind=meter.kind,
        verified_until=meter.verified_until,
        last_value=reading.value if reading else None,
        last_date=reading.reading_date if reading else None,
        last_measured_at=reading.measured_at if reading else None,
    )


@dataclass(frozen=True)
class StaffDashboard:
    customers: int
    sites: int
    active_meters: int
    readings_last_30_days: int
    expired_verifications: int
    staff_members: int


def staff_dashboard(today: dt.date) -> StaffDashboard:
    def count(statement: object) -> int:
        return int(db.session.scalar(statement) or 0)  # type: ignore[arg-type]

    active = Meter.status == MeterStatus.ACTIVE
    return StaffDashboard(
        customers=count(select(func.count(Customer.id))),
        sites=count(select(func.count(Site.id))),
        active_meters=count(select(func.count(Meter.id)).where(active)),
        readings_last_30_days=count(
            select(func.count(Reading.id)).where(
                Reading.reading_date > today - dt.timedelta(days=30)
            )
        ),
        expired_verifications=count(
            select(func.count(Meter.id)).where(active, Meter.verified_until < today)
        ),
        staff_members=count(select(func.count(func.distinct(StaffRole.person_id)))),
    )


def has_any_contract(person: Person) -> bool:
    return (
        db.session.scalar(
            select(func.count(ServiceContract.id))
            .join(Customer, ServiceContract.customer_id == Customer.id)
            .where(Customer.person_id == person.id)
        )
        or 0
    ) > 0
