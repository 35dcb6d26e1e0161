"""Claims about invoices (KEE §43(1), issue 11 item 7): the customer's claim within ten
working days of receiving the invoice, the staff's queue with the ten working days
of the answer, and the answer: a rejection, or an acceptance that makes a credit note.

Decisions, each where it is applied:

- An invoice counts as received on its issue date: it is in the portal and sent on
  the day it is issued (``received_on``). The claim's last day is
  ``domain.billing.claim_until`` of that day; a claim made later is refused with the
  last day and the clause, and nothing is saved.
- A claim counts as received by the utility on the day it is made in the portal; the
  answer is due ``domain.billing.claim_answer_until`` of that day.
- Who may claim: whoever may ``Action.CLAIM_INVOICE`` (owners and managers) at every
  site of the invoice's contract; an invoice for other sites too is not theirs to
  dispute. Anyone else gets 404.
- An accepted claim makes a credit note of the net amount staff grant (at most what is
  still creditable: the invoice's net less its earlier credit notes), split over the
  invoice's VAT rates in proportion to what each rate still has, VAT per rate as on
  any invoice (EN 16931 BR-CO-17, ``domain.billing.invoice_totals``). The credit note
  is issued at once and settles the invoice: what is still open on it is reduced
  (``invoices.receive``) and the rest becomes the customer's prepayment. The note is
  thereby used up, so it is marked paid on the day it is made and is never open.
- An invoice credited in full on which no payment was booked is cancelled, so that a
  corrected invoice can be billed for its month.
- Accepting also waives late interest on the invoice (KEE §41(3): none where the
  invoice was wrong).

Services flush; the route commits, then delivers the notifications.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import abort, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.domain import billing
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.extensions import db
from webapp.i18n import format_money
from webapp.models import (
    Claim,
    ClaimStatus,
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Person,
    PrepaymentKind,
    Utility,
)
from webapp.models.base import utcnow
from webapp.services import customer_invoices, invoices
from webapp.services.audit import record
from webapp.services.backoffice import INVOICE_CLAIM, purpose_text
from webapp.services.notifications import notify

TEXT_MAX = 5000  # a claim or an answer: a letter, not a book
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
AMOUNT_WHOLE_DIGITS = 10  # Money is Numeric(12, 2)
CREDIT_UNIT = "C62"  # UN/ECE rec. 20: "one", a credit line is one amount
_LARGEST_ID = 2**31 - 1

STATUS_NAMES: Mapping[ClaimStatus, Any] = {
    ClaimStatus.OPEN: _l("waiting for the answer"),
    ClaimStatus.ACCEPTED: _l("accepted"),
    ClaimStatus.REJECTED: _l("rejected"),
}
INVOICE_STATUS_NAMES: Mapping[InvoiceStatus, Any] = {
    InvoiceStatus.DRAFT: _l("draft"),
    InvoiceStatus.ISSUED: _l("issued"),
    InvoiceStatus.PAID: _l("paid"),
    InvoiceStatus.CANCELLED: _l("cancelled by a credit note"),
}
LINE_NAMES: Mapping[LineKind, Any] = {
    LineKind.WATER: _l("water"),
    LineKind.SEWER: _l("wastewater"),
    LineKind.FIXED_FEE: _l("fixed monthly fee"),
    LineKind.LATE_INTEREST: _l("late interest"),
    LineKind.CLOSURE_FEE: _l("closing the supply"),
    LineKind.REOPENING_FEE: _l("reopening the supply"),
    LineKind.CREDIT: _l("credit"),
}


class ClaimRefusal(ValueError):
    """What the rules do not allow, in words for people; ``fields`` are the form fields
    it is about."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


def _get(model: type[Any], object_id: int) -> Any:
    if not 0 < object_id <= _LARGEST_ID:
        return None
    return db.session.get(model, object_id)


# --------------------------------------------------------------------------- the customer


def received_on(invoice: Invoice) -> dt.date:
    """The day the customer received the invoice: the day it was issued, when it is in
    the portal and sent (decision, docs/billing.md)."""
    if invoice.issued_on is None:  # pragma: no cover - only issued invoices get here
        raise ValueError("a draft has not been received")
    return invoice.issued_on


@dataclass(frozen=True)
class ClaimWindow:
    received_on: dt.date
    last_day: dt.date  # KEE §43(1)
    today: dt.date

    @property
    def is_open(self) -> bool:
        return self.today <= self.last_day


def window(invoice: Invoice, today: dt.date) -> ClaimWindow:
    received = received_on(invoice)
    return ClaimWindow(received, billing.claim_until(received), today)


def _claim_site(actor: Actor, invoice: Invoice) -> int | None:
    """A site of the invoice's contract if the actor may claim at every one of them."""
    sites = [site.id for site in invoice.contract.sites]
    if sites and all(can(actor, Action.CLAIM_INVOICE, site_id) for site_id in sites):
        return sites[0]
    return None


def may_claim(actor: Actor | None, invoice: Invoice) -> bool:
    """The invoices' one rule (``customer_invoices.may_claim_invoice``): an issued
    invoice of a customer who still holds its sites, for owners and managers there."""
    return actor is not None and customer_invoices.may_claim_invoice(actor, invoice)


def claimable_invoice(actor: Actor, invoice_id: int) -> Invoice:
    """An issued invoice (not a credit note) the actor may claim about; else 404."""
    invoice = _get(Invoice, invoice_id)
    if invoice is None or not may_claim(actor, invoice):
        abort(404)
    return invoice  # type: ignore[no-any-return]


def claims_of(invoice: Invoice) -> list[Claim]:
    """The claims about ``invoice``, the latest first."""
    return list(db.session.scalars(
        select(Claim).where(Claim.invoice_id == invoice.id)
        .options(selectinload(Claim.credit_note))
        .order_by(Claim.created_at.desc(), Claim.id.desc())))


def open_claim_of(invoice: Invoice) -> Claim | None:
    return db.session.scalar(select(Claim).where(Claim.invoice_id == invoice.id,
                                                 Claim.status == ClaimStatus.OPEN))


def clean_text(text: str | None) -> str:
    return (text or "").strip()


def _already() -> str:
    return str(_("There is already an open claim about this invoice: the utility answers "
                 "it first."))


def check_claimable(invoice: Invoice, today: dt.date) -> None:
    """``ClaimRefusal`` unless a claim about ``invoice`` may be made on ``today``: after
    the last day (KEE §43(1)) or while one is open."""
    claim_window = window(invoice, today)
    if not claim_window.is_open:
        # KEE §43(1): "10 tööpäeva jooksul arve saamisest".
        raise ClaimRefusal(_(
            "The time for a claim about this invoice ended on %(day)s: a claim can be made "
            "within 10 working days of receiving the invoice (KEE §43(1)). The invoice "
            "counts as received on its issue date, %(received)s.",
            day=f"{claim_window.last_day:%d.%m.%Y}",
            received=f"{claim_window.received_on:%d.%m.%Y}"))
    if open_claim_of(invoice) is not None:
        raise ClaimRefusal(_already())


def make_claim(actor: Actor, person: Person, invoice: Invoice, text: str,
               today: dt.date) -> Claim:
    """The customer's claim about ``invoice`` made on ``today``; ``ClaimRefusal`` (and
    nothing written) after the last day, with an open claim, or without a text."""
    site_id = _claim_site(actor, invoice)
    if site_id is None or not invoice.is_issued or invoice.kind is not InvoiceKind.INVOICE:
        abort(404)
    check_claimable(invoice, today)
    text = clean_text(text)
    if not text:
        raise ClaimRefusal(_("Describe what is wrong with the invoice."), ["text"])
    if len(text) > TEXT_MAX:
        raise ClaimRefusal(_("Use at most %(count)s characters.", count=TEXT_MAX), ["text"])
    claim = Claim(invoice_id=invoice.id, customer_id=invoice.customer_id,
                  made_by_id=person.id, received_on=today,
                  answer_until=billing.claim_answer_until(today), text=text)
    try:
        # Two claims sent at once: the partial unique index keeps one open.
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        raise ClaimRefusal(_already()) from None
    record("make_invoice_claim", "invoice_claim", claim.id,
           acting_as=acting_role(actor, Action.CLAIM_INVOICE, site_id),
           subject_person_id=invoice.customer.person_id,
           after={"invoice": invoice.number, "received_on": today,
                  "answer_until": claim.answer_until})
    db.session.flush()
    return claim


# --------------------------------------------------------------------------- staff


def _staff(actor: Actor) -> None:
    if not can(actor, Action.STAFF_BILLING):
        abort(404)


def is_overdue(claim: Claim, today: dt.date) -> bool:
    return claim.status is ClaimStatus.OPEN and claim.answer_until < today


def queue(actor: Actor, status: ClaimStatus | None) -> Select[Any]:
    """Claims of ``status`` (all without one): open ones by the answer's deadline, the
    earliest (the overdue) first; answered ones the latest answer first."""
    _staff(actor)
    query = (select(Claim)
             .options(selectinload(Claim.invoice), selectinload(Claim.customer)
                      .selectinload(Customer.person),
                      selectinload(Claim.customer).selectinload(Customer.company),
                      selectinload(Claim.made_by)))
    if status is ClaimStatus.OPEN:
        return query.where(Claim.status == status).order_by(Claim.answer_until, Claim.id)
    if status is not None:
        return query.where(Claim.status == status).order_by(Claim.answered_at.desc(),
                                                            Claim.id.desc())
    is_open = Claim.status == ClaimStatus.OPEN
    return query.order_by(case((is_open, 0), else_=1), case((is_open, Claim.answer_until)),
                          Claim.answered_at.desc(), Claim.id)


def queue_counts(actor: Actor, today: dt.date) -> dict[str, int]:
    _staff(actor)
    counts = {status.value: int(count) for status, count in db.session.execute(
        select(Claim.status, func.count()).group_by(Claim.status))}
    counts["overdue"] = int(db.session.scalar(select(func.count()).select_from(Claim).where(
        Claim.status == ClaimStatus.OPEN, Claim.answer_until < today)) or 0)
    return counts


def claim_for_staff(actor: Actor, claim_id: int) -> Claim:
    _staff(actor)
    claim = _get(Claim, claim_id)
    if claim is None:
        abort(404)
    return claim  # type: ignore[no-any-return]


def _subject(claim: Claim) -> int:
    """Whose personal data a claim is: the customer's, or for a company the person who
    wrote it."""
    return claim.customer.person_id or claim.made_by_id


def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    return list(db.session.scalars(
        select(Invoice).where(Invoice.credit_note_of_id == invoice.id,
                              Invoice.kind == InvoiceKind.CREDIT_NOTE,
                              Invoice.status != InvoiceStatus.DRAFT)
        .options(selectinload(Invoice.lines))
        .order_by(Invoice.issued_on, Invoice.id)))


def taxable_by_rate(lines: Iterable[InvoiceLine]) -> dict[Decimal, Decimal]:
    """The nets of ``lines`` added per VAT rate (EN 16931 BG-23's taxable amounts)."""
    taxable: dict[Decimal, Decimal] = {}
    for line in lines:
        # Equal rates written differently (24, 24.00) are one: Decimals hash by value.
        taxable[line.vat_rate] = taxable.get(line.vat_rate, ZERO) + line.net
    return taxable


def creditable_by_rate(invoice: Invoice) -> dict[Decimal, Decimal]:
    """What each VAT rate of ``invoice`` still has to credit: its taxable amount less
    the credit notes made of it (their lines are negative)."""
    remaining = taxable_by_rate(invoice.lines)
    for note in credit_notes_of(invoice):
        for rate, net in taxable_by_rate(note.lines).items():
            remaining[rate] = remaining.get(rate, ZERO) + net
    return remaining


def creditable(invoice: Invoice) -> Decimal:
    """The net that may still be credited: the invoice's net less its earlier credit
    notes, and no more than its VAT rates still have."""
    by_rate = creditable_by_rate(invoice)
    earlier = sum((note.net for note in credit_notes_of(invoice)), ZERO)
    positive = sum((amount for amount in by_rate.values() if amount > 0), ZERO)
    return max(ZERO, min(invoice.net + earlier, positive))


def split_credit(amount: Decimal, remaining: Mapping[Decimal, Decimal]
                 ) -> dict[Decimal, Decimal]:
    """``amount`` (a net, to the cent) divided over the VAT rates in proportion to what
    each still has (``remaining``, rates with nothing left take no share). Each share
    is its exact part to the cent; the cents the rounding leaves over go to the largest
    remainders (a tie to the higher rate), so the shares add up to ``amount`` exactly
    and none is above what its rate has."""
    weights = {rate: Fraction(value) for rate, value in remaining.items() if value > 0}
    total = sum(weights.values(), Fraction(0))
    cents = int(amount / CENT)
    if amount <= 0 or Decimal(cents) * CENT != amount or Fraction(amount) > total:
        raise ValueError(f"cannot split {amount} over {dict(remaining)}")
    exact = {rate: Fraction(cents) * weight / total for rate, weight in weights.items()}
    shares = {rate: int(part) for rate, part in exact.items()}  # floor: parts are positive
    left = cents - sum(shares.values())
    for rate in sorted(exact, key=lambda r: (exact[r] - shares[r], r), reverse=True)[:left]:
        shares[rate] += 1
    return {rate: Decimal(share) * CENT for rate, share in sorted(shares.items()) if share}


@dataclass(frozen=True)
class ClaimView:
    claim: Claim
    invoice: Invoice
    vat_subtotals: tuple[billing.VatSubtotal, ...]
    credit_notes: list[Invoice]
    creditable: Decimal
    other_claims: list[Claim]


def view(actor: Actor, claim: Claim) -> ClaimView:
    """The claim with its invoice for the staff; the look is on the audit trail."""
    _staff(actor)
    invoice = claim.invoice
    subtotals = billing.invoice_totals(
        [billing.InvoiceLine(line.kind.value, line.quantity, line.unit, line.unit_price,
                             line.vat_rate) for line in invoice.lines], ZERO).vat_subtotals
    record("view_invoice_claim", "invoice_claim", claim.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING),
           subject_person_id=_subject(claim), purpose=purpose_text(INVOICE_CLAIM, None))
    db.session.flush()
    return ClaimView(claim, invoice, subtotals, credit_notes_of(invoice), creditable(invoice),
                     [other for other in claims_of(invoice) if other.id != claim.id])


def _answer_text(answer: str) -> str:
    answer = clean_text(answer)
    if not answer:
        raise ClaimRefusal(_("Write the answer to the customer."), ["answer"])
    if len(answer) > TEXT_MAX:
        raise ClaimRefusal(_("Use at most %(count)s characters.", count=TEXT_MAX), ["answer"])
    return answer


def _close(actor: Actor, claim: Claim, status: ClaimStatus, answer: str) -> None:
    """Mark the open claim answered, unless someone answered it meanwhile."""
    answered = db.session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.status == ClaimStatus.OPEN)
        .values(status=status, answer=answer, answered_by_id=actor.person_id,
                answered_at=utcnow())
        .execution_options(synchronize_session=False))
    if answered.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimRefusal(_("This claim has already been answered."))
    db.session.refresh(claim)


def _still_open(claim: Claim) -> None:
    if claim.status is not ClaimStatus.OPEN:
        raise ClaimRefusal(_("This claim has already been answered."))


def reject(actor: Actor, claim: Claim, answer: str) -> None:
    _staff(actor)
    _still_open(claim)
    answer = _answer_text(answer)
    _close(actor, claim, ClaimStatus.REJECTED, answer)
    record("reject_invoice_claim", "invoice_claim", claim.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING),
           subject_person_id=_subject(claim),
           before={"status": ClaimStatus.OPEN}, after={"status": claim.status,
                                                        "answer": answer})
    db.session.flush()
    _notify(claim)


def parse_amount(text: str) -> Decimal:
    """A sum in euros as typed: a decimal comma or point, at most two decimals, spaces
    between thousands allowed. ``ClaimRefusal`` with a message to show."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
    if cleaned.startswith("-"):
        raise ClaimRefusal(_("The amount to credit is more than zero."), ["amount"])
    match = re.fullmatch(r"([0-9]+)(?:[.,]([0-9]+))?", cleaned)
    if match is None:
        raise ClaimRefusal(_("Enter the amount in euros, for example 12,50."), ["amount"])
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > 2:
        raise ClaimRefusal(_("Use at most two decimal places."), ["amount"])
    if len(whole.lstrip("0")) > AMOUNT_WHOLE_DIGITS:
        raise ClaimRefusal(_("This amount is too large."), ["amount"])
    return Decimal(f"{whole}.{fraction or '0'}").quantize(CENT)


def accept(actor: Actor, claim: Claim, answer: str, amount: Decimal | None,
           today: dt.date, utility: Utility) -> Invoice:
    """Accept the claim and credit ``amount`` EUR net (None: everything still
    creditable) with a credit note issued on ``today``; returns the note."""
    _staff(actor)
    _still_open(claim)
    answer = _answer_text(answer)
    invoice = claim.invoice
    if not invoice.is_issued:
        raise ClaimRefusal(_("The invoice has been cancelled: there is nothing to credit."))
    most = creditable(invoice)
    if most <= 0:
        raise ClaimRefusal(_("Nothing of this invoice is left to credit."), ["amount"])
    if amount is None:
        amount = most
    if amount <= 0:
        raise ClaimRefusal(_("The amount to credit is more than zero."), ["amount"])
    if amount > most:
        raise ClaimRefusal(_("At most %(most)s EUR can still be credited (the invoice's net "
                             "less its earlier credit notes).", most=format_money(most)),
                           ["amount"])
    full = amount == most
    _close(actor, claim, ClaimStatus.ACCEPTED, answer)
    note = _credit_note(invoice, split_credit(amount, creditable_by_rate(invoice)))
    invoices.issue(note, issued_on=today, actor_id=actor.person_id, utility=utility)
    before = {"status": invoice.status, "paid_amount": invoice.paid_amount,
              "interest_waived": invoice.interest_waived}
    # The note settles the invoice: its open sum first, the rest is the customer's.
    credit = -note.gross
    left = invoices.receive(invoice, credit, today)
    if left > 0:
        invoices.book_prepayment(invoice.customer_id, PrepaymentKind.CREDIT_NOTE, left,
                                 invoice_id=note.id)
    note.status = InvoiceStatus.PAID  # used up at once: never open
    note.paid_on = today
    if full:
        # Taken back in full (what was paid on it is now the customer's prepayment): a
        # corrected invoice may be billed for its month (uq_invoice_contract_period
        # leaves out cancelled ones).
        invoice.status = InvoiceStatus.CANCELLED
    # KEE §41(3): no late interest where the invoice was wrong.
    invoice.interest_waived = True
    invoice.interest_waived_reason = (
        f"KEE §41(3): claim {claim.id} accepted, credit note {note.number}")[:500]
    claim.credit_amount = amount
    claim.credit_note_id = note.id
    db.session.flush()
    record("accept_invoice_claim", "invoice_claim", claim.id,
           acting_as=acting_role(actor, Action.STAFF_BILLING),
           subject_person_id=_subject(claim),
           before={"status": ClaimStatus.OPEN, "invoice": before},
           after={"status": claim.status, "answer": answer, "credit_net": amount,
                  "credit_note": note.number, "credit_gross": note.gross,
                  "prepayment": left,
                  "invoice": {"status": invoice.status, "paid_amount": invoice.paid_amount,
                              "interest_waived": True}})
    db.session.flush()
    _notify(claim)
    return note


def _credit_note(invoice: Invoice, shares: Mapping[Decimal, Decimal]) -> Invoice:
    """A draft credit note of ``invoice``: one negative line per VAT rate."""
    lines = [billing.InvoiceLine(LineKind.CREDIT.value, Decimal(1), CREDIT_UNIT, -share, rate)
             for rate, share in shares.items()]
    totals = billing.invoice_totals(lines, ZERO)
    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE, customer_id=invoice.customer_id,
        contract_id=invoice.contract_id, credit_note_of_id=invoice.id,
        period_start=invoice.period_start, period_end=invoice.period_end,
        status=InvoiceStatus.DRAFT, language=invoice.language,
        net=totals.net, vat=totals.vat, gross=totals.gross,
        prepayment_applied=totals.prepayment_applied, payable=totals.payable,
        lines=[InvoiceLine(position=position, kind=LineKind.CREDIT,
                           first_day=invoice.period_start, last_day=invoice.period_end,
                           quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                           vat_rate=line.vat_rate, net=line.net)
               for position, line in enumerate(lines, start=1)])
    db.session.add(note)
    db.session.flush()
    return note


# --------------------------------------------------------------------------- telling the customer


def _locale(customer: Customer) -> str:
    return customer.locale if customer.locale in ("et", "en", "ru") else "et"


def _addresses(claim: Claim) -> list[tuple[str, Person | None]]:
    """The customer's address and the claimant's, once each."""
    customer = claim.customer
    found: list[tuple[str, Person | None]] = []
    for email, person in ((customer.email or (customer.person.email if customer.person
                                               else None), customer.person),
                          (claim.made_by.email, claim.made_by)):
        address = (email or "").strip()
        if address and address.lower() not in {known.lower() for known, _p in found}:
            found.append((address, person))
    return found


def _invoice_url(invoice: Invoice) -> str:
    """The invoice's page in the portal (its claims are shown there)."""
    if "invoices.detail" in current_app.view_functions:
        return url_for("invoices.detail", invoice_id=invoice.id, _external=True)
    return url_for("claims.new", invoice_id=invoice.id, _external=True)  # pragma: no cover


def _notify(claim: Claim) -> None:
    """Tell the customer (and the claimant) the answer, in the customer's language."""
    invoice = claim.invoice
    with force_locale(_locale(claim.customer)):
        subject = _("Your claim about invoice %(number)s: %(status)s",
                    number=invoice.number, status=STATUS_NAMES[claim.status])
        lines = [_("Your claim of %(day)s about invoice %(number)s was %(status)s.",
                   day=f"{claim.received_on:%d.%m.%Y}", number=invoice.number,
                   status=STATUS_NAMES[claim.status]), "", claim.answer or ""]
        note = claim.credit_note
        if note is not None:
            lines += ["", _("Credit note %(number)s credits %(net)s EUR and VAT, %(gross)s EUR "
                            "in all: it pays what is still open on the invoice, and the rest "
                            "is your prepayment for the next invoices.",
                            number=note.number, net=format_money(claim.credit_amount or ZERO),
                            gross=format_money(-note.gross))]
        lines += ["", _("See the invoice: %(url)s", url=_invoice_url(invoice))]
    for address, person in _addresses(claim):
        notify(address, subject, "\n".join(lines), person=person,
               about=("invoice_claim", claim.id))
