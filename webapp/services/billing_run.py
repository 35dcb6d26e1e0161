"""The monthly billing run (issue 11; KEE §4, §6(2), §38, §40-§42; ELVESO 3.4).

For every contract in force during a calendar month the run computes one invoice:

- **Water** per main meter, from the meter's values at the start and the end of the
  days billed. The start is where the contract's last issued invoice for the meter
  ended (its end value, estimated or not), else the meter's value at the end of the
  day before the contract's first day of the month (interpolated between readings).
  The end is a reading of the period's last day, else interpolated between the
  readings around it, else **estimated** from the last known value and the meter's
  average daily use of the last 12 months (marked; the next real reading corrects
  it, because the next period starts from the estimated value). A meter whose
  failure was found (``Meter.failure_found_on``) is billed at the average daily use
  of the three calendar months before the month of the finding (KEE §38(1)). A
  contract without a meter is billed for its residents (KEE §42). Quantities are
  whole m³ and the fraction is carried to the next period (KEE §41(1)).
- **Sewer** as much as water (KEE §40(1)) at the price of the contract's pollution
  group (KEE §4(3)), less what a garden sub-meter measured at a site without a
  garden-water rebate application (with one, the rebate credit does it: ELVESO 3.4).
- **Fixed fee** a month per main meter by its size, pro rata by days.
- **Closing and reopening fees** (KEE §6(2)) for the contract's closure and reopening
  events of the month.
- **Late interest** (KEE §41(3)) on the contract's earlier invoices paid late or
  still unpaid, for the days not charged before, unless waived.
- **Prepayments**: garden-water rebate credits, overpayments and credit notes pay the
  invoice (ELVESO 3.4).

Prices are split by days where they change within the month (``split_by_prices``);
the VAT rate is the one in force on the month's last day (KMS §11: the tax point of a
continuing supply is its invoice).

Rerunning a month replaces its drafts and never touches an issued invoice. A contract
whose data cannot be billed (no price, a meter running backwards) gets no invoice
and is listed with the reason; the run goes on. The work goes in chunks of
contracts, each in one transaction with its progress, like the rebate season run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import operator
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, delete, func, insert, select, update

from webapp.domain import billing as rules
from webapp.domain.billing import BillingError, PricePeriod
from webapp.domain.deadlines import deadline_set_for, months_after
from webapp.domain.readings import PastReading
from webapp.extensions import db
from webapp.i18n import format_money
from webapp.models import (
    BillingRun,
    ContractEvent,
    ContractEventKind,
    Customer,
    Invoice,
    InvoiceDelivery,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Meter,
    MeterKind,
    MeterStatus,
    Notification,
    Payment,
    Prepayment,
    PrepaymentKind,
    Price,
    PriceKind,
    Reading,
    RebateApplication,
    RebateCredit,
    RebateRunStatus,
    ServiceContract,
    UseSource,
    Utility,
    VatRate,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.models.enums import OPEN_REBATE_STATUSES
from webapp.services import bulk, invoices, numbering, runs
from webapp.services.audit import record
from webapp.services.rebate_data import chunks, in_ids, plain_rows

RUN_CHUNK = 1000  # contracts a transaction
# Readings read around the period: the 12 months of the average (plus a month) before
# it, and after it the next reading that an interpolation needs.
HISTORY_MONTHS = rules.AVERAGE_MONTHS + 1
LOOKAHEAD = dt.timedelta(days=100)
MAIN_METER_KINDS = (MeterKind.COLD_WATER, MeterKind.SMART)
ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
ZERO = Decimal(0)
CENT = Decimal("0.01")
_PERIOD = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")

Progress = Callable[[int, int], None]


class RunRefused(ValueError):
    """A run that cannot start; the text is for people."""


# --------------------------------------------------------------------------- the period


def parse_period(text: str) -> dt.date:
    """The first day of the month ``YYYY-MM``; ``RunRefused`` for anything else."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None or not 1 <= int(match["month"]) <= 12 or int(match["year"]) < 2000:
        raise RunRefused(_("Give the month as YYYY-MM, for example 2026-10."))
    return dt.date(int(match["year"]), int(match["month"]), 1)


def period_end(period_start: dt.date) -> dt.date:
    return period_start.replace(
        day=calendar.monthrange(period_start.year, period_start.month)[1])


def last_ended_period(today: dt.date) -> dt.date:
    """The first day of the last month that has ended by ``today``."""
    return months_after(today.replace(day=1), -1)


def check_period(utility: Utility, period_start: dt.date, today: dt.date) -> Decimal:
    """The VAT rate of the month, or ``RunRefused`` saying why it cannot be billed."""
    if period_end(period_start) >= today:
        raise RunRefused(_("%(month)s has not ended yet: a month is billed after its last "
                           "day.", month=period_start.strftime("%m.%Y")))
    rate = vat_rate_on(utility.id, period_end(period_start))
    if rate is None:
        raise RunRefused(_("There is no VAT rate in force on %(day)s: add it on the settings "
                           "page first.", day=period_end(period_start).strftime("%d.%m.%Y")))
    return rate


def vat_rate_on(utility_id: int, day: dt.date) -> Decimal | None:
    return db.session.scalar(
        select(VatRate.rate_percent).where(VatRate.utility_id == utility_id,
                                           VatRate.valid_from <= day)
        .order_by(VatRate.valid_from.desc()).limit(1))


# --------------------------------------------------------------------------- summary


@dataclass
class RunSummary:
    period: str
    vat_rate: Decimal
    contracts: int = 0
    invoices: int = 0
    already_issued: int = 0
    issued: int = 0
    with_estimates: int = 0
    net: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    gross: Decimal = Decimal("0.00")
    prepayments: Decimal = Decimal("0.00")
    payable: Decimal = Decimal("0.00")
    interest: Decimal = Decimal("0.00")
    problems: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "vat_rate": str(self.vat_rate),
            "contracts": self.contracts, "invoices": self.invoices,
            "already_issued": self.already_issued, "issued": self.issued,
            "with_estimates": self.with_estimates, "net": str(self.net),
            "vat": str(self.vat), "gross": str(self.gross),
            "prepayments": str(self.prepayments), "payable": str(self.payable),
            "interest": str(self.interest), "problems": self.problems[:200],
            "problem_count": len(self.problems),
        }


# --------------------------------------------------------------------------- starting


def begin_run(utility: Utility, period_start: dt.date, today: dt.date,
              started_by_id: int | None, issue: bool = False) -> BillingRun:
    """Record a new run as going; ``RunRefused`` when it cannot start or another one
    is going. The caller commits."""
    check_period(utility, period_start, today)
    try:
        run: BillingRun = runs.begin(BillingRun, period_start=period_start, issue=issue,
                                     started_by_id=started_by_id)
    except runs.Busy:
        raise RunRefused(_("A billing run is going already; wait for it to finish.")) from None
    return run


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Contract:
    id: int
    number: str
    customer_id: int
    first: dt.date  # the days of the month it is in force
    last: dt.date
    pollution_group: str
    residents: int | None


@dataclass(frozen=True)
class _Meter:
    id: int
    site_id: int
    kind: MeterKind
    size: str
    failure_found_on: dt.date | None


@dataclass(frozen=True)
class _State:
    """Where the last issued invoice left a meter (or a meterless site)."""

    contract_id: int
    last_day: dt.date
    end_value: Decimal | None
    carry: Decimal


@dataclass(frozen=True)
class _Owed:
    """An earlier invoice of the contract that may owe late interest."""

    id: int
    number: str
    due_date: dt.date
    payable: Decimal
    paid_on: dt.date | None
    charged_until: dt.date | None
    payments: tuple[tuple[dt.date, Decimal], ...]


@dataclass
class _Chunk:
    sites: dict[int, list[int]]  # contract id: site ids
    meters: dict[int, list[_Meter]]  # site id: meters
    readings: dict[int, list[PastReading]]
    water_state: dict[int, _State]  # meter id
    sub_state: dict[int, _State]  # garden sub-meter id
    resident_state: dict[int, _State]  # contract id
    rebate_sites: set[int]
    events: dict[int, list[tuple[ContractEventKind, dt.date]]]
    owed: dict[int, list[_Owed]]
    balances: dict[int, Decimal]
    locales: dict[int, str]


class _Prices:
    """The utility's price list, read once, as the domain's price periods."""

    def __init__(self, utility_id: int) -> None:
        self.by_kind: dict[tuple[PriceKind, str], list[PricePeriod]] = defaultdict(list)
        for kind, variant, valid_from, valid_until, unit_price in db.session.execute(
                select(Price.kind, Price.variant, Price.valid_from, Price.valid_until,
                       Price.unit_price).where(Price.utility_id == utility_id)):
            self.by_kind[(kind, variant or "")].append(
                PricePeriod(valid_from, valid_until, unit_price))

    def of(self, kind: PriceKind, variant: str = "") -> list[PricePeriod]:
        """The variant's own prices where it has any (a pollution group, a meter size),
        else those for every variant."""
        return self.by_kind.get((kind, variant)) or self.by_kind.get((kind, ""), [])


def _contracts(start: dt.date, end: dt.date) -> list[_Contract]:
    rows = db.session.execute(
        select(ServiceContract.id, ServiceContract.number, ServiceContract.customer_id,
               ServiceContract.start_date, ServiceContract.end_date,
               ServiceContract.pollution_group, ServiceContract.residents)
        .where(ServiceContract.start_date <= end,
               (ServiceContract.end_date.is_(None)) | (ServiceContract.end_date >= start))
        .order_by(ServiceContract.number)).all()
    return [_Contract(row.id, row.number, row.customer_id, max(row.start_date, start),
                      min(row.end_date or end, end), str(row.pollution_group), row.residents)
            for row in rows]


def _issued_contracts(start: dt.date) -> set[int]:
    return set(db.session.scalars(
        select(Invoice.contract_id).where(Invoice.period_start == start,
                                          Invoice.kind == InvoiceKind.INVOICE,
                                          Invoice.status.in_(ISSUED))))


def _states(kind: LineKind, key: Any, ids: Sequence[int], before: dt.date,
            condition: Any = None) -> dict[int, _State]:
    """The last issued line of ``kind`` before ``before`` per ``key`` (a meter or a
    contract): where the next period starts from."""
    if not ids:
        return {}
    issued = and_(Invoice.id == InvoiceLine.invoice_id, Invoice.status.in_(ISSUED))
    conditions = [in_ids(key, ids), InvoiceLine.kind == kind, InvoiceLine.last_day < before]
    if condition is not None:
        conditions.append(condition)
    latest = (select(key.label("key"), func.max(InvoiceLine.id).label("line_id"))
              .join(Invoice, issued).where(*conditions).group_by(key).subquery())
    rows = db.session.execute(
        select(latest.c.key, Invoice.contract_id, InvoiceLine.last_day,
               InvoiceLine.end_value, InvoiceLine.carry_after)
        .join(InvoiceLine, InvoiceLine.id == latest.c.line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id))
    return {row[0]: _State(row[1], row[2], row[3], row[4] or ZERO) for row in rows}


def _load_chunk(contracts: Sequence[_Contract], start: dt.date, end: dt.date,
                utility_id: int) -> _Chunk:
    contract_ids = [contract.id for contract in contracts]
    sites: dict[int, list[int]] = defaultdict(list)
    for contract_id, site_id in db.session.execute(
            select(contract_site.c.contract_id, contract_site.c.site_id)
            .where(in_ids(contract_site.c.contract_id, contract_ids))
            .order_by(contract_site.c.contract_id, contract_site.c.site_id)):
        sites[contract_id].append(site_id)
    site_ids = sorted({site for ids in sites.values() for site in ids})
    meters: dict[int, list[_Meter]] = defaultdict(list)
    for row in db.session.execute(
            select(Meter.id, Meter.site_id, Meter.kind, Meter.size, Meter.failure_found_on)
            .where(in_ids(Meter.site_id, site_ids), Meter.status == MeterStatus.ACTIVE,
                   Meter.installed_on <= end)
            .order_by(Meter.number)):
        meters[row.site_id].append(_Meter(row.id, row.site_id, MeterKind(row.kind), row.size,
                                          row.failure_found_on))
    meter_ids = [meter.id for listed in meters.values() for meter in listed]
    main_ids = [m.id for listed in meters.values() for m in listed if m.kind in MAIN_METER_KINDS]
    sub_ids = [m.id for listed in meters.values() for m in listed
               if m.kind is MeterKind.GARDEN_SUB_METER]
    readings: dict[int, list[PastReading]] = {}
    if meter_ids:
        rows = plain_rows(
            select(Reading.meter_id, Reading.reading_date, func.max(Reading.value))
            .where(in_ids(Reading.meter_id, meter_ids), Reading.replaced_by_id.is_(None),
                   Reading.reading_date >= months_after(start, -HISTORY_MONTHS),
                   Reading.reading_date <= end + LOOKAHEAD)
            .group_by(Reading.meter_id, Reading.reading_date)
            .order_by(Reading.meter_id, Reading.reading_date))
        for meter_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
            readings[meter_id] = [PastReading(day, Decimal(value)) for _, day, value in group]
    rebate_sites = set(db.session.scalars(
        select(RebateApplication.site_id).where(
            in_ids(RebateApplication.site_id, site_ids),
            RebateApplication.status.in_(OPEN_REBATE_STATUSES)))) if site_ids else set()
    events: dict[int, list[tuple[ContractEventKind, dt.date]]] = defaultdict(list)
    for contract_id, kind, effective_on in db.session.execute(
            select(ContractEvent.contract_id, ContractEvent.kind, ContractEvent.effective_on)
            .where(in_ids(ContractEvent.contract_id, contract_ids),
                   ContractEvent.kind.in_((ContractEventKind.CLOSURE,
                                           ContractEventKind.REOPENING)),
                   ContractEvent.effective_on >= start, ContractEvent.effective_on <= end)
            .order_by(ContractEvent.effective_on, ContractEvent.id)):
        events[contract_id].append((ContractEventKind(kind), effective_on))
    customer_ids = sorted({contract.customer_id for contract in contracts})
    _book_rebate_credits(customer_ids)
    balances = {customer_id: Decimal(total) for customer_id, total in db.session.execute(
        select(Prepayment.customer_id, func.sum(Prepayment.amount))
        .where(in_ids(Prepayment.customer_id, customer_ids))
        .group_by(Prepayment.customer_id))}
    locales = dict(db.session.execute(
        select(Customer.id, Customer.locale).where(in_ids(Customer.id, customer_ids))).all())
    return _Chunk(
        sites=sites, meters=meters, readings=readings,
        water_state=_states(LineKind.WATER, InvoiceLine.meter_id, main_ids, start),
        sub_state=_states(LineKind.SEWER, InvoiceLine.meter_id, sub_ids, start),
        resident_state=_states(LineKind.WATER, Invoice.contract_id, contract_ids, start,
                               InvoiceLine.source == UseSource.RESIDENTS),
        rebate_sites=rebate_sites, events=events,
        owed=_owed(contract_ids, end), balances=balances, locales=locales)


def _book_rebate_credits(customer_ids: Sequence[int]) -> None:
    """Garden-water rebate credits not yet in the customers' prepayments go in (each
    once: ``prepayment.rebate_credit_id`` is unique)."""
    if not customer_ids:
        return
    missing = (select(RebateCredit.customer_id, RebateCredit.amount_eur, RebateCredit.id)
               .where(in_ids(RebateCredit.customer_id, customer_ids),
                      ~select(Prepayment.id).where(
                          Prepayment.rebate_credit_id == RebateCredit.id).exists()))
    rows = [{"customer_id": customer_id, "kind": PrepaymentKind.REBATE, "amount": amount,
             "rebate_credit_id": credit_id, "booked_at": utcnow()}
            for customer_id, amount, credit_id in db.session.execute(missing)]
    if rows:
        db.session.execute(insert(Prepayment), rows)


def _owed(contract_ids: Sequence[int], end: dt.date) -> dict[int, list[_Owed]]:
    """The contracts' issued invoices due before ``end`` that were paid late or are not
    paid, with their payments and the last day interest was charged for."""
    rows = db.session.execute(
        select(Invoice.id, Invoice.contract_id, Invoice.number, Invoice.due_date,
               Invoice.payable, Invoice.paid_on)
        .where(in_ids(Invoice.contract_id, contract_ids), Invoice.kind == InvoiceKind.INVOICE,
               Invoice.status.in_(ISSUED), Invoice.interest_waived.is_(False),
               Invoice.due_date < end, Invoice.payable > 0,
               (Invoice.paid_on.is_(None)) | (Invoice.paid_on > Invoice.due_date))).all()
    if not rows:
        return {}
    ids = [row.id for row in rows]
    charged = dict(db.session.execute(
        select(InvoiceLine.source_invoice_id, func.max(InvoiceLine.last_day))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(in_ids(InvoiceLine.source_invoice_id, ids), Invoice.status.in_(ISSUED),
               InvoiceLine.kind == LineKind.LATE_INTEREST)
        .group_by(InvoiceLine.source_invoice_id)).all())
    payments: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for invoice_id, booked_on, amount in db.session.execute(
            select(Payment.invoice_id, Payment.booked_on, Payment.amount)
            .where(in_ids(Payment.invoice_id, ids)).order_by(Payment.booked_on)):
        payments[invoice_id].append((booked_on, amount))
    owed: dict[int, list[_Owed]] = defaultdict(list)
    for row in rows:
        owed[row.contract_id].append(_Owed(row.id, row.number, row.due_date, row.payable,
                                           row.paid_on, charged.get(row.id),
                                           tuple(payments.get(row.id, ()))))
    return owed


# --------------------------------------------------------------------------- one contract


@dataclass
class _Use:
    first_day: dt.date
    last_day: dt.date
    source: UseSource
    start_value: Decimal | None
    end_value: Decimal | None
    measured: Decimal


def _value_on(readings: Sequence[PastReading], day: dt.date) -> tuple[Decimal, UseSource] | None:
    """The meter at the end of ``day``: a reading of it, or interpolated between the
    readings around it; None outside them."""
    before = after = None
    for reading in readings:
        if reading.day <= day:
            before = reading
        else:
            after = reading
            break
    if before is not None and before.day == day:
        return before.value, UseSource.READINGS
    if before is None or after is None:
        return None
    return rules.interpolate_to(day, before, after), UseSource.INTERPOLATED


def meter_use(readings: Sequence[PastReading], state: _State | None, contract_id: int,
              first: dt.date, last: dt.date, failure_found_on: dt.date | None = None
              ) -> _Use | None:
    """The use of one meter over the contract's days ``first``..``last`` of the month
    (see the module's text); None where nothing can be told (no reading at all)."""
    if state is not None and state.contract_id == contract_id and state.last_day < last:
        first = state.last_day + dt.timedelta(days=1)  # a month missed is billed now
    days = (last - first).days + 1
    if failure_found_on is not None and failure_found_on <= last:
        # KEE §38(1): the average of the three calendar months before the finding.
        trusted = [reading for reading in readings if reading.day < failure_found_on]
        measured = rules.failed_meter_use(trusted, failure_found_on, days)
        return _Use(first, last, UseSource.FAILED_METER, None, None, measured)
    if state is not None and state.contract_id == contract_id and state.end_value is not None:
        start_day, start_value = first - dt.timedelta(days=1), state.end_value
    else:
        found = _value_on(readings, first - dt.timedelta(days=1))
        if found is not None:
            start_day, start_value = first - dt.timedelta(days=1), found[0]
        else:
            inside = [reading for reading in readings if first <= reading.day <= last]
            if not inside:
                return None
            # A new meter: its first reading in the month is where billing starts.
            start_day, start_value = inside[0].day, inside[0].value
    end = _value_on(readings, last)
    if end is not None:
        end_value, source = end
    else:
        known = [reading for reading in readings if start_day < reading.day <= last]
        base_day, base_value = (known[-1].day, known[-1].value) if known else (
            start_day, start_value)
        average = rules.average_daily_use(readings, last) or ZERO
        end_value = base_value + rules.estimate_use((last - base_day).days, average)
        source = UseSource.ESTIMATED
    return _Use(first, last, source, start_value, end_value, end_value - start_value)


@dataclass
class _Bill:
    contract: _Contract
    lines: list[dict[str, Any]] = field(default_factory=list)
    priced: list[rules.InvoiceLine] = field(default_factory=list)  # the same, for the sums
    interest: Decimal = Decimal("0.00")

    def add(self, kind: LineKind, first: dt.date, last: dt.date, quantity: Decimal,
            unit: str, unit_price: Decimal, vat_rate: Decimal, **extra: Any) -> None:
        priced = rules.InvoiceLine(kind.value, quantity, unit, unit_price, vat_rate)
        self.priced.append(priced)
        self.lines.append({
            "kind": kind, "first_day": first, "last_day": last, "quantity": quantity,
            "unit": unit, "unit_price": unit_price, "vat_rate": vat_rate,
            "net": priced.net, "variant": "", **extra})

    def add_priced(self, kind: LineKind, first: dt.date, last: dt.date, quantity: Decimal,
                   prices: Sequence[PricePeriod], vat_rate: Decimal, **extra: Any) -> None:
        for part in rules.split_by_prices(first, last, quantity, prices):
            self.add(kind, part.first, part.last, part.quantity, "MTQ", part.unit_price,
                     vat_rate, **extra)


def bill_contract(contract: _Contract, data: _Chunk, prices: _Prices, vat_rate: Decimal,
                  utility: Utility, interest_cap: Decimal) -> _Bill:
    """The lines of one contract's invoice; ``BillingError`` where it cannot be billed."""
    bill = _Bill(contract)
    first, last = contract.first, contract.last
    water = prices.of(PriceKind.WATER)
    sewer = prices.of(PriceKind.SEWER, contract.pollution_group)
    site_ids = data.sites.get(contract.id, [])
    any_main = False
    for site_id in site_ids:
        site_meters = data.meters.get(site_id, [])
        water_billed = 0
        for meter in (m for m in site_meters if m.kind in MAIN_METER_KINDS):
            any_main = True
            use = meter_use(data.readings.get(meter.id, []), data.water_state.get(meter.id),
                            contract.id, first, last, meter.failure_found_on)
            if use is None:
                raise BillingError(f"meter {meter.id} has no readings")
            state = data.water_state.get(meter.id)
            carry = state.carry if state is not None and state.contract_id == contract.id \
                else ZERO
            whole = rules.whole_m3(use.measured, carry)
            details = {"site_id": site_id, "meter_id": meter.id, "source": use.source,
                       "start_value": use.start_value, "end_value": use.end_value,
                       "measured": use.measured, "carry_before": carry,
                       "carry_after": whole.carry}
            bill.add_priced(LineKind.WATER, use.first_day, use.last_day, Decimal(whole.billed),
                            water, vat_rate, **details)
            bill.add_priced(LineKind.SEWER, use.first_day, use.last_day,
                            Decimal(whole.billed), sewer, vat_rate, site_id=site_id,
                            meter_id=meter.id, variant=contract.pollution_group)
            water_billed += whole.billed
            fixed = prices.of(PriceKind.FIXED_FEE, meter.size)
            if fixed:
                _fixed_fee(bill, first, last, fixed, vat_rate, site_id, meter)
        if site_id not in data.rebate_sites:
            for sub in (m for m in site_meters if m.kind is MeterKind.GARDEN_SUB_METER):
                _garden_sub_meter(bill, data, sub, contract, sewer, vat_rate, water_billed)
    if not any_main:
        _residents(bill, data, contract, utility, water, sewer, vat_rate,
                   site_ids[0] if site_ids else None)
    for kind, effective_on in data.events.get(contract.id, []):
        price_kind = (PriceKind.CLOSURE_FEE if kind is ContractEventKind.CLOSURE
                      else PriceKind.REOPENING_FEE)
        fee = prices.of(price_kind)
        if fee:
            bill.add(LineKind(price_kind.value), effective_on, effective_on, Decimal(1), "C62",
                     rules.price_on(effective_on, fee), vat_rate)
    for owed in data.owed.get(contract.id, []):
        _late_interest(bill, owed, last, utility, interest_cap)
    return bill


def _fixed_fee(bill: _Bill, first: dt.date, last: dt.date, prices: Sequence[PricePeriod],
               vat_rate: Decimal, site_id: int, meter: _Meter) -> None:
    """A month's fee per main meter, its days' share of the month (3 decimals)."""
    month_days = calendar.monthrange(first.year, first.month)[1]
    days = Decimal((last - first).days + 1)
    for part in rules.split_by_prices(first, last, days, prices):
        months = (Decimal(part.days) / Decimal(month_days)).quantize(Decimal("0.001"))
        bill.add(LineKind.FIXED_FEE, part.first, part.last, months, "MON", part.unit_price,
                 vat_rate, site_id=site_id, meter_id=meter.id, variant=meter.size)


def _garden_sub_meter(bill: _Bill, data: _Chunk, sub: _Meter, contract: _Contract,
                      sewer: Sequence[PricePeriod], vat_rate: Decimal,
                      water_billed: int) -> None:
    """KEE §40(1): water a garden sub-meter measured never reached the sewer."""
    state = data.sub_state.get(sub.id)
    use = meter_use(data.readings.get(sub.id, []), state, contract.id, contract.first,
                    contract.last)
    if use is None:
        return
    carry = state.carry if state is not None and state.contract_id == contract.id else ZERO
    whole = rules.whole_m3(use.measured, carry)
    if whole.billed > water_billed:
        raise BillingError(f"the garden sub-meter {sub.id} measured more than the main meters")
    bill.add_priced(LineKind.SEWER, use.first_day, use.last_day, Decimal(-whole.billed), sewer,
                    vat_rate, site_id=sub.site_id, meter_id=sub.id, source=use.source,
                    start_value=use.start_value, end_value=use.end_value,
                    measured=use.measured, carry_before=carry, carry_after=whole.carry,
                    variant=contract.pollution_group)


def _residents(bill: _Bill, data: _Chunk, contract: _Contract, utility: Utility,
               water: Sequence[PricePeriod], sewer: Sequence[PricePeriod], vat_rate: Decimal,
               site_id: int | None) -> None:
    """KEE §42: no meter: the residents times the average use per resident."""
    if not contract.residents:
        raise BillingError("no meter and no number of residents (KEE §42)")
    state = data.resident_state.get(contract.id)
    first = contract.first
    if state is not None and state.contract_id == contract.id:
        first = state.last_day + dt.timedelta(days=1)  # a month missed is billed now
    measured = rules.residents_use_between(contract.residents, utility.resident_norm_m3,
                                           first, contract.last)
    carry = state.carry if state is not None and state.contract_id == contract.id else ZERO
    whole = rules.whole_m3(measured, carry)
    details = {"site_id": site_id, "source": UseSource.RESIDENTS, "measured": measured,
               "carry_before": carry, "carry_after": whole.carry}
    bill.add_priced(LineKind.WATER, first, contract.last, Decimal(whole.billed), water,
                    vat_rate, **details)
    bill.add_priced(LineKind.SEWER, first, contract.last, Decimal(whole.billed), sewer,
                    vat_rate, site_id=site_id, variant=contract.pollution_group)


def _late_interest(bill: _Bill, owed: _Owed, until: dt.date, utility: Utility,
                   cap: Decimal) -> None:
    """KEE §41(3): interest on the unpaid sum for each day of delay not charged before,
    up to the day the money arrived or the end of this month. A part payment lowers
    the unpaid sum from the day after it arrived (KEE §41(2))."""
    first = max(owed.due_date, owed.charged_until or owed.due_date) + dt.timedelta(days=1)
    last = min(owed.paid_on, until) if owed.paid_on is not None else until
    if last < first:
        return
    amount = Decimal("0.00")
    unpaid = owed.payable
    day = first
    for booked_on, paid in (*owed.payments, (last + dt.timedelta(days=1), ZERO)):
        if booked_on < day:
            unpaid -= paid
            continue
        segment_end = min(booked_on, last)
        if segment_end >= day and unpaid > 0:
            amount += rules.late_interest(unpaid, day - dt.timedelta(days=1), segment_end,
                                          segment_end, utility.late_interest_percent, cap)
        unpaid -= paid
        day = segment_end + dt.timedelta(days=1)
        if day > last:
            break
    if amount <= 0:
        return
    bill.interest += amount
    # Late interest is not a supply: outside the scope of VAT (rate 0).
    bill.add(LineKind.LATE_INTEREST, first, last, Decimal(1), "C62", amount, ZERO,
             source_invoice_id=owed.id)


# --------------------------------------------------------------------------- the run


def run_billing(run: BillingRun, utility: Utility, today: dt.date,
                progress: Progress | None = None, acting_as: str = "operator") -> RunSummary:
    """Bill every contract of ``run.period_start``'s month, committing each chunk; the
    run record ends finished with its summary."""
    start = run.period_start
    end = period_end(start)
    vat_rate = check_period(utility, start, today)
    interest_cap = deadline_set_for(end).percentage("late_interest_cap").percent
    summary = RunSummary(start.strftime("%Y-%m"), vat_rate)
    # Rerunning replaces the month's drafts (their lines and the prepayments they used
    # go with them); issued invoices stay.
    db.session.execute(delete(Invoice).where(
        Invoice.period_start == start, Invoice.kind == InvoiceKind.INVOICE,
        Invoice.status == InvoiceStatus.DRAFT))
    issued = _issued_contracts(start)
    contracts = _contracts(start, end)
    summary.contracts = len(contracts)
    summary.already_issued = sum(1 for contract in contracts if contract.id in issued)
    to_bill = [contract for contract in contracts if contract.id not in issued]
    run.total = len(to_bill)
    run_id = run.id
    db.session.commit()
    if progress:
        progress(0, len(to_bill))
    prices = _Prices(utility.id)
    done = 0
    for chunk in chunks(to_bill, RUN_CHUNK):
        data = _load_chunk(chunk, start, end, utility.id)
        bills = []
        for contract in chunk:
            try:
                bills.append(bill_contract(contract, data, prices, vat_rate, utility,
                                           interest_cap))
            except BillingError as error:
                summary.problems.append({"contract": contract.number, "problem": str(error)})
        _store(bills, data, run_id, start, end, summary)
        done += len(chunk)
        db.session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
            processed=done, heartbeat_at=utcnow()))
        db.session.commit()
        if progress:
            progress(done, len(to_bill))
    run = db.session.get_one(BillingRun, run_id)
    if run.issue:
        summary.issued = issue_period(start, today, run.started_by_id, utility)
    run.status = RebateRunStatus.FINISHED
    run.finished_at = utcnow()
    run.summary = summary.as_json()
    record("run_billing", "billing_run", run.id, acting_as=acting_as,
           actor_id=run.started_by_id, after=run.summary)
    db.session.commit()
    return summary


def _store(bills: Sequence[_Bill], data: _Chunk, run_id: int, start: dt.date, end: dt.date,
           summary: RunSummary) -> None:
    """The chunk's drafts, their lines and the prepayments they use, in bulk."""
    if not bills:
        return
    invoice_rows, line_groups, applied = [], [], []
    now = utcnow()
    for bill in bills:
        contract = bill.contract
        totals = rules.invoice_totals(
            bill.priced, max(data.balances.get(contract.customer_id, ZERO), ZERO).quantize(CENT))
        data.balances[contract.customer_id] = (
            data.balances.get(contract.customer_id, ZERO) - totals.prepayment_applied)
        estimated = any(line.get("source") in (UseSource.ESTIMATED, UseSource.FAILED_METER,
                                               UseSource.RESIDENTS) for line in bill.lines)
        invoice_rows.append({
            "kind": InvoiceKind.INVOICE, "customer_id": contract.customer_id,
            "contract_id": contract.id, "run_id": run_id, "period_start": start,
            "period_end": end, "status": InvoiceStatus.DRAFT,
            "language": data.locales.get(contract.customer_id) or "et", "computed_at": now,
            "net": totals.net, "vat": totals.vat, "gross": totals.gross,
            "prepayment_applied": totals.prepayment_applied, "payable": totals.payable,
            "paid_amount": Decimal("0.00"), "has_estimates": estimated,
            "interest_waived": False})
        line_groups.append(bill.lines)
        applied.append(totals.prepayment_applied)
        summary.invoices += 1
        summary.with_estimates += int(estimated)
        summary.net += totals.net
        summary.vat += totals.vat
        summary.gross += totals.gross
        summary.prepayments += totals.prepayment_applied
        summary.payable += totals.payable
        summary.interest += bill.interest
    ids = bulk.insert_rows(Invoice.__table__, invoice_rows, with_ids=True)
    line_rows, prepayment_rows = [], []
    for invoice_id, lines, used, row in zip(ids, line_groups, applied, invoice_rows,
                                            strict=True):
        for position, line in enumerate(lines, start=1):
            line_rows.append({"invoice_id": invoice_id, "position": position, "site_id": None,
                              "meter_id": None, "source": None, "start_value": None,
                              "end_value": None, "measured": None, "carry_before": None,
                              "carry_after": None, "source_invoice_id": None, **line})
        if used > 0:
            prepayment_rows.append({"customer_id": row["customer_id"],
                                    "kind": PrepaymentKind.APPLIED, "amount": -used,
                                    "invoice_id": invoice_id, "booked_at": now})
    bulk.insert_rows(InvoiceLine.__table__, line_rows)
    bulk.insert_rows(Prepayment.__table__, prepayment_rows)


def issue_period(start: dt.date, today: dt.date, actor_id: int | None,
                 utility: Utility) -> int:
    """Issue the month's drafts, numbered in the order of their contracts' numbers: the
    same as ``invoices.issue`` for each, in a few statements for them all."""
    drafts = db.session.execute(
        select(Invoice.id, Invoice.payable, Customer.locale)
        .join(ServiceContract, ServiceContract.id == Invoice.contract_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.period_start == start, Invoice.status == InvoiceStatus.DRAFT,
               Invoice.kind == InvoiceKind.INVOICE)
        .order_by(ServiceContract.number)).all()
    if not drafts:
        return 0
    first = numbering.take_numbers(invoices.INVOICE_SERIES, today.year, len(drafts))
    due_date = today + dt.timedelta(days=utility.invoice_due_days)
    rows = []
    for serial, (invoice_id, payable, locale) in enumerate(drafts, start=first):
        paid = payable <= 0  # a prepayment covered it: paid on the day it was issued
        rows.append({
            "b_id": invoice_id, "number": invoices.invoice_number(today.year, serial),
            "reference_number": invoices.reference_for(today.year, serial),
            "issued_on": today, "due_date": due_date, "issued_by_id": actor_id,
            "language": locale or "et",
            "status": InvoiceStatus.PAID if paid else InvoiceStatus.ISSUED,
            "paid_on": today if paid else None})
    table = Invoice.__table__
    db.session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values(
            {name: bindparam(name) for name in rows[0] if name != "b_id"}),
        rows, execution_options={"synchronize_session": False})
    db.session.expire_all()
    _tell_customers([row["b_id"] for row in rows], utility)
    return len(drafts)


def _tell_customers(invoice_ids: Sequence[int], utility: Utility) -> None:
    """An e-mail to each customer with an address: the invoice is in the portal, what to
    pay by when, with which reference number. Written to the outbox in bulk (``flask
    notifications send`` sends them), each in the customer's language."""
    rows = db.session.execute(
        select(Invoice.id, Invoice.number, Invoice.reference_number, Invoice.payable,
               Invoice.due_date, Invoice.period_start, Invoice.language, Customer.email,
               Customer.person_id, ServiceContract.invoice_delivery)
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(ServiceContract, ServiceContract.id == Invoice.contract_id)
        .where(in_ids(Invoice.id, list(invoice_ids)), Customer.email.is_not(None),
               Customer.email != "")).all()
    messages = []
    now = utcnow()
    for row in rows:
        with force_locale(row.language or "et"):
            subject = _("Invoice %(number)s of %(utility)s", number=row.number,
                        utility=utility.name)
            lines = [_("Your invoice %(number)s for %(month)s is in the portal, with its PDF "
                       "and e-invoice.", number=row.number,
                       month=row.period_start.strftime("%m.%Y"))]
            if row.payable > 0:
                lines.append(_("To pay: %(sum)s EUR by %(day)s, to %(iban)s with the reference "
                               "number %(reference)s.", sum=format_money(row.payable),
                               day=row.due_date.strftime("%d.%m.%Y"), iban=utility.iban or "",
                               reference=row.reference_number))
            else:
                lines.append(_("There is nothing to pay: your prepayment covered it."))
            if row.invoice_delivery == InvoiceDelivery.E_INVOICE:
                lines.append(_("You asked for e-invoices: the same invoice as an e-invoice "
                               "(XML, EN 16931) can be downloaded in the portal."))
            if has_request_context():
                lines.append(url_for("invoices.detail", invoice_id=row.id, _external=True))
        messages.append({"person_id": row.person_id, "email": row.email, "subject": subject,
                         "body": "\n\n".join(lines), "object_type": "invoice",
                         "object_id": str(row.id), "created_at": now})
    bulk.insert_rows(Notification.__table__, messages)


# --------------------------------------------------------------------------- in the background


def fail_run(run_id: int, error: str) -> None:
    runs.fail(BillingRun, run_id, error)


def start_in_background(run_id: int, today: dt.date, acting_as: str) -> threading.Thread | None:
    """Go on with a committed run in a thread of its own (``services/runs``)."""
    def work(run: BillingRun, utility: Utility, today: dt.date, acting_as: str) -> None:
        run_billing(run, utility, today, acting_as=acting_as)

    return runs.start_in_background(BillingRun, work, run_id, today, acting_as)


def closure_warning_candidates(today: dt.date, limit: int | None = None) -> list[Invoice]:
    """Issued invoices still unpaid whose closure warning may be sent today: five
    working days after the due date have passed (KEE §43(2)), the longest due first
    (at most ``limit``). The acts (issue 9) draw up the warning itself."""
    statement = _closure_warning_due(today).order_by(Invoice.due_date, Invoice.id)
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def closure_warning_count(today: dt.date) -> int:
    """How many invoices ``closure_warning_candidates`` would give without a limit."""
    return int(db.session.scalar(
        select(func.count()).select_from(_closure_warning_due(today).subquery())) or 0)


def _closure_warning_due(today: dt.date) -> Select[tuple[Invoice]]:
    # The latest due date whose warning may go today: closure_warning_from only grows
    # with the due date, so step back from today until it allows today.
    latest = today - dt.timedelta(days=1)
    while rules.closure_warning_from(latest) > today:
        latest -= dt.timedelta(days=1)
    return select(Invoice).where(
        Invoice.kind == InvoiceKind.INVOICE, Invoice.status == InvoiceStatus.ISSUED,
        Invoice.due_date <= latest, Invoice.payable > Invoice.paid_amount)
