"""The invoice as documents (issue 11): the EN 16931 CII XML checked against the
Factur-X XSD and the business rules' arithmetic, the Factur-X PDF/A-3 in the
customer's language, and the PDF kept once rendered."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import facturx
import pytest
from defusedxml import ElementTree
from flask import Flask
from flask_babel import force_locale
from pypdf import PdfReader

from tests.conftest import JAAN, MARI
from tests.invoice_factory import (
    contract_of,
    line,
    make_invoice,
    utility,
    water_lines,
)
from webapp.extensions import db
from webapp.i18n import format_money
from webapp.models import (
    Invoice,
    InvoiceKind,
    LineKind,
    Prepayment,
    PrepaymentKind,
    RebateCredit,
    StoredFile,
    UseSource,
)
from webapp.services import invoice_documents as documents
from webapp.services import uploads

NS = dict(documents.NS)
SUMMATION = ("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
             "ram:SpecifiedTradeSettlementHeaderMonetarySummation/")
KODU_HALDUS = "10123459"
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"


def amount(root: ElementTree.Element, path: str) -> Decimal:
    found = root.find(path, NS)
    assert found is not None, path
    return Decimal(found.text)


def business_rule_errors(xml: bytes) -> list[str]:
    """The EN 16931 rules on the invoice's sums (the schematron's arithmetic, which
    needs XSLT 2 and is not run here): BR-CO-10, 13, 14, 15, 16, 17 and BR-S-08."""
    root = ElementTree.fromstring(xml)
    errors = []
    line_nets: dict[Decimal, Decimal] = {}
    for item in root.findall("rsm:SupplyChainTradeTransaction/"
                             "ram:IncludedSupplyChainTradeLineItem", NS):
        rate = amount(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
                            "ram:RateApplicablePercent")
        net = amount(item, "ram:SpecifiedLineTradeSettlement/"
                           "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
        price = amount(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/"
                             "ram:ChargeAmount")
        quantity = amount(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
        if price < 0:
            errors.append("BR-27: a negative price")
        if (quantity * price).quantize(Decimal("0.01")) != net:
            errors.append(f"line net {net} is not {quantity} x {price}")
        line_nets[rate] = line_nets.get(rate, Decimal(0)) + net
    line_total = amount(root, SUMMATION + "ram:LineTotalAmount")
    basis = amount(root, SUMMATION + "ram:TaxBasisTotalAmount")
    tax = amount(root, SUMMATION + "ram:TaxTotalAmount")
    grand = amount(root, SUMMATION + "ram:GrandTotalAmount")
    prepaid_element = root.find(SUMMATION + "ram:TotalPrepaidAmount", NS)
    prepaid = Decimal(prepaid_element.text) if prepaid_element is not None else Decimal(0)
    due = amount(root, SUMMATION + "ram:DuePayableAmount")
    if line_total != sum(line_nets.values()):
        errors.append("BR-CO-10: the line total is not the sum of the lines")
    if basis != line_total:
        errors.append("BR-CO-13: the tax basis is not the line total")
    if grand != basis + tax:
        errors.append("BR-CO-15: the grand total is not the basis plus VAT")
    if due != grand - prepaid:
        errors.append("BR-CO-16: the sum due is not the grand total less the prepaid")
    breakdown = root.findall(SETTLEMENT + "ram:ApplicableTradeTax", NS)
    if sum(amount(tax_element, "ram:CalculatedAmount") for tax_element in breakdown) != tax:
        errors.append("BR-CO-14: the VAT total is not the sum of the categories")
    for tax_element in breakdown:
        rate = amount(tax_element, "ram:RateApplicablePercent")
        taxable = amount(tax_element, "ram:BasisAmount")
        if taxable != line_nets.get(rate):
            errors.append(f"BR-S-08: the taxable amount at {rate} % is not its lines' sum")
        expected = (taxable * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        if amount(tax_element, "ram:CalculatedAmount") != expected:
            errors.append(f"BR-CO-17: the VAT at {rate} % is not the basis x the rate")
    return errors


@pytest.fixture
def mari_invoice(demo: None) -> Invoice:
    """Mari's September: her meter (11 m³ billed, 0.523 carried), late interest on an
    earlier invoice, and her garden-water rebate credit applied as a prepayment."""
    contract = contract_of(MARI)
    site = contract.sites[0]
    earlier = make_invoice(contract, water_lines(site), period=(dt.date(2026, 8, 1),
                                                                dt.date(2026, 8, 31)),
                           issued_on=dt.date(2026, 9, 4))
    credit = db.session.query(RebateCredit).filter_by(customer_id=contract.customer_id).first()
    db.session.add(Prepayment(customer_id=contract.customer_id, kind=PrepaymentKind.REBATE,
                              amount=Decimal("5.00"),
                              rebate_credit_id=credit.id if credit else None))
    db.session.flush()
    invoice = make_invoice(contract, [
        *water_lines(site),
        line(LineKind.LATE_INTEREST, "1", "C62", "0.4200", Decimal(0),
             first_day=dt.date(2026, 9, 19), last_day=dt.date(2026, 9, 28),
             source_invoice_id=earlier.id),
    ], prepayment=Decimal("5.00"))
    db.session.commit()
    return invoice


def test_the_xml_is_valid_en16931_and_its_sums_add_up(app: Flask, mari_invoice: Invoice) -> None:
    xml = documents.invoice_xml(mari_invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert business_rule_errors(xml) == []
    root = ElementTree.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocumentContext/"
                         "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                         namespaces=NS) == "urn:cen.eu:en16931:2017"
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=NS) == mari_invoice.number
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"
    assert root.findtext(SETTLEMENT + "ram:PaymentReference", namespaces=NS) == \
        mari_invoice.reference_number
    assert root.findtext(SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
                         "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                         namespaces=NS) == utility().iban
    assert amount(root, SUMMATION + "ram:TotalPrepaidAmount") == Decimal("5.00")
    assert amount(root, SUMMATION + "ram:DuePayableAmount") == mari_invoice.payable
    assert amount(root, SUMMATION + "ram:TaxBasisTotalAmount") == mari_invoice.net
    assert amount(root, SUMMATION + "ram:TaxTotalAmount") == mari_invoice.vat
    units = [element.get("unitCode") for element in root.iter(f"{{{NS['ram']}}}BilledQuantity")]
    assert units == ["MTQ", "MTQ", "MON", "C62"]
    categories = [element.text for element in root.findall(
        SETTLEMENT + "ram:ApplicableTradeTax/ram:CategoryCode", NS)]
    assert categories == ["E", "S"]  # late interest is outside the scope of VAT
    buyer = root.find("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
                      "ram:BuyerTradeParty", NS)
    assert buyer.findtext("ram:ID", namespaces=NS) == MARI
    assert buyer.findtext("ram:Name", namespaces=NS) == "Mari Maasikas"


def test_a_company_buyer_has_its_registry_code_and_a_seller_without_bank_details_no_means(
        app: Flask, demo: None) -> None:
    contract = contract_of(KODU_HALDUS)
    the_utility = utility()
    the_utility.iban = the_utility.bic = the_utility.vat_number = the_utility.address = None
    invoice = make_invoice(contract, water_lines(contract.sites[0]))
    xml = documents.invoice_xml(invoice)
    root = ElementTree.fromstring(xml)
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    legal = root.find(agreement + "ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert legal.text == KODU_HALDUS
    assert legal.get("schemeID") == "0191"
    assert root.find(SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans", NS) is None
    assert root.find(agreement + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration", NS) is None
    assert business_rule_errors(xml) == []


def test_a_credit_note_is_381_with_positive_sums_and_names_the_invoice(
        app: Flask, demo: None) -> None:
    contract = contract_of(JAAN)
    original = make_invoice(contract, water_lines(contract.sites[0]))
    note = make_invoice(contract, [line(LineKind.CREDIT, "-1", "C62", "10.0000")],
                        kind=InvoiceKind.CREDIT_NOTE, credit_note_of=original)
    assert note.payable == Decimal("-12.40")
    xml = documents.invoice_xml(note)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert business_rule_errors(xml) == []
    root = ElementTree.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert amount(root, SUMMATION + "ram:DuePayableAmount") == Decimal("12.40")
    assert root.findtext(SETTLEMENT + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                         namespaces=NS) == original.number


def test_totals_that_contradict_the_lines_are_refused(app: Flask, demo: None) -> None:
    contract = contract_of(JAAN)
    invoice = make_invoice(contract, water_lines(contract.sites[0]))
    invoice.vat += Decimal("0.01")  # a VAT rounded line by line, say
    with pytest.raises(documents.InvoiceDocumentError, match="differ"):
        documents.invoice_xml(invoice)


def format_money_et(value: Decimal) -> str:
    with force_locale("et"):
        return format_money(value)


def pdftotext(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (Debian's poppler-utils) is needed"
    done = subprocess.run([tool, "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True)
    return done.stdout.decode()


def test_the_pdf_is_factur_x_with_the_xml_inside_in_estonian(app: Flask,
                                                              mari_invoice: Invoice) -> None:
    assert mari_invoice.language == "et"
    pdf = documents.invoice_pdf(mari_invoice)
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == documents.invoice_xml(mari_invoice)
    assert business_rule_errors(xml) == []
    document = PdfReader(io.BytesIO(pdf))
    metadata = document.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata or b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"ConformanceLevel>EN 16931<" in metadata
    assert document.trailer["/Root"]["/Lang"] == "et"
    assert document.pdf_header == "%PDF-1.7"
    # PDF/A: the document information agrees with the XMP metadata.
    info = document.metadata
    assert info is not None
    assert f"<pdf:Producer>{info['/Producer']}</pdf:Producer>".encode() in metadata
    assert f"<xmp:CreatorTool>{info['/Creator']}</xmp:CreatorTool>".encode() in metadata
    assert "/Keywords" not in info

    text = pdftotext(pdf)
    assert mari_invoice.number in text
    assert mari_invoice.reference_number in text
    assert "Mari Maasikas" in text
    assert "Klient" in text  # Estonian: "Customer"
    assert "Isikukood" in text
    assert "05.10.2026" in text  # dd.MM.yyyy
    assert "1 234,567" in text.replace("\u00a0", " ")  # the meter's start, Estonian style
    assert "0,523" in text  # carried on (KEE §41(1))
    assert "KEE §41(1)" in text
    assert "KEE §41(3)" in text and mari_invoice.lines[-1].source_invoice.number in text
    assert "KEE §43(1)" in text
    with force_locale("et"):
        assert format_money(mari_invoice.payable) in text  # decimal comma
    assert "," in format_money_et(mari_invoice.payable)
    assert utility().iban in text


def test_estimates_are_marked_with_their_rule(app: Flask, demo: None) -> None:
    contract = contract_of(JAAN)
    invoice = make_invoice(contract, water_lines(contract.sites[0], UseSource.FAILED_METER))
    invoice.language = "en"
    text = pdftotext(documents.invoice_pdf(invoice))
    assert "estimate" in text
    assert "KEE §38(1)" in text


def test_the_pdf_is_rendered_once_and_kept(app: Flask, mari_invoice: Invoice) -> None:
    files_before = db.session.query(StoredFile).count()
    first = documents.stored_invoice_pdf(mari_invoice)
    db.session.commit()
    stored_bytes = uploads.read(first)
    mari_invoice.customer.person.family_name = "Kask"  # the document does not change
    again = documents.stored_invoice_pdf(mari_invoice)
    assert again.id == first.id
    assert uploads.read(again) == stored_bytes
    assert db.session.query(StoredFile).count() == files_before + 1
    assert mari_invoice.pdf_file_id == first.id
    xml = documents.stored_invoice_xml(mari_invoice)
    assert b"Maasikas" in xml  # the XML inside the stored PDF, not made again


def test_a_draft_has_no_stored_document(app: Flask, demo: None) -> None:
    contract = contract_of(KODU_HALDUS)
    draft = make_invoice(contract, water_lines(contract.sites[0]), issued_on=None)
    with pytest.raises(documents.InvoiceDocumentError):
        documents.stored_invoice_pdf(draft)
