"""What the rebate calculation needs, read from the database: the readings of the
meters an application uses, the contract, the register's word on the sub-meter,
and the sewer price. The same loader serves one application (the form's preview,
the staff review) and a hundred thousand (the season run): it reads in chunks,
a few queries a chunk, never a query per site.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    cast,
    func,
    literal,
    select,
)

from webapp.domain.deadlines import months_after
from webapp.domain.readings import PastReading
from webapp.domain.rebate_facts import frequency_period, readings_at_agreed_frequency
from webapp.domain.rebates import Facts, RebateCase, SubMeter
from webapp.domain.rule_sets import Method, RuleSet
from webapp.extensions import db
from webapp.models import (
    HouseType,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Meter,
    MeterKind,
    MeterStatus,
    PollutionGroup,
    Price,
    PriceKind,
    Reading,
    RebateApplication,
    ServiceContract,
    contract_site,
)
from webapp.models.enums import JOINT_HOUSE_TYPES
from webapp.services.access import contract_in_force

# Around the readings' range, those of a meter read at least quarterly (ELVESO 3.2, TV)
# with the week's grace are read in the same query as the range itself.
EDGE_MARGIN = dt.timedelta(days=100)
CHUNK = 2000  # sites (and their meters) a round of queries; well under any IN-list limit
T = TypeVar("T")


@dataclass(frozen=True)
class Terms:
    """What an application says, saved or still on the form."""

    site_id: int
    customer_id: int
    method: Method
    house_type: HouseType
    joint_confirmed: bool
    sub_meter_number: str | None = None
    cap_m3: Decimal | None = None

    @classmethod
    def of(cls, application: RebateApplication) -> Terms:
        return cls(application.site_id, application.customer_id, application.method,
                   application.house_type, application.joint_confirmed,
                   application.sub_meter_number, application.cap_m3)

    @property
    def joint_required(self) -> bool:
        # ELVESO 2.1.3: semi-detached and terraced houses apply jointly.
        return self.house_type in JOINT_HOUSE_TYPES


def normalise_meter_number(number: str | None) -> str:
    return "".join((number or "").split()).upper()


@dataclass(frozen=True)
class _MeterRow:
    id: int
    site_id: int
    kind: MeterKind
    number: str
    status: MeterStatus
    seal_number: str | None
    verified_until: dt.date | None
    installed_on: dt.date


@dataclass
class _Site:
    meters: list[_MeterRow]
    contracts: list[tuple[int, int]]  # (customer id, reading cycle in months)


def in_ids(column: ColumnElement[int], ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter however many
    ids (an IN list of thousands costs the driver more than the query)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(literal(list(ids), ARRAY(Integer)), ARRAY(Integer)))
    return column.in_(list(ids))


def plain_rows(statement: Select[Any]) -> Sequence[tuple[Any, ...]]:
    """The rows as plain tuples. On PostgreSQL straight from the driver, which makes
    the dates and Decimals itself (SQLAlchemy's row objects would cost as much again
    for the millions of readings of a season run); elsewhere through SQLAlchemy, which
    turns SQLite's text and floats into dates and Decimals."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement)]
    compiled = statement.compile(dialect=connection.dialect)
    driver = connection.connection.dbapi_connection
    assert driver is not None  # noqa: S101 - a connection in a transaction has one
    with driver.cursor() as cursor:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def sewer_price_on(utility_id: int, day: dt.date) -> Decimal | None:
    """The sewer price (EUR/m³ without VAT) of household wastewater in force on
    ``day``, or None: pollution group I's own price, else the one for every group
    (KEE §22(1): household wastewater is group I; garden water is household water)."""
    return db.session.scalar(
        select(Price.unit_price).where(
            Price.utility_id == utility_id, Price.kind == PriceKind.SEWER,
            Price.variant.in_(("", PollutionGroup.I.value)),
            Price.valid_from <= day,
            (Price.valid_until.is_(None)) | (Price.valid_until >= day),
        ).order_by(Price.variant.desc(), Price.valid_from.desc()).limit(1)  # "I" before ""
    )


def price_day(rule_set: RuleSet, season: int) -> dt.date:
    """The day whose sewer price a season's refund uses: the last day of its watering
    period (the price in force when the watered water was billed; a Decision of
    docs/rebates.md)."""
    return rule_set.watering_window.last_day(season)


class CaseLoader:
    """Builds ``RebateCase``s for one season under one rule set, as of ``on_day``."""

    def __init__(self, rule_set: RuleSet, season: int, on_day: dt.date,
                 sewer_price: Decimal) -> None:
        self.rule_set, self.season, self.on_day = rule_set, season, on_day
        self.sewer_price = sewer_price
        self.watering_end = rule_set.watering_window.last_day(season)
        self.in_debt: set[int] = set()
        self.paid_late: set[int] = set()
        self.frequency = frequency_period(rule_set, season)
        self.low, self.high = self._reading_range()

    def _reading_range(self) -> tuple[dt.date, dt.date]:
        """Readings after ``low`` up to ``high`` decide everything; the last one on or
        before ``low`` and the first after ``high`` are added for the window edges'
        interpolation and the history check."""
        rule_set, season = self.rule_set, self.season
        starts = [rule_set.watering_window.boundaries(season)[0], self.frequency[0]]
        if rule_set.winter_window is not None:
            starts.append(rule_set.winter_window.boundaries(season)[0])
        if rule_set.history is not None:
            starts.append(rule_set.history.since.in_year(season - 1))
        ends = [self.watering_end,
                self.frequency[1] + dt.timedelta(days=7)]
        if rule_set.reading_deadlines is not None:
            ends.append(rule_set.reading_deadlines.end_to.in_year(season))
        return min(starts), max(ends)

    # ------------------------------------------------------------------ loading

    def cases(self, terms: Sequence[Terms]) -> list[RebateCase]:
        """One case for each of ``terms``, in their order."""
        result: list[RebateCase] = []
        for chunk in chunks(terms):
            sites = self._sites({item.site_id for item in chunk})
            wanted: dict[int, _MeterRow | None] = {}
            picked = []
            for item in chunk:
                site = sites.get(item.site_id) or _Site([], [])
                main = self._main_meter(site)
                sub = self._sub_meter(site, item) if item.method is Method.B else None
                picked.append((item, site, main, sub))
                for meter in (main, sub):
                    if meter is not None:
                        wanted[meter.id] = meter
            readings = self._readings(sorted(wanted))
            self._payments({item.customer_id for item in chunk})
            for item, site, main, sub in picked:
                result.append(self._case(item, site, main, sub, readings))
        return result

    def _payments(self, customer_ids: set[int]) -> None:
        """The customers with an overdue debt on the day of the calculation (ELVESO
        3.6.1) and those with an invoice paid late in the 12 months up to the end of
        the watering period (ELVESO 2.1.6): from the portal's invoices (issue 11)."""
        self.in_debt, self.paid_late = set(), set()
        if not customer_ids:
            return
        since = months_after(self.watering_end, -12)
        rows = db.session.execute(
            select(Invoice.customer_id, Invoice.due_date, Invoice.paid_on, Invoice.status)
            .where(in_ids(Invoice.customer_id, sorted(customer_ids)),
                   Invoice.kind == InvoiceKind.INVOICE,
                   Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.PAID)),
                   Invoice.due_date < self.on_day))
        for customer_id, due_date, paid_on, status in rows:
            unpaid = status == InvoiceStatus.ISSUED
            if unpaid:
                self.in_debt.add(customer_id)
            if since < due_date <= self.watering_end and (
                    unpaid or (paid_on is not None and paid_on > due_date)):
                self.paid_late.add(customer_id)

    def _sites(self, site_ids: set[int]) -> dict[int, _Site]:
        sites: dict[int, _Site] = {site_id: _Site([], []) for site_id in site_ids}
        meters = db.session.execute(
            select(Meter.id, Meter.site_id, Meter.kind, Meter.number, Meter.status,
                   Meter.seal_number, Meter.verified_until, Meter.installed_on)
            .where(in_ids(Meter.site_id, site_ids))
        )
        for row in meters:
            sites[row.site_id].meters.append(_MeterRow(*row))
        contracts = db.session.execute(
            select(contract_site.c.site_id, ServiceContract.customer_id,
                   ServiceContract.reading_cycle_months)
            .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
            .where(in_ids(contract_site.c.site_id, site_ids), contract_in_force(self.on_day))
        )
        for site_id, customer_id, cycle in contracts:
            sites[site_id].contracts.append((customer_id, cycle))
        return sites

    def _main_meter(self, site: _Site) -> _MeterRow | None:
        """The site's one main meter in the register during the season (a meter
        replaced since is not followed across the replacement)."""
        candidates = [meter for meter in site.meters
                      if meter.kind is not MeterKind.GARDEN_SUB_METER
                      and meter.status is MeterStatus.ACTIVE
                      and meter.installed_on <= self.watering_end]
        return candidates[0] if len(candidates) == 1 else None

    @staticmethod
    def _sub_meter(site: _Site, terms: Terms) -> _MeterRow | None:
        """The garden sub-meter the application names, from the register. One that asked
        the utility to install it names none: the site's one sub-meter, once installed."""
        sub_meters = [meter for meter in site.meters
                      if meter.kind is MeterKind.GARDEN_SUB_METER]
        wanted = normalise_meter_number(terms.sub_meter_number)
        if not wanted:
            active = [meter for meter in sub_meters if meter.status is MeterStatus.ACTIVE]
            return active[0] if len(active) == 1 else None
        for meter in sub_meters:
            if normalise_meter_number(meter.number) == wanted:
                return meter
        return None

    def _readings(self, meter_ids: list[int]) -> dict[int, list[PastReading]]:
        """Each meter's readings that matter, one a day (a day's last value: the
        largest, as a meter never runs backwards), oldest first.

        One query reads a margin around the range, which holds the edge readings of
        any meter read at least quarterly; the meters whose edge lies further out
        are looked up on their own.
        """
        by_meter: dict[int, list[PastReading]] = {}
        if not meter_ids:
            return by_meter
        before: dict[int, PastReading] = {}
        after: dict[int, PastReading] = {}
        low, high = self.low, self.high
        rows = plain_rows(
            select(Reading.meter_id, Reading.reading_date, func.max(Reading.value))
            .where(in_ids(Reading.meter_id, meter_ids), Reading.replaced_by_id.is_(None),
                   Reading.reading_date > low - EDGE_MARGIN,
                   Reading.reading_date <= high + EDGE_MARGIN)
            .group_by(Reading.meter_id, Reading.reading_date)
            .order_by(Reading.meter_id, Reading.reading_date))
        # Oldest first, meter by meter: the last one on or before ``low`` and the first
        # after ``high`` are the edges; the ones between, the range.
        for meter_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
            inside = by_meter[meter_id] = []
            for _meter, day, value in group:
                if day <= low:
                    before[meter_id] = PastReading(day, value)
                elif day <= high:
                    inside.append(PastReading(day, value))
                else:
                    after[meter_id] = PastReading(day, value)
                    break
        for edge, is_before in ((before, True), (after, False)):
            missing = [meter_id for meter_id in meter_ids if meter_id not in edge]
            if missing:
                for meter_id, day, value in self._edge(missing, before=is_before):
                    edge[meter_id] = PastReading(day, value)
        for meter_id in meter_ids:
            readings = by_meter.setdefault(meter_id, [])
            if meter_id in before:
                readings.insert(0, before[meter_id])
            if meter_id in after:
                readings.append(after[meter_id])
        return by_meter

    def _edge(self, meter_ids: list[int], before: bool) -> Iterable[Any]:
        """The last reading on or before ``low`` (or the first after ``high``) of each meter."""
        current = Reading.replaced_by_id.is_(None)
        if before:
            day = func.max(Reading.reading_date)
            condition = Reading.reading_date <= self.low
        else:
            day = func.min(Reading.reading_date)
            condition = Reading.reading_date > self.high
        edge = (select(Reading.meter_id.label("meter_id"), day.label("day"))
                .where(in_ids(Reading.meter_id, meter_ids), current, condition)
                .group_by(Reading.meter_id).subquery())
        return db.session.execute(
            select(Reading.meter_id, Reading.reading_date, func.max(Reading.value))
            .join(edge, and_(edge.c.meter_id == Reading.meter_id,
                             edge.c.day == Reading.reading_date))
            .where(current)
            .group_by(Reading.meter_id, Reading.reading_date)
        )

    def _case(self, terms: Terms, site: _Site, main: _MeterRow | None, sub: _MeterRow | None,
              readings: dict[int, list[PastReading]]) -> RebateCase:
        main_readings = tuple(readings.get(main.id, ())) if main is not None else ()
        cycles = [cycle for customer_id, cycle in site.contracts
                  if customer_id == terms.customer_id]
        cycle = max(cycles) if cycles else 1
        facts = Facts(
            contract_valid=bool(cycles),
            overdue_debt=terms.customer_id in self.in_debt,
            invoices_paid_on_time=terms.customer_id not in self.paid_late,
            readings_at_agreed_frequency=readings_at_agreed_frequency(
                (reading.day for reading in main_readings), cycle, *self.frequency),
            meter_accepted=main is not None,
            reading_cycle_months=cycle,
            joint_application_required=terms.joint_required,
            joint_application=terms.joint_confirmed,
            # Findings of the utility's staff: a refusal on these grounds ends the
            # application at review, so an application in a run has none.
            false_data=False,
            meter_faulty=False,
            access_refused=False,
            bypass=False,
            other_use=False,
        )
        sub_meter = None
        if terms.method is Method.B:
            if sub is None:
                sub_meter = SubMeter(accepted=False, sealed=False, verified_until=None,
                                     readings=())
            else:
                sub_meter = SubMeter(
                    # ELVESO 2.1.1: the node is accepted by the utility's act, which puts
                    # the sub-meter in the register; a removed one is no longer accepted.
                    accepted=sub.status is MeterStatus.ACTIVE,
                    sealed=bool(sub.seal_number),
                    verified_until=sub.verified_until,
                    readings=tuple(readings.get(sub.id, ())),
                )
        return RebateCase(
            rule_set=self.rule_set, season=self.season, method=terms.method,
            sewer_price=self.sewer_price, main_meter=main_readings, sub_meter=sub_meter,
            facts=facts, cap_m3=terms.cap_m3,
        )
