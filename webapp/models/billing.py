"""Billing (issue 11; KEE §41-§43): VAT rates, billing runs, invoices and their lines,
payments from bank statements, the customers' prepayments and claims about invoices.

- A billing run computes one invoice per contract in force for a calendar month. Its
  invoices are drafts until issued; rerunning the month replaces its drafts, never an
  issued invoice (a partial unique index keeps one regular invoice per contract and
  month that is not cancelled).
- An issued invoice gets a number with no gaps (``document_counter``) and an
  Estonian reference number (7-3-1) made from it, both unique, and never changes: a
  correction is a credit note that refers to it.
- A payment is one booked credit entry of a bank statement; the bank's entry
  reference on the utility's account is unique, so a statement loaded twice books
  nothing twice.
- A customer's prepayments are a ledger: garden-water rebate credits (ELVESO 3.4),
  overpayments and credit notes add to it, invoices use it. Its sum is what is left.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Money, Timestamp, UnitPrice, Volume, utcnow
from webapp.models.contract import ServiceContract
from webapp.models.enums import RebateRunStatus, enum_column
from webapp.models.meter import Meter
from webapp.models.party import Customer, Person
from webapp.models.property import Site
from webapp.models.rebate import RebateCredit
from webapp.models.stored_file import StoredFile

Percent = Numeric(5, 2, asdecimal=True)

_RUNNING = text("status = 'running'")
# One regular invoice per contract and month, unless it was cancelled.
_REGULAR = text("kind = 'invoice' AND status <> 'cancelled'")
_OPEN_CLAIM = text("status = 'open'")


class VatRate(Base):
    """The VAT rate (a percentage, EN 16931 BT-119) in force from ``valid_from`` until
    the next one starts."""

    __tablename__ = "vat_rate"
    __table_args__ = (
        UniqueConstraint("utility_id", "valid_from"),
        CheckConstraint("rate_percent >= 0 AND rate_percent <= 100", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    utility_id: Mapped[int] = mapped_column(ForeignKey("utility.id", ondelete="CASCADE"))
    rate_percent: Mapped[Decimal] = mapped_column(Percent)
    valid_from: Mapped[dt.date]


class DocumentCounter(Base):
    """The last number given in a series and year (invoices, acts): numbers are taken
    under a row lock, so there are no gaps and no duplicates."""

    __tablename__ = "document_counter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class BillingRun(Base):
    """One billing run of a month: its progress while it goes, its summary after. One
    runs at a time (a partial unique index)."""

    __tablename__ = "billing_run"
    __table_args__ = (
        Index("uq_billing_run_one_running", "status", unique=True,
              sqlite_where=_RUNNING, postgresql_where=_RUNNING),
        CheckConstraint("processed >= 0 AND processed <= total", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[dt.date]
    issue: Mapped[bool] = mapped_column(default=False)  # issue the drafts at the end
    status: Mapped[RebateRunStatus] = mapped_column(
        enum_column(RebateRunStatus, "billing_run_status"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    finished_at: Mapped[Timestamp | None]
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))

    started_by: Mapped[Person | None] = relationship()


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"  # KEE §43(1): an accepted claim; refers to the invoice


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"  # sent, payable, not (fully) paid
    PAID = "paid"
    CANCELLED = "cancelled"  # a credit note took it back in full


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        Index("uq_invoice_contract_period", "contract_id", "period_start", unique=True,
              sqlite_where=_REGULAR, postgresql_where=_REGULAR),
        Index("ix_invoice_customer", "customer_id", "period_start"),
        Index("ix_invoice_status_due", "status", "due_date"),
        # Deleting a month's drafts checks every reference to them: each needs an index.
        Index("ix_invoice_credit_note_of", "credit_note_of_id"),
        CheckConstraint("period_end >= period_start", name="valid_range"),
        CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
        CheckConstraint("prepayment_applied >= 0", name="prepayment_not_negative"),
        CheckConstraint(
            "(kind = 'credit_note') = (credit_note_of_id IS NOT NULL)", name="credit_note_refers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(enum_column(InvoiceKind, "invoice_kind"),
                                              default=InvoiceKind.INVOICE)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # given on issue
    reference_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("service_contract.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_run.id"))
    credit_note_of_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus, "invoice_status"),
                                                  default=InvoiceStatus.DRAFT)
    language: Mapped[str] = mapped_column(String(5), default="et")
    computed_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    issued_on: Mapped[dt.date | None]
    due_date: Mapped[dt.date | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    net: Mapped[Money]
    vat: Mapped[Money]
    gross: Mapped[Money]
    prepayment_applied: Mapped[Money] = mapped_column(default=Decimal("0.00"))
    payable: Mapped[Money]
    paid_amount: Mapped[Money] = mapped_column(default=Decimal("0.00"))
    paid_on: Mapped[dt.date | None]  # the day the payable sum was reached (KEE §41(2))
    has_estimates: Mapped[bool] = mapped_column(default=False)
    # KEE §41(3): no late interest where the invoice was not received in time through
    # no fault of the customer's, or was wrong (set by staff, e.g. on a claim).
    interest_waived: Mapped[bool] = mapped_column(default=False)
    interest_waived_reason: Mapped[str | None] = mapped_column(String(500))
    # The Factur-X PDF, rendered once on the first download after issue, then kept.
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))

    customer: Mapped[Customer] = relationship()
    contract: Mapped[ServiceContract] = relationship()
    run: Mapped[BillingRun | None] = relationship()
    credit_note_of: Mapped[Invoice | None] = relationship(remote_side=[id])
    issued_by: Mapped[Person | None] = relationship()
    pdf_file: Mapped[StoredFile | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position",
        cascade="all, delete-orphan", foreign_keys="InvoiceLine.invoice_id")

    @property
    def open_amount(self) -> Decimal:
        """What is still to be paid (0 once paid; negative for a credit note)."""
        return self.payable - self.paid_amount

    @property
    def is_issued(self) -> bool:
        return self.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID)


class LineKind(enum.StrEnum):
    WATER = "water"
    SEWER = "sewer"
    FIXED_FEE = "fixed_fee"
    LATE_INTEREST = "late_interest"  # KEE §41(3), for an earlier invoice
    CLOSURE_FEE = "closure_fee"  # KEE §6(2): closing the supply at the customer's request
    REOPENING_FEE = "reopening_fee"  # KEE §6(2)
    CREDIT = "credit"  # a credit note's line


class UseSource(enum.StrEnum):
    """Where a water line's quantity came from."""

    READINGS = "readings"
    INTERPOLATED = "interpolated"  # the period's end lies between two readings
    ESTIMATED = "estimated"  # no reading: the last 12 months' average daily use
    FAILED_METER = "failed_meter"  # KEE §38(1)
    RESIDENTS = "residents"  # KEE §42: no meter


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        Index("ix_invoice_line_meter", "meter_id", "kind"),
        Index("ix_invoice_line_source_invoice", "source_invoice_id"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, "invoice_line_kind"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    source: Mapped[UseSource | None] = mapped_column(enum_column(UseSource, "use_source"))
    # The meter's values the use was taken between (an estimate is stored as the value
    # the next period starts from, so the next real reading corrects it).
    start_value: Mapped[Volume | None]
    end_value: Mapped[Volume | None]
    measured: Mapped[Volume | None]  # the use before whole m³ (KEE §41(1))
    carry_before: Mapped[Volume | None]
    carry_after: Mapped[Volume | None]
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3, asdecimal=True))
    unit: Mapped[str] = mapped_column(String(10))  # UN/ECE rec. 20: MTQ, MON, DAY, C62
    unit_price: Mapped[UnitPrice]
    vat_rate: Mapped[Decimal] = mapped_column(Percent)
    net: Mapped[Money]
    # The invoice a late-interest line charges for (KEE §41(3)).
    source_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    variant: Mapped[str] = mapped_column(String(20), default="")  # pollution group, size

    invoice: Mapped[Invoice] = relationship(back_populates="lines", foreign_keys=[invoice_id])
    site: Mapped[Site | None] = relationship()
    meter: Mapped[Meter | None] = relationship()
    source_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[source_invoice_id])


class PaymentStatus(enum.StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"  # waits in the staff queue
    IGNORED = "ignored"  # not the customers' money (staff decided, with a note)


class Payment(Base):
    """A credit entry booked on the utility's account (camt.053)."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("account_iban", "entry_reference"),
        Index("ix_payment_status", "status", "booked_on"),
        Index("ix_payment_invoice", "invoice_id"),
        Index("ix_payment_customer", "customer_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_iban: Mapped[str] = mapped_column(String(34))
    entry_reference: Mapped[str] = mapped_column(String(140))
    booked_on: Mapped[dt.date]
    amount: Mapped[Money]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    debtor_name: Mapped[str | None] = mapped_column(String(140))
    debtor_iban: Mapped[str | None] = mapped_column(String(34))
    reference_number: Mapped[str | None] = mapped_column(String(35))
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus, "payment_status"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # None: automatic
    matched_at: Mapped[Timestamp | None]
    note: Mapped[str | None] = mapped_column(String(500))
    imported_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    invoice: Mapped[Invoice | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    matched_by: Mapped[Person | None] = relationship(foreign_keys=[matched_by_id])


class PrepaymentKind(enum.StrEnum):
    REBATE = "rebate"  # a garden-water rebate credit (ELVESO 3.4)
    OVERPAYMENT = "overpayment"
    CREDIT_NOTE = "credit_note"  # an accepted claim's credit of an invoice already paid
    APPLIED = "applied"  # used on an invoice (negative)


class Prepayment(Base):
    """One movement of a customer's prepayment: positive adds, negative uses."""

    __tablename__ = "prepayment"
    __table_args__ = (
        Index("ix_prepayment_customer", "customer_id"),
        Index("ix_prepayment_invoice", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[PrepaymentKind] = mapped_column(enum_column(PrepaymentKind, "prepayment_kind"))
    amount: Mapped[Money]
    rebate_credit_id: Mapped[int | None] = mapped_column(
        ForeignKey("rebate_credit.id"), unique=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), unique=True)
    # APPLIED: the invoice that used it (deleted with a replaced draft); CREDIT_NOTE:
    # the credit note.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    booked_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()
    rebate_credit: Mapped[RebateCredit | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    invoice: Mapped[Invoice | None] = relationship()


class ClaimStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # a credit note was made
    REJECTED = "rejected"


class Claim(Base):
    """A customer's claim about an invoice (KEE §43(1))."""

    __tablename__ = "invoice_claim"
    __table_args__ = (
        Index("ix_invoice_claim_status", "status", "answer_until"),
        Index("ix_invoice_claim_invoice", "invoice_id"),
        Index("ix_invoice_claim_credit_note", "credit_note_id"),
        # One open claim per invoice at a time.
        Index("uq_invoice_claim_open", "invoice_id", unique=True,
              sqlite_where=_OPEN_CLAIM, postgresql_where=_OPEN_CLAIM),
        CheckConstraint("credit_amount IS NULL OR credit_amount > 0", name="credit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    made_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    received_on: Mapped[dt.date]
    answer_until: Mapped[dt.date]
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus, "claim_status"),
                                                default=ClaimStatus.OPEN)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answered_at: Mapped[Timestamp | None]
    answer: Mapped[str | None] = mapped_column(Text)
    credit_amount: Mapped[Money | None]  # the net credited, VAT added on the note
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship(foreign_keys=[invoice_id])
    customer: Mapped[Customer] = relationship()
    made_by: Mapped[Person] = relationship(foreign_keys=[made_by_id])
    answered_by: Mapped[Person | None] = relationship(foreign_keys=[answered_by_id])
    credit_note: Mapped[Invoice | None] = relationship(foreign_keys=[credit_note_id])
