"""The customer's invoices in the portal (issue 11; ITB 2: users see and pay invoices):
who sees an invoice, the list with statuses, the balance, payments, late interest and
the use and cost by month.

Who sees an invoice is one rule, ``may_view_invoice``: an issued invoice (never a
draft) is shown to a person who may view documents (``Action.VIEW_DOCUMENTS``: owners,
managers and users, ITB 2) at **every** site of its contract, while the invoice's
customer holds those sites. Every site, because an invoice names the addresses and
the use of all of them: a user of one building does not read the customer's other
buildings. The customer holds them, because a new owner of a house is the owner of
its site, not of the previous customer's invoices (as with rebate applications).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import (
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentStatus,
    ServiceContract,
    contract_site,
)
from webapp.services.access import contract_in_force, sites_where, today_in_tallinn
from webapp.services.invoices import prepayment_balance

ZERO = Decimal("0.00")


# --------------------------------------------------------------------------- who sees what


def current_holders(site_ids: Iterable[int], on: dt.date | None = None) -> dict[int, set[int]]:
    """The customers whose contracts in force on ``on`` (default today) hold each site."""
    ids = list(set(site_ids))
    holders: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return holders
    rows = db.session.execute(
        select(contract_site.c.site_id, ServiceContract.customer_id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(contract_site.c.site_id.in_(ids), contract_in_force(on or today_in_tallinn())))
    for site_id, customer_id in rows:
        holders[site_id].add(customer_id)
    return holders


def sees_invoices_of(actor: Actor, customer_id: int, site_ids: Collection[int],
                     holders: Mapping[int, Collection[int]]) -> bool:
    """ITB 2: may ``actor`` see the invoices of ``customer_id``'s contract of the sites
    ``site_ids``? Only where they may view documents at every one of them and the
    customer holds each today (``holders``: ``current_holders``)."""
    return bool(site_ids) and all(
        can(actor, Action.VIEW_DOCUMENTS, site_id) and customer_id in holders.get(site_id, ())
        for site_id in site_ids)


def _site_ids(invoice: Invoice) -> list[int]:
    return [site.id for site in invoice.contract.sites]


def may_view_invoice(actor: Actor, invoice: Invoice) -> bool:
    """The one rule of who sees an invoice in the portal (see the module's text)."""
    if invoice.status is InvoiceStatus.DRAFT:
        return False
    site_ids = _site_ids(invoice)
    return sees_invoices_of(actor, invoice.customer_id, site_ids, current_holders(site_ids))


def may_claim_invoice(actor: Actor, invoice: Invoice) -> bool:
    """KEE §43(1): a claim about an issued invoice (not a credit note) is the contract
    partner's matter (owners and managers, ``Action.CLAIM_INVOICE``), at every site of
    the contract, like seeing it."""
    if invoice.kind is not InvoiceKind.INVOICE or not invoice.is_issued:
        return False
    return may_view_invoice(actor, invoice) and all(
        can(actor, Action.CLAIM_INVOICE, site_id) for site_id in _site_ids(invoice))


def visible_invoice(actor: Actor, invoice_id: int) -> Invoice:
    """The invoice if ``actor`` may see it; else 404 (as if it did not exist)."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or not may_view_invoice(actor, invoice):
        abort(404)
    return invoice


def may_view_any_invoices(actor: Actor) -> bool:
    """Does the invoices page exist for ``actor``: may they view documents anywhere?"""
    return bool(sites_where(actor, Action.VIEW_DOCUMENTS))


def visible_contracts(actor: Actor) -> list[ServiceContract]:
    """The contracts whose invoices ``actor`` sees (``sees_invoices_of``), by number."""
    candidates = sites_where(actor, Action.VIEW_DOCUMENTS)
    if not candidates:
        return []
    touching = select(contract_site.c.contract_id).where(
        contract_site.c.site_id.in_(candidates))
    contracts = list(db.session.scalars(
        select(ServiceContract).where(ServiceContract.id.in_(touching))
        .options(selectinload(ServiceContract.sites), selectinload(ServiceContract.customer))
        .order_by(ServiceContract.number)))
    holders = current_holders(site.id for contract in contracts for site in contract.sites)
    return [contract for contract in contracts
            if sees_invoices_of(actor, contract.customer_id,
                                [site.id for site in contract.sites], holders)]


def _shown(contract_ids: Collection[int]) -> Select[tuple[Invoice]]:
    return select(Invoice).where(Invoice.contract_id.in_(list(contract_ids)),
                                 Invoice.status != InvoiceStatus.DRAFT)


def invoices_query(contract_ids: Collection[int]) -> Select[tuple[Invoice]]:
    """The issued invoices and credit notes of the contracts, newest first."""
    return _shown(contract_ids).order_by(Invoice.issued_on.desc(), Invoice.id.desc())


# --------------------------------------------------------------------------- status


def display_status(invoice: Invoice, today: dt.date) -> str:
    """issued, overdue (past its due date with money still to pay), paid, cancelled;
    a credit note is a credit note."""
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        return "credit_note"
    if invoice.status is InvoiceStatus.ISSUED and invoice.due_date is not None \
            and invoice.due_date < today and invoice.open_amount > 0:
        return "overdue"
    return invoice.status.value


# --------------------------------------------------------------------------- balance


@dataclass(frozen=True)
class Balance:
    """One customer's account with the utility, as far as the visitor sees it."""

    customer: Customer
    open_amount: Decimal  # issued invoices not yet paid
    overdue_amount: Decimal  # of which past their due date
    prepayment: Decimal  # rebate credits, overpayments, credit notes not used yet

    @property
    def balance(self) -> Decimal:
        """Positive: to pay; negative: in the customer's favour."""
        return self.open_amount - self.prepayment


def balances(contracts: Iterable[ServiceContract], today: dt.date) -> list[Balance]:
    """Per customer of ``contracts``: the open sums of their issued invoices less the
    customer's prepayment (``services.invoices.prepayment_balance``)."""
    by_customer: dict[int, list[int]] = defaultdict(list)
    customers: dict[int, Customer] = {}
    for contract in contracts:
        by_customer[contract.customer_id].append(contract.id)
        customers[contract.customer_id] = contract.customer
    result = []
    for customer_id, contract_ids in by_customer.items():
        unpaid = list(db.session.scalars(_shown(contract_ids).where(
            Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE)))
        open_amount = sum((max(invoice.open_amount, ZERO) for invoice in unpaid), ZERO)
        overdue = sum((max(invoice.open_amount, ZERO) for invoice in unpaid
                       if invoice.due_date is not None and invoice.due_date < today), ZERO)
        result.append(Balance(customers[customer_id], open_amount, overdue,
                              prepayment_balance(customer_id)))
    return result


# --------------------------------------------------------------------------- payments, interest


def payments_query(contract_ids: Collection[int]) -> Select[tuple[Payment]]:
    """The bank payments matched to the contracts' invoices, newest first."""
    shown = _shown(contract_ids).with_only_columns(Invoice.id)
    return (select(Payment).where(Payment.invoice_id.in_(shown),
                                  Payment.status == PaymentStatus.MATCHED)
            .options(selectinload(Payment.invoice))
            .order_by(Payment.booked_on.desc(), Payment.id.desc()))


def interest_query(contract_ids: Collection[int]) -> Select[tuple[InvoiceLine]]:
    """The late-interest lines (KEE §41(3)) on the contracts' invoices, newest first."""
    shown = _shown(contract_ids).with_only_columns(Invoice.id)
    return (select(InvoiceLine).where(InvoiceLine.invoice_id.in_(shown),
                                      InvoiceLine.kind == LineKind.LATE_INTEREST)
            .options(selectinload(InvoiceLine.invoice), selectinload(InvoiceLine.source_invoice))
            .order_by(InvoiceLine.last_day.desc(), InvoiceLine.id.desc()))


# --------------------------------------------------------------------------- use and cost


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date  # the first day of the billed month
    water_m3: Decimal | None  # None: no invoice for the month
    cost: Decimal | None  # the invoices' totals with VAT


def monthly_figures(contract_ids: Collection[int], months: list[dt.date]) -> list[MonthFigures]:
    """The water billed (m³) and the invoices' totals with VAT for each month of
    ``months`` (first days, oldest first), from the issued invoices (credit notes and
    cancelled invoices left out: a cancelled month shows its replacement, if any)."""
    if not months or not contract_ids:
        return [MonthFigures(month, None, None) for month in months]
    first = months[0]
    invoices = list(db.session.scalars(
        _shown(contract_ids).where(Invoice.kind == InvoiceKind.INVOICE,
                                   Invoice.status != InvoiceStatus.CANCELLED,
                                   Invoice.period_start >= first)))
    ids = [invoice.id for invoice in invoices]
    water: dict[int, Decimal] = {}
    if ids:
        water = {invoice_id: Decimal(total) for invoice_id, total in db.session.execute(
            select(InvoiceLine.invoice_id, func.sum(InvoiceLine.quantity))
            .where(InvoiceLine.invoice_id.in_(ids), InvoiceLine.kind == LineKind.WATER)
            .group_by(InvoiceLine.invoice_id))}
    volume: dict[dt.date, Decimal] = {}
    cost: dict[dt.date, Decimal] = {}
    for invoice in invoices:
        month = invoice.period_start.replace(day=1)
        volume[month] = volume.get(month, Decimal(0)) + water.get(invoice.id, Decimal(0))
        cost[month] = cost.get(month, ZERO) + invoice.gross
    return [MonthFigures(month, volume.get(month), cost.get(month)) for month in months]
