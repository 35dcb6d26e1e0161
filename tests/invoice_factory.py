"""Invoices made directly for tests (issue 11): an Invoice and its InvoiceLines for a
demo contract, totals by the billing rules, issued with ``services.invoices.issue``.

``water_lines(site)`` gives a month of a metered site: water and wastewater for its
first main meter (11.323 m³ used, 0.200 carried in: 11 m³ billed, 0.523 carried on)
and the meter's fixed fee.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from webapp.domain import billing as rules
from webapp.extensions import db
from webapp.models import (
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LineKind,
    Meter,
    MeterKind,
    Person,
    Prepayment,
    PrepaymentKind,
    ServiceContract,
    Site,
    UseSource,
    Utility,
)
from webapp.services import invoices

SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
ISSUED_ON = dt.date(2026, 10, 5)
VAT = Decimal(24)


def utility() -> Utility:
    found = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    assert found is not None
    return found


def contract_of(code: str) -> ServiceContract:
    """The first contract (by number) of the demo customer with this personal or
    registry code."""
    from webapp.models import Company

    customer = db.session.scalar(
        select(Customer).outerjoin(Person, Customer.person_id == Person.id)
        .outerjoin(Company, Customer.company_id == Company.id)
        .where((Person.personal_code == code) | (Company.registry_code == code)))
    assert customer is not None, code
    contract = db.session.scalars(
        select(ServiceContract).where(ServiceContract.customer_id == customer.id)
        .order_by(ServiceContract.number)).first()
    assert contract is not None
    return contract


def main_meter(site: Site) -> Meter:
    return next(meter for meter in site.meters if meter.kind is MeterKind.COLD_WATER)


def line(kind: LineKind, quantity: str, unit: str, unit_price: str, vat_rate: Decimal = VAT,
         **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "quantity": Decimal(quantity), "unit": unit,
            "unit_price": Decimal(unit_price), "vat_rate": vat_rate, **extra}


def water_lines(site: Site, source: UseSource = UseSource.READINGS,
                meter: Meter | None = None) -> list[dict[str, Any]]:
    meter = meter or main_meter(site)
    details = {"site_id": site.id, "meter_id": meter.id, "source": source,
               "start_value": Decimal("1234.567"), "end_value": Decimal("1245.890"),
               "measured": Decimal("11.323"), "carry_before": Decimal("0.200"),
               "carry_after": Decimal("0.523")}
    return [
        line(LineKind.WATER, "11", "MTQ", "1.2345", **details),
        line(LineKind.SEWER, "11", "MTQ", "1.5240", site_id=site.id, meter_id=meter.id,
             variant="I"),
        line(LineKind.FIXED_FEE, "1.000", "MON", "3.2000", site_id=site.id,
             meter_id=meter.id, variant=meter.size),
    ]


def make_invoice(contract: ServiceContract, lines: list[dict[str, Any]], *,
                 period: tuple[dt.date, dt.date] = SEPTEMBER,
                 prepayment: Decimal = Decimal("0.00"),
                 issued_on: dt.date | None = ISSUED_ON,
                 kind: InvoiceKind = InvoiceKind.INVOICE,
                 credit_note_of: Invoice | None = None) -> Invoice:
    """A draft with ``lines`` (dicts of InvoiceLine's fields), its totals by the billing
    rules, the prepayment it uses booked, issued on ``issued_on`` (None: a draft)."""
    first, last = period
    totals = rules.invoice_totals(
        [rules.InvoiceLine(spec["kind"].value, spec["quantity"], spec["unit"],
                           spec["unit_price"], spec["vat_rate"]) for spec in lines],
        prepayment)
    invoice = Invoice(
        kind=kind, customer_id=contract.customer_id, contract=contract,
        customer=db.session.get(Customer, contract.customer_id),
        credit_note_of=credit_note_of, period_start=first, period_end=last,
        net=totals.net, vat=totals.vat, gross=totals.gross,
        prepayment_applied=totals.prepayment_applied, payable=totals.payable,
        has_estimates=any(spec.get("source") not in (None, UseSource.READINGS)
                          for spec in lines))
    for position, spec in enumerate(lines, start=1):
        fields = {"first_day": first, "last_day": last, **spec}
        net = rules.InvoiceLine(spec["kind"].value, spec["quantity"], spec["unit"],
                                spec["unit_price"], spec["vat_rate"]).net
        invoice.lines.append(InvoiceLine(position=position, net=net, **fields))
    db.session.add(invoice)
    db.session.flush()
    if totals.prepayment_applied:
        db.session.add(Prepayment(customer_id=contract.customer_id, kind=PrepaymentKind.APPLIED,
                                  amount=-totals.prepayment_applied, invoice_id=invoice.id))
    if issued_on is not None:
        invoices.issue(invoice, issued_on=issued_on, actor_id=None, utility=utility())
    db.session.flush()
    return invoice
