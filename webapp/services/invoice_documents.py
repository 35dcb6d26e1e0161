"""An invoice as documents (issue 11; EN 16931, KEE §41-§43): the Cross Industry
Invoice XML, the Factur-X PDF that carries it, and what both show of the stored
invoice.

- ``invoice_xml`` writes the stored Invoice and its lines as UN/CEFACT CII at the
  EN 16931 profile (``urn:cen.eu:en16931:2017``), the XML of a Factur-X invoice and
  of an e-invoice; the factur-x library checks it against the profile's XSD. The
  totals and the VAT breakdown are computed again from the lines with the billing
  rules (``domain.billing.invoice_totals``) and must equal the stored ones: a
  document that would contradict its invoice is refused, never written.
- ``invoice_pdf`` renders ``pdf/templates/invoice.html`` in the invoice's language
  through the one PDF pipeline (PDF/A-3b) and embeds the XML in it (Factur-X,
  EN 16931 level).
- ``stored_invoice_pdf``: an issued invoice's PDF is rendered once, on the first
  download, and kept under its SHA-256 (``services/uploads``), so the document a
  customer received never changes; a draft has none.
- ``line_groups``, ``line_name``, ``prepayment_sources``: what the pages and the PDF
  show, one place for both.

Every text goes through ``gettext``; the caller chooses the language (the PDF and
the XML in the invoice's, the pages in the reader's).
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET  # builds XML only; nothing is parsed here
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from pdf.render import render_pdf
from webapp.billing_texts import USE_SOURCE_NAMES
from webapp.domain import billing as rules
from webapp.domain.deadlines import percentage
from webapp.extensions import db
from webapp.i18n import format_day, format_money, format_volume
from webapp.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Meter,
    MeterKind,
    Payment,
    Prepayment,
    PrepaymentKind,
    Site,
    StoredFile,
    UseSource,
    Utility,
)
from webapp.services import uploads

GUIDELINE = "urn:cen.eu:en16931:2017"  # EN 16931 (BT-24): the Factur-X EN16931 profile
FLAVOR, LEVEL = "factur-x", "en16931"
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"  # UNTDID 1001 (BT-3)
CURRENCY = "EUR"
COUNTRY = "EE"
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461 (BT-81)
# ISO/IEC 6523 ICD of the Estonian commercial register's codes (BT-30, BT-47).
ESTONIAN_REGISTRY_SCHEME = "0191"
VAT_SCHEME = "VA"  # BT-31: the seller's VAT identifier
STANDARD_RATE, EXEMPT = "S", "E"  # UNCL 5305 (BT-151, BT-118)
XML_FILE_NAME = "factur-x.xml"
CENT = Decimal("0.01")
PDF_MAX_BYTES = 50 * uploads.MEGABYTE

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

# The sources of a line's quantity that are not two real readings: marked on the
# invoice, each with the rule it follows.
MARKED_SOURCES = frozenset(
    {UseSource.ESTIMATED, UseSource.INTERPOLATED, UseSource.FAILED_METER, UseSource.RESIDENTS})


class InvoiceDocumentError(ValueError):
    """The stored invoice cannot be written as a document (its totals contradict its
    lines, or it has no lines); a fault in the data, for staff to look at."""


# --------------------------------------------------------------------------- texts


def unit_label(unit: str) -> str:
    """The unit (UN/ECE rec. 20) as the reader says it."""
    labels = {"MTQ": "m³", "MON": _("month"), "DAY": _("day"), "C62": ""}
    return labels.get(unit, unit)


def line_name(line: InvoiceLine) -> str:
    """What the line charges for (BT-153), in the current language."""
    kind = line.kind
    if kind is LineKind.WATER:
        return _("Water")
    if kind is LineKind.SEWER:
        if line.quantity < 0 and line.meter is not None \
                and line.meter.kind is MeterKind.GARDEN_SUB_METER:
            return _("Wastewater: water of the garden sub-meter that did not reach the sewer "
                     "(KEE §40(1))")
        if line.variant:
            return _("Wastewater, pollution group %(group)s (KEE §4(3), §22(1))",
                     group=line.variant)
        return _("Wastewater")
    if kind is LineKind.FIXED_FEE:
        if line.variant:
            return _("Fixed monthly fee, meter size %(size)s", size=line.variant)
        return _("Fixed monthly fee")
    if kind is LineKind.LATE_INTEREST:
        number = line.source_invoice.number if line.source_invoice is not None else ""
        return _("Late interest on invoice %(number)s (KEE §41(3))", number=number)
    if kind is LineKind.CLOSURE_FEE:
        return _("Closing the supply at the customer's request (KEE §6(2))")
    if kind is LineKind.REOPENING_FEE:
        return _("Reopening the supply (KEE §6(2))")
    return _("Credit")


def source_note(source: UseSource | None) -> str:
    """Where the quantity came from, with the rule: estimates are said to be so (the
    words the staff's pages use too)."""
    return str(USE_SOURCE_NAMES[source]) if source is not None else ""


def source_marker(source: UseSource | None) -> str:
    """A short word for the quantity's source where it is not two real readings."""
    if source is UseSource.INTERPOLATED:
        return _("interpolated")
    if source in MARKED_SOURCES:
        return _("estimate")
    return ""


def whole_m3_note(line: InvoiceLine) -> str:
    """KEE §41(1): how the measured use became whole m³ and what was carried."""
    if line.measured is None or line.carry_before is None or line.carry_after is None:
        return ""
    return _(
        "KEE §41(1): billed in whole m³: %(carried_in)s m³ carried from the last period and "
        "%(measured)s m³ used make %(total)s m³, of which %(billed)s m³ are billed and "
        "%(carried_out)s m³ are carried to the next period",
        carried_in=format_volume(line.carry_before), measured=format_volume(line.measured),
        total=format_volume(line.carry_before + line.measured),
        billed=format_volume(line.carry_before + line.measured - line.carry_after, 0),
        carried_out=format_volume(line.carry_after))


def line_note(line: InvoiceLine) -> str:
    """The line's details for the e-invoice (BT-127): meter, values, source, carry."""
    parts = []
    if line.meter is not None:
        parts.append(_("meter %(number)s", number=line.meter.number))
    if line.start_value is not None and line.end_value is not None:
        parts.append(_("from %(start)s to %(end)s m³", start=format_volume(line.start_value),
                       end=format_volume(line.end_value)))
    if line.source is not None and line.source is not UseSource.READINGS:
        parts.append(source_note(line.source))
    if line.kind is LineKind.WATER:
        parts.append(whole_m3_note(line))
    if line.kind is LineKind.LATE_INTEREST:
        parts.append(_("days %(first)s–%(last)s", first=format_day(line.first_day),
                       last=format_day(line.last_day)))
    return "; ".join(part for part in parts if part)


# --------------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class MeterRow:
    """A meter's use in the period as billed (KEE §41(1)): one row however many price
    periods its quantity was split into. ``meter`` None: no meter (KEE §42)."""

    meter: Meter | None
    source: UseSource | None
    start_value: Decimal | None
    end_value: Decimal | None
    measured: Decimal
    carry_before: Decimal | None
    carry_after: Decimal | None
    billed: Decimal
    garden: bool  # a garden sub-meter: water that did not reach the sewer (KEE §40(1))


@dataclass
class LineGroup:
    """The lines of one site (None: the contract's lines, e.g. late interest)."""

    site: Site | None
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def meter_rows(self) -> list[MeterRow]:
        rows: dict[tuple[object, ...], MeterRow] = {}
        for line in self.lines:
            garden = (line.kind is LineKind.SEWER and line.meter is not None
                      and line.meter.kind is MeterKind.GARDEN_SUB_METER)
            if line.measured is None or not (line.kind is LineKind.WATER or garden):
                continue
            key = (line.meter_id, line.source, line.start_value, line.end_value,
                   line.measured, line.carry_before, line.carry_after)
            if key in rows:
                continue
            billed = (line.carry_before + line.measured - line.carry_after
                      if line.carry_before is not None and line.carry_after is not None
                      else abs(line.quantity))
            rows[key] = MeterRow(line.meter, line.source, line.start_value, line.end_value,
                                 line.measured, line.carry_before, line.carry_after,
                                 billed, garden)
        return list(rows.values())

    @property
    def sources(self) -> list[UseSource]:
        """The marked sources of the group's quantities (estimates, interpolation)."""
        return sorted({line.source for line in self.lines if line.source in MARKED_SOURCES},
                      key=list(UseSource).index)


def line_groups(invoice: Invoice) -> list[LineGroup]:
    """The invoice's lines by site, in the order of their first line; the lines of no
    site (late interest, fees of the contract) last."""
    groups: dict[int | None, LineGroup] = {}
    for line in invoice.lines:
        group = groups.get(line.site_id)
        if group is None:
            group = groups[line.site_id] = LineGroup(line.site)
        group.lines.append(line)
    ordered = [group for key, group in groups.items() if key is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered


@dataclass(frozen=True)
class PrepaymentSource:
    """Where a part of the prepayment an invoice used came from."""

    kind: PrepaymentKind | None  # None: more was used than the ledger shows
    amount: Decimal
    label: str


def _source_label(entry: Prepayment | None) -> str:
    if entry is None:
        return _("prepayment")
    if entry.kind is PrepaymentKind.REBATE:
        if entry.rebate_credit is None:
            return _("garden-water rebate credit (ELVESO 3.4)")
        return _("garden-water rebate credit, season %(season)s (ELVESO 3.4)",
                 season=entry.rebate_credit.season)
    if entry.kind is PrepaymentKind.OVERPAYMENT:
        booked = entry.payment.booked_on if entry.payment is not None else None
        return _("overpayment received on %(day)s", day=format_day(booked))
    if entry.kind is PrepaymentKind.CREDIT_NOTE:
        number = entry.invoice.number if entry.invoice is not None else ""
        return _("credit note %(number)s", number=number or "")
    return _("prepayment")


@dataclass
class _Credit:
    entry: Prepayment
    left: Decimal


def prepayment_sources(invoice: Invoice) -> list[PrepaymentSource]:
    """What the prepayment applied to ``invoice`` was made of (a garden-water rebate
    credit, an overpayment, a credit note): the customer's prepayment ledger read
    first in, first out, each use taking from the oldest credit left."""
    if invoice.prepayment_applied <= 0:
        return []
    entries = db.session.scalars(
        select(Prepayment).where(Prepayment.customer_id == invoice.customer_id)
        .order_by(Prepayment.booked_at, Prepayment.id))
    credits: deque[_Credit] = deque()
    found: list[tuple[Prepayment | None, Decimal]] = []
    for entry in entries:
        if entry.amount > 0:
            credits.append(_Credit(entry, entry.amount))
            continue
        need, taken = -entry.amount, []
        while need > 0 and credits:
            credit = credits[0]
            used = min(need, credit.left)
            taken.append((credit.entry, used))
            need -= used
            credit.left -= used
            if not credit.left:
                credits.popleft()
        if entry.kind is PrepaymentKind.APPLIED and entry.invoice_id == invoice.id:
            found.extend(taken)
            if need > 0:  # more used than the ledger held: say so, unnamed
                found.append((None, need))
    merged: dict[int | None, tuple[Prepayment | None, Decimal]] = {}
    for source, amount in found:
        key = source.id if source is not None else None
        merged[key] = (source, merged.get(key, (source, Decimal(0)))[1] + amount)
    return [PrepaymentSource(source.kind if source else None, amount, _source_label(source))
            for source, amount in merged.values()]


def invoice_payments(invoice: Invoice) -> list[Payment]:
    """The bank payments matched to the invoice, oldest first."""
    return list(db.session.scalars(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.booked_on,
                                                                          Payment.id)))


def totals_of(invoice: Invoice) -> rules.Totals:
    """The invoice's totals computed again from its stored lines (EN 16931 BR-CO-10..17),
    checked against the stored ones: ``InvoiceDocumentError`` where they differ."""
    domain_lines = []
    for line in invoice.lines:
        domain_line = rules.InvoiceLine(line.kind.value, line.quantity, line.unit,
                                        line.unit_price, line.vat_rate)
        if domain_line.net != line.net:
            raise InvoiceDocumentError(
                f"invoice {invoice.id}, line {line.position}: net {line.net} is not "
                f"{line.quantity} x {line.unit_price} = {domain_line.net}")
        domain_lines.append(domain_line)
    if not domain_lines:
        raise InvoiceDocumentError(f"invoice {invoice.id} has no lines")
    totals = rules.invoice_totals(domain_lines, invoice.prepayment_applied)
    stored = (invoice.net, invoice.vat, invoice.gross, invoice.prepayment_applied,
              invoice.payable)
    computed = (totals.net, totals.vat, totals.gross, totals.prepayment_applied,
                totals.payable)
    if stored != computed:
        raise InvoiceDocumentError(
            f"invoice {invoice.id}: stored totals {stored} differ from the lines' {computed}")
    return totals


# --------------------------------------------------------------------------- the XML


def _utility(utility: Utility | None) -> Utility:
    found = utility or db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    if found is None:
        raise InvoiceDocumentError("no utility: nobody issues the invoice")
    return found


def _amount(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def _plain(value: Decimal) -> str:
    """A quantity, price or rate as written, without an exponent or trailing zeros
    beyond the first decimal place that matters (12.000 -> 12, 1.2500 -> 1.25)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class _Builder:
    """Elements in the CII namespaces, in the order the XSD wants them."""

    def __init__(self) -> None:
        self.root = ET.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice")

    @staticmethod
    def add(parent: ET.Element, tag: str, text: str | None = None,
            **attributes: str) -> ET.Element:
        prefix, name = tag.split(":")
        element = ET.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def date(self, parent: ET.Element, tag: str, day: dt.date, *,
             qualified: bool = False) -> None:
        holder = self.add(parent, tag)
        self.add(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString",
                 day.strftime("%Y%m%d"), format="102")

    def period(self, parent: ET.Element, first: dt.date, last: dt.date) -> None:
        period = self.add(parent, "ram:BillingSpecifiedPeriod")
        self.date(period, "ram:StartDateTime", first)
        self.date(period, "ram:EndDateTime", last)

    def tax(self, parent: ET.Element, rate: Decimal, *, basis: Decimal | None = None,
            calculated: Decimal | None = None) -> None:
        """A VAT category: standard rate S, or E for 0 % (late interest is no supply,
        outside the scope of VAT; EN 16931 BR-O-11 forbids mixing category O with
        others, so it is written as exempt with its reason, BR-E-10)."""
        tax = self.add(parent, "ram:ApplicableTradeTax")
        if calculated is not None:
            self.add(tax, "ram:CalculatedAmount", _amount(calculated))
        self.add(tax, "ram:TypeCode", "VAT")
        if rate == 0 and basis is not None:
            self.add(tax, "ram:ExemptionReason", _("Not subject to VAT"))
        if basis is not None:
            self.add(tax, "ram:BasisAmount", _amount(basis))
        self.add(tax, "ram:CategoryCode", STANDARD_RATE if rate > 0 else EXEMPT)
        self.add(tax, "ram:RateApplicablePercent", _plain(rate))


def _party(builder: _Builder, parent: ET.Element, tag: str, *, name: str,
           identifier: str | None = None, registry_code: str | None = None,
           address: str | None, vat_number: str | None = None) -> None:
    party = builder.add(parent, tag)
    if identifier:
        builder.add(party, "ram:ID", identifier)
    builder.add(party, "ram:Name", name)
    if registry_code:
        organisation = builder.add(party, "ram:SpecifiedLegalOrganization")
        builder.add(organisation, "ram:ID", registry_code, schemeID=ESTONIAN_REGISTRY_SCHEME)
    postal = builder.add(party, "ram:PostalTradeAddress")
    if address:
        builder.add(postal, "ram:LineOne", address)
    builder.add(postal, "ram:CountryID", COUNTRY)
    if vat_number:
        registration = builder.add(party, "ram:SpecifiedTaxRegistration")
        builder.add(registration, "ram:ID", vat_number, schemeID=VAT_SCHEME)


def document_number(invoice: Invoice) -> str:
    """The invoice's number; a draft has none yet and is named so."""
    return invoice.number or f"DRAFT-{invoice.id}"


def _sign(invoice: Invoice) -> int:
    """A credit note (381) states its sums as positive amounts; the portal stores them
    as negative (the customer is owed them)."""
    return -1 if invoice.kind is InvoiceKind.CREDIT_NOTE and invoice.gross < 0 else 1


def invoice_xml(invoice: Invoice, utility: Utility | None = None) -> bytes:
    """The invoice as CII XML at the EN 16931 profile (UTF-8), checked against the
    Factur-X EN16931 XSD; its texts in the invoice's language, whoever asks."""
    with force_locale(invoice_language(invoice)):
        return _invoice_xml(invoice, _utility(utility))


def _invoice_xml(invoice: Invoice, utility: Utility) -> bytes:
    import facturx  # the library loads its schemas: only when a document is made

    totals = totals_of(invoice)
    sign = _sign(invoice)
    issued_on = invoice.issued_on or invoice.computed_at.date()
    builder = _Builder()
    root = builder.root

    context = builder.add(root, "rsm:ExchangedDocumentContext")
    guideline = builder.add(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    builder.add(guideline, "ram:ID", GUIDELINE)

    document = builder.add(root, "rsm:ExchangedDocument")
    builder.add(document, "ram:ID", document_number(invoice))
    builder.add(document, "ram:TypeCode",
                CREDIT_NOTE_TYPE if invoice.kind is InvoiceKind.CREDIT_NOTE else INVOICE_TYPE)
    builder.date(document, "ram:IssueDateTime", issued_on)
    note = builder.add(document, "ram:IncludedNote")
    builder.add(note, "ram:Content", _dispute_text(invoice))

    transaction = builder.add(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(invoice.lines, start=1):
        _line(builder, transaction, index, line, sign)

    agreement = builder.add(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(builder, agreement, "ram:SellerTradeParty", name=utility.name,
           registry_code=utility.registry_code, address=utility.address,
           vat_number=utility.vat_number)
    customer = invoice.customer
    sites = invoice.contract.sites
    company = customer.company
    _party(builder, agreement, "ram:BuyerTradeParty", name=customer.name,
           identifier=None if company is not None else customer.code,
           registry_code=company.registry_code if company is not None else None,
           # The customer's address is not kept: the invoice goes to the supplied site.
           address=sites[0].address if sites else None)
    contract = builder.add(agreement, "ram:ContractReferencedDocument")
    builder.add(contract, "ram:IssuerAssignedID", invoice.contract.number)

    builder.add(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = builder.add(transaction, "ram:ApplicableHeaderTradeSettlement")
    if invoice.reference_number:
        builder.add(settlement, "ram:PaymentReference", invoice.reference_number)  # BT-83
    builder.add(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    if utility.iban:
        # BR-61: a credit transfer names the account; without an IBAN, no payment means.
        means = builder.add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        builder.add(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        account = builder.add(means, "ram:PayeePartyCreditorFinancialAccount")
        builder.add(account, "ram:IBANID", utility.iban.replace(" ", ""))
        if utility.bic:
            institution = builder.add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            builder.add(institution, "ram:BICID", utility.bic)
    for subtotal in totals.vat_subtotals:
        builder.tax(settlement, subtotal.rate, basis=sign * subtotal.taxable,
                    calculated=sign * subtotal.vat)
    builder.period(settlement, invoice.period_start, invoice.period_end)
    if invoice.due_date is not None:
        terms = builder.add(settlement, "ram:SpecifiedTradePaymentTerms")
        builder.date(terms, "ram:DueDateDateTime", invoice.due_date)

    summation = builder.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    builder.add(summation, "ram:LineTotalAmount", _amount(sign * totals.net))  # BR-CO-10
    builder.add(summation, "ram:TaxBasisTotalAmount", _amount(sign * totals.net))  # BR-CO-13
    builder.add(summation, "ram:TaxTotalAmount", _amount(sign * totals.vat),  # BR-CO-14
                currencyID=CURRENCY)
    builder.add(summation, "ram:GrandTotalAmount", _amount(sign * totals.gross))  # BR-CO-15
    if totals.prepayment_applied:
        builder.add(summation, "ram:TotalPrepaidAmount", _amount(totals.prepayment_applied))
    builder.add(summation, "ram:DuePayableAmount", _amount(sign * totals.payable))  # BR-CO-16

    original = invoice.credit_note_of
    if original is not None and original.number:
        referenced = builder.add(settlement, "ram:InvoiceReferencedDocument")  # BG-3
        builder.add(referenced, "ram:IssuerAssignedID", original.number)
        if original.issued_on is not None:
            builder.date(referenced, "ram:FormattedIssueDateTime", original.issued_on,
                         qualified=True)

    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    facturx.xml_check_xsd(data, flavor=FLAVOR, level=LEVEL)
    return data


def _line(builder: _Builder, parent: ET.Element, index: int, line: InvoiceLine,
          sign: int) -> None:
    item = builder.add(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = builder.add(item, "ram:AssociatedDocumentLineDocument")
    builder.add(document, "ram:LineID", str(index))
    text = line_note(line)
    if text:
        note = builder.add(document, "ram:IncludedNote")
        builder.add(note, "ram:Content", text)
    product = builder.add(item, "ram:SpecifiedTradeProduct")
    builder.add(product, "ram:Name", line_name(line))
    # BR-27: a price is never negative; a negative price is a negative quantity.
    quantity, price = sign * line.quantity, line.unit_price
    if price < 0:
        quantity, price = -quantity, -price
    agreement = builder.add(item, "ram:SpecifiedLineTradeAgreement")
    net_price = builder.add(agreement, "ram:NetPriceProductTradePrice")
    builder.add(net_price, "ram:ChargeAmount", _plain(price))
    delivery = builder.add(item, "ram:SpecifiedLineTradeDelivery")
    builder.add(delivery, "ram:BilledQuantity", _plain(quantity), unitCode=line.unit)
    settlement = builder.add(item, "ram:SpecifiedLineTradeSettlement")
    builder.tax(settlement, line.vat_rate)
    builder.period(settlement, line.first_day, line.last_day)
    summation = builder.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    builder.add(summation, "ram:LineTotalAmount", _amount(sign * line.net))


def _dispute_text(invoice: Invoice) -> str:
    return _("Period %(first)s–%(last)s. A claim about this invoice can be made within 10 "
             "working days of receiving it (KEE §43(1)).",
             first=format_day(invoice.period_start), last=format_day(invoice.period_end))


# --------------------------------------------------------------------------- the PDF


def invoice_language(invoice: Invoice) -> str:
    languages = current_app.config["LANGUAGES"]
    return invoice.language if invoice.language in languages else languages[0]


def invoice_pdf(invoice: Invoice, utility: Utility | None = None) -> bytes:
    """The invoice as a Factur-X PDF/A-3 (EN 16931 level) in its language: the
    rendered document with ``invoice_xml`` embedded and checked by the library."""
    import facturx

    utility = _utility(utility)
    lang = invoice_language(invoice)
    issued_on = invoice.issued_on or invoice.computed_at.date()
    with force_locale(lang):
        xml = invoice_xml(invoice, utility)
        totals = totals_of(invoice)
        credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
        title = (_("Credit note %(number)s", number=document_number(invoice)) if credit_note
                 else _("Invoice %(number)s", number=document_number(invoice)))
        rendered = render_pdf(
            "pdf/invoice.html", lang=lang, title=title,
            document_number=document_number(invoice),
            created=dt.datetime.combine(issued_on, dt.time(12), tzinfo=dt.UTC),
            utility_name=utility.name, utility=utility, invoice=invoice, totals=totals,
            groups=line_groups(invoice), sources=prepayment_sources(invoice),
            draft=invoice.status is InvoiceStatus.DRAFT, credit_note=credit_note,
            line_name=line_name, source_note=source_note, source_marker=source_marker,
            whole_m3_note=whole_m3_note, unit_label=unit_label, issued_on=issued_on,
            interest_cap=percentage("late_interest_cap", invoice.period_end),
            money=format_money, volume=format_volume, day=format_day)
        metadata = {"author": utility.name, "title": title, "subject": _dispute_text(invoice)}
    data: bytes = facturx.generate_from_binary(
        rendered, xml, flavor=FLAVOR, level=LEVEL, check_xsd=True, pdf_metadata=metadata,
        lang=lang)
    return _info_as_xmp(data)


def _info_as_xmp(pdf: bytes) -> bytes:
    """PDF/A (ISO 19005-3, 6.6.2.3): the document information dictionary agrees with
    the XMP metadata, which factur-x wrote anew: the producer is pypdf there, and it
    names no keywords."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    info = {key: value for key, value in (reader.metadata or {}).items()
            if key != "/Keywords"}
    info["/Producer"] = "pypdf"
    writer.metadata = None
    writer.add_metadata(info)
    writer.pdf_header = reader.pdf_header  # PDF 1.7, as PDF/A-3 is
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_file_name(invoice: Invoice) -> str:
    return f"{document_number(invoice)}.pdf"


def stored_invoice_pdf(invoice: Invoice) -> StoredFile:
    """The issued invoice's PDF: rendered and stored on the first call, the same file
    ever after (the document the customer received never changes). The invoice's row
    is locked first, so two first downloads at once store one file. Flushes; the
    caller commits."""
    if invoice.status is InvoiceStatus.DRAFT:
        raise InvoiceDocumentError("a draft has no document")
    db.session.refresh(invoice, with_for_update=True)
    if invoice.pdf_file is not None:
        return invoice.pdf_file
    data = invoice_pdf(invoice)
    checked = uploads.check_upload(io.BytesIO(data), pdf_file_name(invoice), PDF_MAX_BYTES,
                                   (uploads.PDF,))
    stored = uploads.store(checked, None)
    invoice.pdf_file = stored
    db.session.flush()
    return stored


def stored_invoice_xml(invoice: Invoice) -> bytes:
    """The XML embedded in the invoice's stored PDF: the same e-invoice every time."""
    import facturx

    stored = stored_invoice_pdf(invoice)
    _name, xml = facturx.get_facturx_xml_from_pdf(uploads.read(stored), check_xsd=False)
    if not xml:
        raise InvoiceDocumentError(f"invoice {invoice.id}: no XML in its stored PDF")
    return bytes(xml)
