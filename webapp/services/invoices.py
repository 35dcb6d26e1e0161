"""An invoice's life after the billing run computed it: issue, money received, the
customer's prepayments (issue 11; KEE §41-§43).

- Issuing gives the invoice its number (``2026-000042``, one series with no gaps,
  ``services/numbering``), its Estonian reference number (7-3-1, made from the
  number, so unique) and its due date (the utility's term in days); from then on
  it never changes.
- Money received is applied to the open sum; the day the payable sum is reached is
  the day it was paid (KEE §41(2)); anything above it is returned to the caller to
  book as a prepayment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from webapp.domain.reference_numbers import make_reference
from webapp.extensions import db
from webapp.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Prepayment,
    PrepaymentKind,
    Utility,
)
from webapp.services.numbering import next_number

INVOICE_SERIES = "invoice"
ZERO = Decimal("0.00")


class InvoiceRefusal(ValueError):
    """An action on an invoice that its state does not allow; the text is for people."""


def invoice_number(year: int, serial: int) -> str:
    return f"{year}-{serial:06d}"


def reference_for(year: int, serial: int) -> str:
    """The invoice's reference number: its number's digits and the 7-3-1 check digit."""
    return make_reference(f"{year}{serial:06d}")


def issue(invoice: Invoice, *, issued_on: dt.date, actor_id: int | None,
          utility: Utility) -> Invoice:
    """Number and date the draft ``invoice``, in the caller's transaction."""
    if invoice.status is not InvoiceStatus.DRAFT:
        raise InvoiceRefusal("only a draft can be issued")
    serial = next_number(INVOICE_SERIES, issued_on.year)
    invoice.number = invoice_number(issued_on.year, serial)
    invoice.reference_number = reference_for(issued_on.year, serial)
    invoice.issued_on = issued_on
    invoice.due_date = issued_on + dt.timedelta(days=utility.invoice_due_days)
    invoice.issued_by_id = actor_id
    invoice.language = invoice.customer.locale or "et"
    invoice.status = InvoiceStatus.ISSUED
    if invoice.payable <= 0 and invoice.kind is InvoiceKind.INVOICE:
        # Nothing to pay (a prepayment covered it): paid on the day it was issued.
        invoice.status = InvoiceStatus.PAID
        invoice.paid_on = issued_on
    return invoice


def receive(invoice: Invoice, amount: Decimal, on: dt.date) -> Decimal:
    """Apply ``amount`` EUR received on ``on`` to ``invoice``; returns what is left
    over (an overpayment, for the caller to book as a prepayment)."""
    if amount <= 0:
        raise InvoiceRefusal("a payment is a positive amount")
    if not invoice.is_issued:
        raise InvoiceRefusal("only an issued invoice can be paid")
    open_amount = max(invoice.open_amount, ZERO)
    used = min(amount, open_amount)
    invoice.paid_amount = invoice.paid_amount + used
    if used > 0 and invoice.paid_amount >= invoice.payable:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_on = on  # KEE §41(2): the day the money reached the account
    return amount - used


def prepayment_balance(customer_id: int) -> Decimal:
    """What the customer has as prepayment now: rebates, overpayments and credit notes
    less what invoices (drafts included) used."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Prepayment.amount), 0)).where(
            Prepayment.customer_id == customer_id))
    return Decimal(total).quantize(Decimal("0.01"))


def book_prepayment(customer_id: int, kind: PrepaymentKind, amount: Decimal, **refs: int
                    ) -> Prepayment:
    entry = Prepayment(customer_id=customer_id, kind=kind, amount=amount, **refs)
    db.session.add(entry)
    return entry
