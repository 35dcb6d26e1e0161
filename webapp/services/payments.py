"""Payments from bank statements (issue 11 item 4; KEE §41(2)): the camt.053 import,
its automatic matching, and the staff's queue of payments it could not match.

- The import reads the file with ``domain/camt053`` and books each booked credit
  entry in euros as one ``Payment``. Debits, reversals and entries in another currency
  are not the customers' payments of invoices: they are counted and listed in the
  summary, not booked. Entries the bank has not booked yet the parser leaves out
  (counted as pending).
- If the utility has its account (``Utility.iban``), a statement of another account
  is refused, and nothing of the file is booked.
- Idempotent: the key is the account and the bank's reference of the entry, unique in
  the database (``payment`` table). A statement loaded again books nothing twice; the
  summary says how many of its entries were there already.
- Matching, in this order: (1) the structured reference number (viitenumber) is an
  issued invoice's; (2) exactly one issued invoice's number (``2026-000042``) is in the
  unstructured description; (3) otherwise the payment is unmatched and waits in the
  staff queue. A matched payment is applied to its invoice (``invoices.receive``: the
  day the payable sum is reached is the day it was paid, KEE §41(2)); what is left over
  (an overpayment, or all of it for an invoice already paid or cancelled) becomes the
  customer's prepayment, which the next invoice uses.
- One file is one transaction: a broken file, a foreign account or a concurrent load
  of the same entries books nothing. Everything is looked up in bulk (the existing
  keys, the invoices by reference and by number), never one query an entry, so 10,000
  entries take seconds.
- By hand, staff match an unmatched payment to an issued invoice, book it to a
  customer as a prepayment, or ignore it with a note (not the customers' money). Each
  is audited.

Services flush, the caller commits (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from stdnum import iban as iban_numbers

from webapp.domain.camt053 import CamtError, Entry, Statement, all_entries, parse_camt053
from webapp.domain.permissions import Action, Actor, acting_role
from webapp.domain.reference_numbers import compact_reference
from webapp.extensions import db
from webapp.models import (
    Company,
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Person,
    Prepayment,
    PrepaymentKind,
    Utility,
)
from webapp.models.base import utcnow
from webapp.services.audit import record
from webapp.services.backoffice import PAYMENT_MATCHING, purpose_text
from webapp.services.invoices import book_prepayment, receive

T = TypeVar("T")

CURRENCY = "EUR"  # invoices are in euros; another currency is not booked
MONEY_MAX = Decimal("9999999999.99")  # Numeric(12, 2)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
IN_CHUNK = 500  # values in one SQL IN (...): well inside every database's limit
# Payment's column lengths: a longer text is cut (the bank's key never is).
ENTRY_REFERENCE_MAX = 140
REFERENCE_MAX = 35
NAME_MAX = 140
DESCRIPTION_MAX = 500
IBAN_MAX = 34
NOTE_MIN = 5
NOTE_MAX = 500
SUMMARY_SKIPPED_AUDITED = 50  # skipped entries named in the audit event; the rest counted

# An invoice number as ``services/invoices.invoice_number`` writes it: the year, a
# hyphen and six digits. People type other dashes too, and spaces around them.
_INVOICE_NUMBER = re.compile(r"(?<![0-9])([0-9]{4}) ?[-\u2010\u2011\u2012\u2013\u2014] ?"
                             r"([0-9]{6})(?![0-9])")
_CODE = re.compile(r"[0-9]{8}|[0-9]{11}")  # a registry code or a personal code


class PaymentImportError(ValueError):
    """The file cannot be imported and nothing was booked; ``problems`` say why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class PaymentRefusal(ValueError):
    """A staff action on a payment that cannot be done; the message is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SkipReason(enum.StrEnum):
    DEBIT = "debit"  # money out of the account
    REVERSAL = "reversal"  # the bank took back an earlier booking
    CURRENCY = "currency"  # not in euros


SKIP_REASON_NAMES = {
    SkipReason.DEBIT: _l("a debit (money out of the account)"),
    SkipReason.REVERSAL: _l("a reversal of an earlier booking: check it by hand"),
    SkipReason.CURRENCY: _l("not in euros"),
}


class MatchedBy(enum.StrEnum):
    REFERENCE = "reference"
    INVOICE_NUMBER = "invoice_number"


@dataclass(frozen=True)
class SkippedEntry:
    entry_reference: str
    booked_on: dt.date
    amount: Decimal
    currency: str
    reason: SkipReason
    counterparty: str | None
    description: str | None


@dataclass
class ImportSummary:
    """What one import did. ``booked`` = ``matched`` + ``unmatched``."""

    accounts: tuple[str, ...] = ()
    statements: int = 0
    entries: int = 0  # booked entries (and batch transactions) in the file
    booked: int = 0  # new payments
    matched_by_reference: int = 0
    matched_by_number: int = 0
    unmatched: int = 0
    already_loaded: int = 0  # entries booked by an earlier import
    pending: int = 0  # not booked by the bank yet (PDNG, INFO, FUTR): not read
    skipped: list[SkippedEntry] = field(default_factory=list)
    booked_amount: Decimal = ZERO
    unmatched_amount: Decimal = ZERO
    prepaid_amount: Decimal = ZERO  # overpayments booked as prepayments
    invoices_paid: int = 0  # invoices whose payable sum the import completed

    @property
    def matched(self) -> int:
        return self.matched_by_reference + self.matched_by_number

    def skipped_by_reason(self) -> dict[SkipReason, int]:
        counts: dict[SkipReason, int] = defaultdict(int)
        for entry in self.skipped:
            counts[entry.reason] += 1
        return dict(counts)

    def as_json(self) -> dict[str, Any]:
        """For the audit trail: the figures and the first skipped entries."""
        return {
            "accounts": list(self.accounts),
            "statements": self.statements,
            "entries": self.entries,
            "booked": self.booked,
            "matched_by_reference": self.matched_by_reference,
            "matched_by_number": self.matched_by_number,
            "unmatched": self.unmatched,
            "already_loaded": self.already_loaded,
            "pending": self.pending,
            "skipped": len(self.skipped),
            "skipped_entries": [
                {"entry_reference": item.entry_reference, "reason": item.reason.value,
                 "amount": str(item.amount), "currency": item.currency}
                for item in self.skipped[:SUMMARY_SKIPPED_AUDITED]
            ],
            "booked_amount": str(self.booked_amount),
            "unmatched_amount": str(self.unmatched_amount),
            "prepaid_amount": str(self.prepaid_amount),
            "invoices_paid": self.invoices_paid,
        }


# --------------------------------------------------------------------------- import


def import_statement(data: bytes, *, actor_id: int | None, utility: Utility,
                     acting_as: str = "operator") -> ImportSummary:
    """Book the payments of the camt.053 file ``data`` in the current transaction.

    Raises ``PaymentImportError`` (nothing booked; the caller rolls back) when the file
    cannot be read, is another account's, or its entries were being booked at the same
    time by another import.
    """
    try:
        statements = parse_camt053(data)
    except CamtError as error:
        raise PaymentImportError(error.problems) from None
    _check_accounts(statements, utility)
    entries = all_entries(statements)
    problems = [problem for _statement, entry in entries
                for problem in _entry_problems(entry)]
    if problems:
        raise PaymentImportError(problems)

    summary = ImportSummary(
        accounts=tuple(dict.fromkeys(statement.account_iban for statement in statements)),
        statements=len(statements),
        entries=len(entries),
        pending=sum(statement.skipped_pending for statement in statements),
    )
    candidates: list[tuple[str, Entry]] = []
    for statement, entry in entries:
        reason = skip_reason(entry)
        if reason is None:
            candidates.append((statement.account_iban, entry))
        else:
            summary.skipped.append(SkippedEntry(
                entry.entry_reference, entry.booked_on, entry.amount, entry.currency, reason,
                entry.debtor_name, entry.description))

    booked_before = _existing_keys(candidates)
    new = [(account, entry) for account, entry in candidates
           if (account, entry.entry_reference) not in booked_before]
    summary.already_loaded = len(candidates) - len(new)

    matches = _match_all([entry for _account, entry in new])
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for (account, entry), (invoice, how) in zip(new, matches, strict=True):
        row = _payment_row(account, entry, actor_id)
        if invoice is not None:
            row.update(status=PaymentStatus.MATCHED, invoice_id=invoice.id,
                       customer_id=invoice.customer_id, matched_at=now)
            if how is MatchedBy.REFERENCE:
                summary.matched_by_reference += 1
            else:
                summary.matched_by_number += 1
        else:
            summary.unmatched += 1
            summary.unmatched_amount += row["amount"]
        summary.booked_amount += row["amount"]
        rows.append(row)
    summary.booked = len(rows)

    # In batches (executemany), not one INSERT a payment: the ids are read back at once.
    ids = _insert_payments(rows)
    prepayments: list[dict[str, Any]] = []
    settled: dict[int, Invoice] = {}
    for row, (invoice, _how) in zip(rows, matches, strict=True):
        if invoice is None:
            continue
        was_paid = invoice.status is InvoiceStatus.PAID
        leftover = settle(invoice, row["amount"], row["booked_on"])
        settled[invoice.id] = invoice
        if not was_paid and invoice.status is InvoiceStatus.PAID:
            summary.invoices_paid += 1
        if leftover > 0:
            summary.prepaid_amount += leftover
            prepayments.append({
                "customer_id": invoice.customer_id, "kind": PrepaymentKind.OVERPAYMENT,
                "amount": leftover,
                "payment_id": ids[(row["account_iban"], row["entry_reference"])]})
    _write_back(settled.values())
    if prepayments:
        db.session.execute(insert(Prepayment), prepayments)
    record("import_bank_statement", "bank_statement", None, acting_as=acting_as,
           actor_id=actor_id, after=summary.as_json())
    db.session.flush()
    return summary


def _insert_payments(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the new payments and return their ids by key. The unique key refuses
    entries another import booked between our look-up and now."""
    if not rows:
        return {}
    try:
        with db.session.begin_nested():
            # render_nulls: every row has the same columns, so one executemany for all
            # (the ORM would otherwise group the rows by which of them are None).
            db.session.execute(insert(Payment).execution_options(render_nulls=True), rows)
    except IntegrityError:
        raise PaymentImportError([_(
            "Some of the file's entries were booked by another import at the same time. "
            "Nothing of this file was booked: load it again, and the entries booked "
            "already will be counted as such.")]) from None
    by_account: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_account[row["account_iban"]].append(row["entry_reference"])
    ids: dict[tuple[str, str], int] = {}
    for account, references in by_account.items():
        for chunk in _chunks(references):
            for payment_id, reference in db.session.execute(
                    select(Payment.id, Payment.entry_reference).where(
                        Payment.account_iban == account, Payment.entry_reference.in_(chunk))):
                ids[(account, reference)] = payment_id
    return ids


def _check_accounts(statements: Sequence[Statement], utility: Utility) -> None:
    if not utility.iban:
        return
    own = iban_numbers.compact(utility.iban)
    foreign = [statement for statement in statements if statement.account_iban != own]
    if foreign:
        raise PaymentImportError([
            _("Statement %(statement)s is of account %(account)s, not of the utility's "
              "account %(own)s: the file was not imported.",
              statement=statement.statement_id, account=iban_numbers.format(
                  statement.account_iban), own=iban_numbers.format(own))
            for statement in foreign
        ])


def _entry_problems(entry: Entry) -> Iterator[str]:
    """What the parser allows but the payment table cannot keep."""
    if len(entry.entry_reference) > ENTRY_REFERENCE_MAX:
        yield _("Entry %(reference)s: the bank's reference is longer than %(most)s "
                "characters.", reference=entry.entry_reference[:40] + "…",
                most=ENTRY_REFERENCE_MAX)
    if skip_reason(entry) is None:
        if entry.amount > MONEY_MAX:
            yield _("Entry %(reference)s: the amount %(amount)s is too large.",
                    reference=entry.entry_reference, amount=entry.amount)
        elif entry.amount != entry.amount.quantize(CENT):
            yield _("Entry %(reference)s: the amount %(amount)s has more than two decimals, "
                    "which a payment in euros cannot have.",
                    reference=entry.entry_reference, amount=entry.amount)


def skip_reason(entry: Entry) -> SkipReason | None:
    """Why the entry is no customer's payment, or None if it is one."""
    if entry.reversal:
        return SkipReason.REVERSAL
    if not entry.credit:
        return SkipReason.DEBIT
    if entry.currency != CURRENCY:
        return SkipReason.CURRENCY
    return None


def _chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_keys(candidates: Sequence[tuple[str, Entry]]) -> set[tuple[str, str]]:
    by_account: dict[str, list[str]] = defaultdict(list)
    for account, entry in candidates:
        by_account[account].append(entry.entry_reference)
    found: set[tuple[str, str]] = set()
    for account, references in by_account.items():
        for chunk in _chunks(references):
            found.update((account, reference) for reference in db.session.scalars(
                select(Payment.entry_reference).where(Payment.account_iban == account,
                                                      Payment.entry_reference.in_(chunk))))
    return found


def _payment_row(account: str, entry: Entry, actor_id: int | None) -> dict[str, Any]:
    """A new payment's columns (an unmatched one until matched)."""
    return {
        "account_iban": account,
        "entry_reference": entry.entry_reference,
        "booked_on": entry.booked_on,
        "amount": entry.amount.quantize(CENT),
        "currency": entry.currency,
        "debtor_name": _cut(entry.debtor_name, NAME_MAX),
        "debtor_iban": entry.debtor_iban if entry.debtor_iban and len(
            entry.debtor_iban) <= IBAN_MAX else None,
        "reference_number": _cut(entry.reference_number, REFERENCE_MAX),
        "description": _cut(entry.description, DESCRIPTION_MAX),
        "status": PaymentStatus.UNMATCHED,
        "invoice_id": None,
        "customer_id": None,
        "matched_at": None,
        "imported_by_id": actor_id,
    }


def _cut(text: str | None, most: int) -> str | None:
    if text is None or len(text) <= most:
        return text
    return text[:most - 1] + "…"


# --------------------------------------------------------------------------- matching


def invoice_numbers_in(text: str | None) -> list[str]:
    """The invoice numbers written in ``text``, in order, each once (``2026-000042``)."""
    if not text:
        return []
    return list(dict.fromkeys(f"{year}-{serial}"
                              for year, serial in _INVOICE_NUMBER.findall(text)))


def _payable_invoices() -> Select[tuple[Invoice]]:
    """Invoices a payment may be matched to: issued ones (cancelled ones too: their
    payments become prepayments), not credit notes."""
    return select(Invoice).where(Invoice.kind == InvoiceKind.INVOICE,
                                 Invoice.number.is_not(None),
                                 Invoice.status != InvoiceStatus.DRAFT)


_PAYABLE = (Invoice.kind == InvoiceKind.INVOICE, Invoice.number.is_not(None),
            Invoice.status != InvoiceStatus.DRAFT)
# What matching and ``invoices.receive`` read and write of an invoice.
_SETTLED_COLUMNS = (Invoice.id, Invoice.kind, Invoice.status, Invoice.customer_id,
                    Invoice.number, Invoice.reference_number, Invoice.payable,
                    Invoice.paid_amount, Invoice.paid_on)


def _invoices_by(column: Any, values: Iterable[str], loaded: dict[int, Invoice]
                 ) -> dict[str, Invoice]:
    """The payable invoices whose ``column`` is one of ``values``, locked until the
    import commits (no one pays them by hand meanwhile).

    They are detached copies holding the columns ``receive`` needs, one per invoice
    (``loaded``, shared by the look-ups): applying thousands of payments to them and
    writing them back in one executemany (``_write_back``) takes a fraction of what the
    unit of work would take for as many full invoices."""
    wanted = sorted(set(values))
    found: dict[str, Invoice] = {}
    for chunk in _chunks(wanted):
        rows = db.session.execute(select(*_SETTLED_COLUMNS).where(*_PAYABLE, column.in_(chunk))
                                  .with_for_update())
        for row in rows:
            invoice = loaded.get(row.id)
            if invoice is None:
                invoice = loaded[row.id] = Invoice(**row._asdict())  # never added
            found[getattr(invoice, column.key)] = invoice
    return found


def _write_back(invoices: Iterable[Invoice]) -> None:
    """Store what ``receive`` changed on the detached invoices: an ORM bulk UPDATE by
    primary key (one executemany), which also brings any copy the session holds up to
    date (its "evaluate" synchronisation)."""
    rows = [{"id": invoice.id, "status": invoice.status, "paid_amount": invoice.paid_amount,
             "paid_on": invoice.paid_on} for invoice in invoices]
    if rows:
        db.session.execute(update(Invoice), rows)


def _match_all(entries: Sequence[Entry]) -> list[tuple[Invoice | None, MatchedBy | None]]:
    """Each entry's invoice (a detached copy, see ``_invoices_by``) and how it was
    found, with two look-ups in all."""
    references = [compact_reference(entry.reference_number) if entry.reference_number
                  else None for entry in entries]
    loaded: dict[int, Invoice] = {}
    by_reference = _invoices_by(Invoice.reference_number,
                                (reference for reference in references if reference), loaded)
    numbers: list[list[str]] = [
        [] if reference in by_reference else invoice_numbers_in(entry.description)
        for entry, reference in zip(entries, references, strict=True)
    ]
    by_number = _invoices_by(Invoice.number, (n for found in numbers for n in found), loaded)
    result: list[tuple[Invoice | None, MatchedBy | None]] = []
    for reference, named in zip(references, numbers, strict=True):
        if reference is not None and reference in by_reference:
            result.append((by_reference[reference], MatchedBy.REFERENCE))
            continue
        known = [by_number[number] for number in named if number in by_number]
        # Several invoices in one payment: how to share it is the staff's call.
        if len(known) == 1:
            result.append((known[0], MatchedBy.INVOICE_NUMBER))
        else:
            result.append((None, None))
    return result


def settle(invoice: Invoice, amount: Decimal, booked_on: dt.date) -> Decimal:
    """Apply ``amount`` received on ``booked_on`` to the invoice; returns what is left
    over, for the customer's prepayment (all of it for a cancelled invoice)."""
    if invoice.status is InvoiceStatus.CANCELLED:
        return amount  # nothing to pay on it any more: all is the customer's
    return receive(invoice, amount, booked_on)  # KEE §41(2): paid on the day it arrived


# --------------------------------------------------------------------------- staff


QUEUE_ORDER = (Payment.booked_on, Payment.id)


def queue() -> Select[tuple[Payment]]:
    """Unmatched payments, the oldest first."""
    return (select(Payment).where(Payment.status == PaymentStatus.UNMATCHED)
            .order_by(*QUEUE_ORDER))


@dataclass(frozen=True)
class QueueCounts:
    unmatched: int
    unmatched_amount: Decimal
    oldest: dt.date | None
    matched: int
    ignored: int


def queue_counts() -> QueueCounts:
    rows = db.session.execute(
        select(Payment.status, func.count(), func.coalesce(func.sum(Payment.amount), 0),
               func.min(Payment.booked_on))
        .group_by(Payment.status)).all()
    by_status = {PaymentStatus(status): (count, Decimal(total), oldest)
                 for status, count, total, oldest in rows}
    unmatched = by_status.get(PaymentStatus.UNMATCHED, (0, ZERO, None))
    return QueueCounts(
        unmatched=unmatched[0], unmatched_amount=unmatched[1].quantize(CENT),
        oldest=unmatched[2],
        matched=by_status.get(PaymentStatus.MATCHED, (0, ZERO, None))[0],
        ignored=by_status.get(PaymentStatus.IGNORED, (0, ZERO, None))[0])


def recent(status: PaymentStatus | None, text: str | None = None) -> Select[tuple[Payment]]:
    """Payments, the newest booking first, of one status or all; ``text`` finds the
    payer's name, the reference number, the description or the invoice number."""
    statement = select(Payment).options(joinedload(Payment.invoice))
    if status is not None:
        statement = statement.where(Payment.status == status)
    if text:
        matching_invoices = select(Invoice.id).where(
            Invoice.number.istartswith(text, autoescape=True))
        statement = statement.where(or_(
            Payment.debtor_name.icontains(text, autoescape=True),
            Payment.reference_number.startswith(compact_reference(text), autoescape=True),
            Payment.description.icontains(text, autoescape=True),
            Payment.invoice_id.in_(matching_invoices),
        ))
    return statement.order_by(Payment.booked_on.desc(), Payment.id.desc())


_LARGEST_ID = 2**31 - 1


def payment_for_staff(payment_id: int) -> Payment:
    """The payment (404 if there is none); staff see every payment."""
    payment = (db.session.get(Payment, payment_id, options=[
        joinedload(Payment.invoice), joinedload(Payment.customer)])
        if 0 < payment_id <= _LARGEST_ID else None)
    if payment is None:
        abort(404)
    return payment


def find_invoice(text: str) -> Invoice:
    """An issued invoice by its number (``2026-000042``) or its reference number."""
    text = text.strip()
    if _INVOICE_NUMBER.fullmatch(text):
        (number,) = invoice_numbers_in(text)
        invoice = db.session.scalar(_payable_invoices().where(Invoice.number == number))
    else:
        reference = compact_reference(text)
        invoice = db.session.scalar(
            _payable_invoices().where(Invoice.reference_number == reference)
        ) if reference.isdigit() else None
    if invoice is None:
        raise PaymentRefusal(_("No issued invoice has the number or reference number "
                               "%(text)s.", text=text))
    return invoice


def find_customer(code: str) -> Customer:
    """A customer by the person's personal code or the company's registry code."""
    compact = re.sub(r"\s+", "", code)
    if not _CODE.fullmatch(compact):
        raise PaymentRefusal(_("Enter a personal code (11 digits) or a registry code "
                               "(8 digits)."))
    customer = db.session.scalar(
        select(Customer)
        .outerjoin(Person, Customer.person_id == Person.id)
        .outerjoin(Company, Customer.company_id == Company.id)
        .where(or_(Person.personal_code == compact, Company.registry_code == compact)))
    if customer is None:
        raise PaymentRefusal(_("No customer has the code %(code)s.", code=compact))
    return customer


@dataclass(frozen=True)
class MatchPreview:
    """What matching the payment to the invoice would do, shown before it is done."""

    invoice: Invoice
    open_before: Decimal
    applied: Decimal  # to the invoice's open sum
    prepayment: Decimal  # the rest, for the customer's next invoices
    pays_in_full: bool


def preview_match(payment: Payment, invoice: Invoice) -> MatchPreview:
    if invoice.status is InvoiceStatus.CANCELLED:
        open_before = ZERO
    else:
        open_before = max(invoice.open_amount, ZERO)
    applied = min(payment.amount, open_before)
    return MatchPreview(invoice, open_before, applied, payment.amount - applied,
                        pays_in_full=open_before > 0 and applied == open_before)


def _locked_unmatched(payment: Payment) -> Payment:
    """The payment locked for the change, or a refusal if someone handled it first."""
    locked = db.session.scalar(select(Payment).where(Payment.id == payment.id)
                               .with_for_update().execution_options(populate_existing=True))
    if locked is None or locked.status is not PaymentStatus.UNMATCHED:
        raise PaymentRefusal(_("This payment was handled already: nothing was changed."))
    return locked


def _audit(actor: Actor, action: str, payment: Payment, customer: Customer | None,
           after: dict[str, Any]) -> None:
    record(action, "payment", payment.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING),
           actor_id=actor.person_id,
           subject_person_id=customer.person_id if customer is not None else None,
           before={"status": PaymentStatus.UNMATCHED},
           after={"status": payment.status, "amount": payment.amount, **after},
           purpose=purpose_text(PAYMENT_MATCHING, None))


def record_look(actor: Actor, payment: Payment, customer: Customer,
                invoice: Invoice | None = None) -> None:
    """The confirmation page shows the customer (name, code, an invoice): a look at
    personal data, on the trail whether or not the change is then made."""
    record("view_customer_for_payment", "payment", payment.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING), actor_id=actor.person_id,
           subject_person_id=customer.person_id,
           after={"customer": customer.code,
                  **({"invoice": invoice.number} if invoice is not None else {})},
           purpose=purpose_text(PAYMENT_MATCHING, None))
    db.session.flush()


def match_by_hand(actor: Actor, payment: Payment, invoice: Invoice) -> MatchPreview:
    """Match an unmatched payment to an issued invoice: applied, the rest prepaid."""
    payment = _locked_unmatched(payment)
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice.id)
                                .with_for_update()
                                .execution_options(populate_existing=True)) or invoice
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status is InvoiceStatus.DRAFT:
        raise PaymentRefusal(_("A payment can be matched only to an issued invoice."))
    preview = preview_match(payment, invoice)
    payment.status = PaymentStatus.MATCHED
    payment.invoice_id = invoice.id
    payment.customer_id = invoice.customer_id
    payment.matched_by_id = actor.person_id
    payment.matched_at = utcnow()
    leftover = settle(invoice, payment.amount, payment.booked_on)
    if leftover > 0:
        book_prepayment(invoice.customer_id, PrepaymentKind.OVERPAYMENT, leftover,
                        payment_id=payment.id)
    _audit(actor, "match_payment", payment, invoice.customer,
           {"invoice": invoice.number, "applied": preview.applied,
            "prepayment": preview.prepayment, "invoice_status": invoice.status})
    db.session.flush()
    return preview


def prepay_by_hand(actor: Actor, payment: Payment, customer: Customer) -> None:
    """Book an unmatched payment in full as the customer's prepayment."""
    payment = _locked_unmatched(payment)
    payment.status = PaymentStatus.MATCHED
    payment.customer_id = customer.id
    payment.matched_by_id = actor.person_id
    payment.matched_at = utcnow()
    book_prepayment(customer.id, PrepaymentKind.OVERPAYMENT, payment.amount,
                    payment_id=payment.id)
    _audit(actor, "prepay_payment", payment, customer,
           {"customer": customer.code, "prepayment": payment.amount})
    db.session.flush()


def ignore_by_hand(actor: Actor, payment: Payment, note: str) -> None:
    """Leave an unmatched payment out of the customers' money, with the reason."""
    note = note.strip()
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise PaymentRefusal(_("Write why the payment is not a customer's, in %(low)s to "
                               "%(high)s characters.", low=NOTE_MIN, high=NOTE_MAX))
    payment = _locked_unmatched(payment)
    payment.status = PaymentStatus.IGNORED
    payment.note = note
    payment.matched_by_id = actor.person_id
    payment.matched_at = utcnow()
    _audit(actor, "ignore_payment", payment, None, {"note": note})
    db.session.flush()


# --------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class PaymentHints:
    """What may help staff match an unmatched payment by hand."""

    named_invoices: list[Invoice]  # issued invoices whose numbers are in the description
    reference_unknown: bool  # a reference number was given, but no issued invoice has it
    earlier_customers: list[Customer]  # customers of earlier payments from the same account


def hints(payment: Payment) -> PaymentHints:
    numbers = invoice_numbers_in(payment.description)
    named = list(db.session.scalars(
        _payable_invoices().where(Invoice.number.in_(numbers))
        .options(joinedload(Invoice.customer)).order_by(Invoice.number))) if numbers else []
    earlier: list[Customer] = []
    if payment.debtor_iban:
        earlier = list(db.session.scalars(
            select(Customer).where(Customer.id.in_(
                select(Payment.customer_id).where(
                    Payment.debtor_iban == payment.debtor_iban,
                    Payment.customer_id.is_not(None),
                    Payment.id != payment.id)))
            .options(joinedload(Customer.person), joinedload(Customer.company))
            .order_by(Customer.id).limit(5)))
    return PaymentHints(named, bool(payment.reference_number), earlier)
