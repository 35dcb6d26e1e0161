"""Bank statements in camt.053 XML for the payments import (issue 11), no app, no database."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from webapp.domain.camt053 import (
    MAX_PROBLEMS,
    SUPPORTED_VERSIONS,
    CamtError,
    Entry,
    Statement,
    all_entries,
    parse_camt053,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "camt053"
SWEDBANK = FIXTURES / "swedbank_2026-12-02.xml"  # camt.053.001.02
LHV_V08 = FIXTURES / "lhv_2026-12-04_v08.xml"  # camt.053.001.08
UTC = dt.UTC
IBAN = "EE042200221099887766"  # the utility's account in the tests
FIRST_ENTRY = "entry 1 (AcctSvcrRef 2026120200001)"  # entry()'s place in the messages
OTHER_IBAN = "EE537700771004123456"


def parse_file(path: Path) -> tuple[Statement, ...]:
    return parse_camt053(path.read_bytes())


def only_statement(data: bytes) -> Statement:
    statements = parse_camt053(data)
    assert len(statements) == 1
    return statements[0]


def problems(data: bytes, **limits: int) -> list[str]:
    with pytest.raises(CamtError) as caught:
        parse_camt053(data, **limits)
    return caught.value.problems


def only_problem(data: bytes, **limits: int) -> str:
    found = problems(data, **limits)
    assert len(found) == 1, found
    return found[0]


# A small statement to vary: each test changes the part it is about.


def entry(
    *,
    ntry_ref: str | None = None,
    acct_svcr_ref: str | None = "2026120200001",
    amount: str | None = '<Amt Ccy="EUR">10.00</Amt>',
    indicator: str = "CRDT",
    reversal: str | None = None,
    status: str | None = "<Sts>BOOK</Sts>",
    booking: str | None = "<BookgDt><Dt>2026-12-02</Dt></BookgDt>",
    value: str | None = None,
    details: str = "",
) -> str:
    return "".join([
        "<Ntry>",
        f"<NtryRef>{ntry_ref}</NtryRef>" if ntry_ref is not None else "",
        amount or "",
        f"<CdtDbtInd>{indicator}</CdtDbtInd>" if indicator else "",
        f"<RvslInd>{reversal}</RvslInd>" if reversal is not None else "",
        status or "",
        booking or "",
        value or "",
        f"<AcctSvcrRef>{acct_svcr_ref}</AcctSvcrRef>" if acct_svcr_ref is not None else "",
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>",
        f"<NtryDtls>{details}</NtryDtls>" if details else "",
        "</Ntry>",
    ])


def statement(
    *entries: str,
    statement_id: str = "S-2026-12-02",
    iban: str = IBAN,
    account: str | None = None,
    currency: str | None = "<Ccy>EUR</Ccy>",
) -> str:
    account = account if account is not None else f"<Id><IBAN>{iban}</IBAN></Id>{currency or ''}"
    return (
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-12-03T06:00:00+02:00</CreDtTm>"
        f"<Acct>{account}</Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>"
        f"{''.join(entries)}</Stmt>"
    )


def document(*statements: str, version: str = "camt.053.001.02") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-03T06:00:00+02:00</CreDtTm></GrpHdr>"
        f"{''.join(statements)}</BkToCstmrStmt></Document>"
    ).encode()


def one_entry(**changes: str | None) -> bytes:
    return document(statement(entry(**changes)))  # type: ignore[arg-type]


def transaction(
    *,
    refs: str = "",
    amount: str = "",
    parties: str = "",
    remittance: str = "",
) -> str:
    return (
        f"<TxDtls>{f'<Refs>{refs}</Refs>' if refs else ''}{amount}"
        f"{f'<RltdPties>{parties}</RltdPties>' if parties else ''}"
        f"{f'<RmtInf>{remittance}</RmtInf>' if remittance else ''}</TxDtls>"
    )


# --------------------------------------------------------------------------- a real-life day


def test_a_swedbank_statement_in_camt_053_001_02_is_read_whole() -> None:
    (read,) = parse_file(SWEDBANK)
    assert read.statement_id == "EE042200221099887766-2026-12-02"
    assert read.account_iban == "EE042200221099887766"
    assert read.currency == "EUR"
    assert read.created_at == dt.datetime(2026, 12, 3, 4, 12, 40, tzinfo=UTC)
    assert read.skipped_pending == 1  # entry 6 is PDNG
    day = dt.date(2026, 12, 2)
    assert read.entries == (
        # 1. paid with the reference number (viitenumber)
        Entry(
            entry_reference="2026120201847301", booked_on=day, value_on=day,
            amount=Decimal("23.45"), currency="EUR", credit=True, reversal=False,
            reference_number="20261107010", description="Arve 2026-1107 november",
            debtor_name="MARI MAASIKAS", debtor_iban="EE641010220123456789",
            end_to_end_id="E2E-MM-20261202-01",
        ),
        # 2. only a description with the invoice number; the date from BookgDt/DtTm;
        #    NOTPROVIDED is no end-to-end id; the Ustrd lines joined with a space
        Entry(
            entry_reference="2026120201852266", booked_on=day, value_on=day,
            amount=Decimal("48.90"), currency="EUR", credit=True, reversal=False,
            reference_number=None,
            description="arve nr 2026-1108 vesi ja kanalisatsioon, Pargi 7",
            debtor_name="JAAN TAMM", debtor_iban="EE231700017001234567", end_to_end_id=None,
        ),
        # 3. a batch booking of two payments: one Entry each, "<entry reference>/<n>"
        Entry(
            entry_reference="2026120201860514/1", booked_on=day, value_on=day,
            amount=Decimal("112.80"), currency="EUR", credit=True, reversal=False,
            reference_number="20261107023", description="Lepiku 3 üldvesi",
            debtor_name="KODU HALDUS OÜ", debtor_iban="EE732200001120345678",
            end_to_end_id="KH-2026-12-0041",
        ),
        Entry(
            entry_reference="2026120201860514/2", booked_on=day, value_on=day,
            amount=Decimal("64.15"), currency="EUR", credit=True, reversal=False,
            reference_number="20261107036", description="Lepiku 5 üldvesi",
            debtor_name="KODU HALDUS OÜ", debtor_iban="EE732200001120345678",
            end_to_end_id="KH-2026-12-0042",
        ),
        # 4. a debit is returned too: the caller decides
        Entry(
            entry_reference="2026120201871190", booked_on=day, value_on=day,
            amount=Decimal("250.00"), currency="EUR", credit=False, reversal=False,
            reference_number=None, description="Arve PH-5531 pumba hooldus",
            debtor_name="SAARE VESI AS", debtor_iban="EE042200221099887766",
            end_to_end_id="SV-OUT-2041",
        ),
        # 5. a reversal
        Entry(
            entry_reference="2026120201879942", booked_on=day, value_on=dt.date(2026, 12, 1),
            amount=Decimal("15.00"), currency="EUR", credit=False, reversal=True,
            reference_number=None, description="Tagastus: vale saaja",
            debtor_name="PEETER PAJU", debtor_iban="EE797700771009876543",
            end_to_end_id="E2E-PP-20261201-07",
        ),
    )


def test_a_statement_in_camt_053_001_08_layout_is_read_whole() -> None:
    (read,) = parse_file(LHV_V08)
    assert read.statement_id == "LHV-ST-EE537700771004123456-20261204"
    assert read.account_iban == "EE537700771004123456"  # printed in groups in the file
    # The group header's time, without an offset: Tallinn time (UTC+2 in December).
    assert read.created_at == dt.datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
    assert read.skipped_pending == 1  # Sts/Cd PDNG
    day = dt.date(2026, 12, 4)
    assert read.entries == (
        # Sts/Cd, Dbtr/Pty/Nm, TxDtls/Amt; BookgDt/DtTm 2026-12-04T00:40:05+02:00 is
        # booked on the 4th as the bank writes it, though it is the 3rd in UTC.
        Entry(
            entry_reference="73F0C2A1D99E4B0C", booked_on=day, value_on=day,
            amount=Decimal("77.75"), currency="EUR", credit=True, reversal=False,
            reference_number="20261107052", description="Vesi ja kanal, aiavesi",
            debtor_name="Jaan Tamm", debtor_iban="EE982200221055566677",
            end_to_end_id="20261204-JT-77",
        ),
        Entry(
            entry_reference="73F0C2A1D99E4B11/1", booked_on=day, value_on=day,
            amount=Decimal("30.00"), currency="EUR", credit=True, reversal=False,
            reference_number="20261107081", description=None,
            debtor_name="Korteriühistu Lepiku 3", debtor_iban="EE641010220123456789",
            end_to_end_id="KU-LEPIKU3-1201",
        ),
        Entry(
            entry_reference="73F0C2A1D99E4B11/2", booked_on=day, value_on=day,
            amount=Decimal("12.50"), currency="EUR", credit=True, reversal=False,
            reference_number=None, description="Arve 2026-1190 viivis",
            debtor_name="Korteriühistu Lepiku 3", debtor_iban="EE641010220123456789",
            end_to_end_id="KU-LEPIKU3-1202",
        ),
        # A bank fee without transaction details.
        Entry(
            entry_reference="73F0C2A1D99E4B20", booked_on=day, value_on=None,
            amount=Decimal("2.50"), currency="EUR", credit=False, reversal=False,
            reference_number=None, description=None, debtor_name=None, debtor_iban=None,
            end_to_end_id=None,
        ),
    )


@pytest.mark.parametrize("path", [SWEDBANK, LHV_V08], ids=["v02", "v08"])
def test_the_same_file_parsed_twice_gives_equal_results(path: Path) -> None:
    assert parse_file(path) == parse_file(path)


@pytest.mark.parametrize("path", [SWEDBANK, LHV_V08], ids=["v02", "v08"])
def test_idempotency_keys_are_unique_and_stable(path: Path) -> None:
    first = [(s.account_iban, e.entry_reference) for s, e in all_entries(parse_file(path))]
    again = [(s.account_iban, e.entry_reference) for s, e in all_entries(parse_file(path))]
    assert first == again
    assert len(set(first)) == len(first)


def test_all_entries_pairs_each_entry_with_its_statement_in_the_files_order() -> None:
    statements = parse_file(SWEDBANK) + parse_file(LHV_V08)
    pairs = all_entries(statements)
    assert len(pairs) == 6 + 4
    assert [statement.account_iban for statement, _ in pairs] == [IBAN] * 6 + [OTHER_IBAN] * 4
    assert pairs[0][1].entry_reference == "2026120201847301"


# --------------------------------------------------------------------------- the versions


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize(
    ("status", "debtor"),
    [
        ("<Sts>BOOK</Sts>", "<Dbtr><Nm>Mari Maasikas</Nm></Dbtr>"),  # .02 to .06
        ("<Sts><Cd>BOOK</Cd></Sts>", "<Dbtr><Pty><Nm>Mari Maasikas</Nm></Pty></Dbtr>"),  # .07+
    ],
    ids=["code", "choice"],
)
def test_every_supported_version_is_read_with_either_shape_of_status_and_debtor(
    version: str, status: str, debtor: str
) -> None:
    details = transaction(
        refs="<EndToEndId>E1</EndToEndId>",
        parties=f"{debtor}<DbtrAcct><Id><IBAN>EE641010220123456789</IBAN></Id></DbtrAcct>",
        remittance="<Strd><CdtrRefInf><Ref>20261107010</Ref></CdtrRefInf></Strd>",
    )
    data = document(statement(entry(status=status, details=details)), version=version)
    (read,) = only_statement(data).entries
    assert (read.debtor_name, read.debtor_iban) == ("Mari Maasikas", "EE641010220123456789")
    assert (read.reference_number, read.end_to_end_id) == ("20261107010", "E1")


def test_the_older_creditor_reference_layout_is_read() -> None:
    details = transaction(
        remittance="<Strd><CdtrRefInf><CdtrRef>1232</CdtrRef></CdtrRefInf></Strd>"
    )
    (read,) = only_statement(one_entry(details=details)).entries
    assert read.reference_number == "1232"


def test_the_first_structured_reference_is_taken() -> None:
    details = transaction(remittance=(
        "<Strd><RfrdDocInf><Nb>2026-1107</Nb></RfrdDocInf></Strd>"
        "<Strd><CdtrRefInf><Ref>1232</Ref></CdtrRefInf></Strd>"
        "<Strd><CdtrRefInf><Ref>4561</Ref></CdtrRefInf></Strd>"
    ))
    (read,) = only_statement(one_entry(details=details)).entries
    assert read.reference_number == "1232"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("camt.053.001.03", "the file is a camt.053.001.03 statement; the versions read are"),
        ("camt.053.001.09", "the file is a camt.053.001.09 statement; the versions read are"),
        ("camt.054.001.02", "ISO 20022 camt.054.001.02 message, not a camt.053 bank statement"),
        ("pain.001.001.03", "ISO 20022 pain.001.001.03 message, not a camt.053 bank statement"),
    ],
)
def test_other_versions_and_messages_are_refused_by_name(version: str, message: str) -> None:
    assert message in only_problem(document(statement(entry()), version=version))


def test_a_root_without_a_namespace_is_refused() -> None:
    data = document(statement(entry())).replace(
        b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', b""
    )
    assert only_problem(data) == (
        "the file is not an ISO 20022 bank statement: its root element is <Document> without "
        'a namespace, where a camt.053 statement starts with <Document xmlns="urn:iso:std:'
        'iso:20022:tech:xsd:camt.053.001.02">'
    )


def test_a_root_in_another_namespace_is_refused() -> None:
    data = b'<Document xmlns="http://example.com/statements"><Stmt/></Document>'
    message = only_problem(data)
    assert "its root element <Document> is in the namespace 'http://example.com/statements'" in (
        message
    )


def test_a_wrong_root_element_is_refused() -> None:
    data = (
        b'<BkToCstmrStmt xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"</BkToCstmrStmt>"
    )
    assert only_problem(data) == (
        "the root element is <BkToCstmrStmt>, where a camt.053.001.02 statement has <Document>"
    )


def test_a_document_without_a_statement_is_refused() -> None:
    assert only_problem(document()) == "the camt.053 document has no statement (Stmt)"
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    assert only_problem(data) == (
        "the camt.053 document has no statement message (BkToCstmrStmt)"
    )


def test_a_namespace_prefix_a_byte_order_mark_and_another_encoding_are_read() -> None:
    text = document(statement(entry(details=transaction(
        parties="<Dbtr><Nm>Õie Šmidt-Müür</Nm></Dbtr>"
    )))).decode()
    prefixed = re.sub(r"<(/?)(?=[A-Z])", r"<\1camt:", text).replace("xmlns=", "xmlns:camt=")
    for data in [
        prefixed.encode(),
        b"\xef\xbb\xbf" + text.encode(),
        text.replace('encoding="UTF-8"', 'encoding="windows-1257"').encode("cp1257"),
    ]:
        (read,) = only_statement(data).entries
        assert read.debtor_name == "Õie Šmidt-Müür"


# --------------------------------------------------------------------------- not a statement


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"kuupaev;summa;selgitus\n02.12.2026;23,45;Arve 2026-1107\n",
        b"<Document><BkToCstmrStmt>",  # cut off
        b'<?xml version="1.0"?><Document><a></b></Document>',
    ],
    ids=["pdf", "csv", "truncated", "mismatched-tag"],
)
def test_a_file_that_is_not_xml_is_refused(data: bytes) -> None:
    assert only_problem(data).startswith("the file is not well-formed XML (")


@pytest.mark.parametrize("data", [b"", b"  \n\t"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    assert only_problem(data) == "the file is empty"


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    data = document(statement(entry()))
    message = only_problem(data + b" " * 2 * 1024 * 1024, max_bytes=2 * 1024 * 1024)
    assert message.startswith("the file has 2.0 MB, more than the 2.0 MB a bank statement")
    assert only_problem(b"\x00" * 101, max_bytes=100).startswith("the file has 0.0 MB")


def test_a_file_with_too_many_entries_is_refused_as_a_whole() -> None:
    data = document(statement(*(entry(acct_svcr_ref=f"R{n}") for n in range(4))))
    assert only_problem(data, max_entries=3) == (
        "the file has 4 entries, more than the 3 one import may have; download a shorter period"
    )
    assert len(only_statement(data).entries) == 4


# --------------------------------------------------------------------------- hostile XML


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></BkToCstmrStmt></Document>
"""


DTD_DECLARED = "the file has a document type declaration"
REFUSED_DTD = (
    "a bank statement has none, and none is read: no entity in it is expanded (an XML bomb) "
    "and no file or address it names is opened (an external entity): refused"
)


def test_an_entity_expansion_bomb_is_refused_not_expanded() -> None:
    started = time.monotonic()
    message = only_problem(BILLION_LAUGHS)
    assert time.monotonic() - started < 1  # a gigabyte of "lol" would take much longer
    assert message == f"{DTD_DECLARED} (<!DOCTYPE Document>); {REFUSED_DTD}"


def test_an_external_entity_is_refused_and_the_file_it_names_is_not_read(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("THE-SECRET-CONTENT")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>&xxe;</MsgId></GrpHdr></BkToCstmrStmt></Document>"
    ).encode()
    message = only_problem(data)
    assert message == f"{DTD_DECLARED} (<!DOCTYPE Document>); {REFUSED_DTD}"
    assert "THE-SECRET-CONTENT" not in message


def test_an_external_dtd_is_refused_and_not_fetched(tmp_path: Path) -> None:
    dtd = tmp_path / "camt.dtd"
    dtd.write_text('<!ENTITY payer "SHOULD-NOT-APPEAR">')
    data = (
        f'<?xml version="1.0"?><!DOCTYPE Document SYSTEM "{dtd.as_uri()}">'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>&payer;</MsgId></GrpHdr></BkToCstmrStmt></Document>"
    ).encode()
    assert only_problem(data) == (
        f'{DTD_DECLARED} (<!DOCTYPE Document SYSTEM "{dtd.as_uri()}">); {REFUSED_DTD}'
    )


def test_a_harmless_looking_dtd_is_refused_too() -> None:
    data = document(statement(entry())).replace(
        b"<Document", b"<!DOCTYPE Document [<!ELEMENT Document ANY>]><Document", 1
    )
    assert only_problem(data).startswith(DTD_DECLARED)


# --------------------------------------------------------------------------- entries


def test_a_problem_names_the_entry_by_its_position_and_bank_reference() -> None:
    data = document(statement(
        entry(acct_svcr_ref="R1"),
        entry(acct_svcr_ref="R2"),
        entry(acct_svcr_ref=None, ntry_ref="2026120200001", amount='<Amt Ccy="EUR">abc</Amt>'),
    ))
    assert only_problem(data) == "entry 3 (NtryRef 2026120200001): amount 'abc' is not a number"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (None, "the amount (Amt) is missing"),
        ('<Amt Ccy="EUR"> </Amt>', "the amount (Amt) is empty"),
        ('<Amt Ccy="EUR">12,50</Amt>', "amount '12,50' is not a number"),
        ('<Amt Ccy="EUR">1e3</Amt>', "amount '1e3' is not a number"),
        ('<Amt Ccy="EUR">NaN</Amt>', "amount 'NaN' is not a number"),
        (
            '<Amt Ccy="EUR">-12.50</Amt>',
            "amount -12.50 is negative; camt.053 amounts are never negative, the direction "
            "is CdtDbtInd",
        ),
        ('<Amt Ccy="EUR">1.123456</Amt>', "amount 1.123456 has more than 5 decimals"),
        (
            '<Amt Ccy="EUR">1234567890123456789</Amt>',
            "amount 1234567890123456789 has more than 18 digits",
        ),
        ("<Amt>12.50</Amt>", "the amount has no currency (attribute Ccy)"),
        (
            '<Amt Ccy="eur">12.50</Amt>',
            "the amount's currency 'eur' is not an ISO 4217 code of three capital letters "
            "such as EUR",
        ),
        (
            '<Amt Ccy="EURO">12.50</Amt>',
            "the amount's currency 'EURO' is not an ISO 4217 code of three capital letters "
            "such as EUR",
        ),
    ],
)
def test_a_bad_amount_is_refused_by_name(amount: str | None, message: str) -> None:
    assert only_problem(one_entry(amount=amount)) == f"{FIRST_ENTRY}: {message}"


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.5", "12.5"), ("+12.50", "12.50"), (".5", "0.5"), ("7.", "7"), ("0.00", "0.00"),
     ("1.000000", "1.000000"), ("-0.00", "0.00"), (" 3.10 ", "3.10")],
)
def test_amounts_in_every_decimal_form_of_the_schema_are_read(text: str, value: str) -> None:
    (read,) = only_statement(one_entry(amount=f'<Amt Ccy="EUR">{text}</Amt>')).entries
    assert read.amount == Decimal(value)
    assert str(read.amount) == value


@pytest.mark.parametrize(
    ("booking", "message"),
    [
        (None, "the booking date (BookgDt) is missing"),
        ("<BookgDt></BookgDt>", "the booking date (BookgDt) has neither Dt nor DtTm"),
        (
            "<BookgDt><Dt>02.12.2026</Dt></BookgDt>",
            "booking date (BookgDt/Dt) '02.12.2026' is not a date such as 2026-12-02",
        ),
        (
            "<BookgDt><Dt>2026-02-30</Dt></BookgDt>",
            "booking date (BookgDt/Dt) '2026-02-30' is not a date such as 2026-12-02",
        ),
        (
            "<BookgDt><DtTm>2026-12-02 10:15</DtTm></BookgDt>",
            "booking date (BookgDt/DtTm) '2026-12-02 10:15' is not a date and time such as "
            "2026-12-02T10:15:00+02:00",
        ),
        (
            "<BookgDt><DtTm>2026-12-02T25:00:00</DtTm></BookgDt>",
            "booking date (BookgDt/DtTm) '2026-12-02T25:00:00' is not a date and time such as "
            "2026-12-02T10:15:00+02:00",
        ),
    ],
)
def test_a_bad_booking_date_is_refused_by_name(booking: str | None, message: str) -> None:
    assert only_problem(one_entry(booking=booking)) == f"{FIRST_ENTRY}: {message}"


def test_a_bad_value_date_is_refused_and_a_missing_one_is_none() -> None:
    message = only_problem(one_entry(value="<ValDt><Dt>2026-12-32</Dt></ValDt>"))
    assert message == (
        "entry 1 (AcctSvcrRef 2026120200001): value date (ValDt/Dt) '2026-12-32' is not a date "
        "such as 2026-12-02"
    )
    (read,) = only_statement(one_entry(value=None)).entries
    assert read.value_on is None


@pytest.mark.parametrize(
    ("booking", "day"),
    [
        ("<Dt>2026-12-02+02:00</Dt>", dt.date(2026, 12, 2)),
        ("<DtTm>2026-12-02T23:59:59.123456789-05:00</DtTm>", dt.date(2026, 12, 2)),
        ("<DtTm>2026-12-02T00:00:00Z</DtTm>", dt.date(2026, 12, 2)),
        ("<DtTm>2026-12-02T10:15:00</DtTm>", dt.date(2026, 12, 2)),
    ],
)
def test_dates_are_taken_as_the_bank_writes_them(booking: str, day: dt.date) -> None:
    (read,) = only_statement(one_entry(booking=f"<BookgDt>{booking}</BookgDt>")).entries
    assert read.booked_on == day


@pytest.mark.parametrize(
    ("indicator", "reversal", "credit", "reversed_"),
    [
        ("CRDT", None, True, False),
        ("DBIT", None, False, False),
        ("DBIT", "true", False, True),
        ("CRDT", "1", True, True),
        ("CRDT", "false", True, False),
        ("CRDT", "0", True, False),
    ],
)
def test_credit_and_reversal_are_read(
    indicator: str, reversal: str | None, credit: bool, reversed_: bool
) -> None:
    (read,) = only_statement(one_entry(indicator=indicator, reversal=reversal)).entries
    assert (read.credit, read.reversal) == (credit, reversed_)


def test_bad_indicators_are_refused_by_name() -> None:
    assert problems(document(statement(
        entry(acct_svcr_ref="R1", indicator="CREDIT"),
        entry(acct_svcr_ref="R2", indicator=""),
        entry(acct_svcr_ref="R3", reversal="yes"),
    ))) == [
        "entry 1 (AcctSvcrRef R1): credit or debit indicator (CdtDbtInd) 'CREDIT' is neither "
        "CRDT nor DBIT",
        "entry 2 (AcctSvcrRef R2): the credit or debit indicator (CdtDbtInd) is missing",
        "entry 3 (AcctSvcrRef R3): reversal indicator (RvslInd) 'yes' is neither true nor false",
    ]


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    "status",
    ["<Sts>PDNG</Sts>", "<Sts><Cd>PDNG</Cd></Sts>", "<Sts>INFO</Sts>", "<Sts><Cd>FUTR</Cd></Sts>"],
)
def test_entries_not_booked_are_skipped_and_counted_unchecked(status: str) -> None:
    data = document(statement(
        entry(acct_svcr_ref="R1"),
        # Not booked: not checked either, so its faults do not refuse the file.
        entry(acct_svcr_ref=None, status=status, amount=None, booking=None),
    ))
    read = only_statement(data)
    assert [e.entry_reference for e in read.entries] == ["R1"]
    assert read.skipped_pending == 1


def test_an_unknown_or_missing_status_is_refused_by_name() -> None:
    assert problems(document(statement(
        entry(acct_svcr_ref="R1", status="<Sts>BOOKED</Sts>"),
        entry(acct_svcr_ref="R2", status="<Sts><Prtry>X</Prtry></Sts>"),
        entry(acct_svcr_ref="R3", status=None),
    ))) == [
        "entry 1 (AcctSvcrRef R1): status 'BOOKED' is not BOOK, PDNG, INFO or FUTR",
        "entry 2 (AcctSvcrRef R2): status 'X' is not BOOK, PDNG, INFO or FUTR",
        "entry 3 (AcctSvcrRef R3): the status (Sts) is missing",
    ]


# --------------------------------------------------------------------------- references


def test_the_entry_reference_prefers_acct_svcr_ref_then_ntry_ref_then_the_transactions() -> None:
    own = transaction(refs="<AcctSvcrRef>TX-9</AcctSvcrRef>")
    read = only_statement(document(statement(
        entry(acct_svcr_ref="A-1", ntry_ref="1", details=own),
        entry(acct_svcr_ref=None, ntry_ref="N-2", details=own.replace("TX-9", "TX-8")),
        entry(acct_svcr_ref=None, ntry_ref=None, details=own.replace("TX-9", "TX-7")),
    )))
    assert [e.entry_reference for e in read.entries] == ["A-1", "N-2", "TX-7"]


def test_an_entry_without_any_bank_reference_is_refused() -> None:
    message = only_problem(one_entry(acct_svcr_ref=None, details=transaction(
        refs="<EndToEndId>E1</EndToEndId>"
    )))
    assert message == (
        "entry 1: the entry has no bank reference (AcctSvcrRef or NtryRef), so importing it "
        "twice could not be told from two payments"
    )


def test_the_end_to_end_id_not_provided_is_none_in_any_case() -> None:
    details = transaction(refs="<EndToEndId>NotProvided</EndToEndId>")
    (read,) = only_statement(one_entry(details=details)).entries
    assert read.end_to_end_id is None


def test_the_same_bank_reference_twice_on_one_account_is_refused() -> None:
    data = document(
        statement(entry(acct_svcr_ref="R1"), entry(acct_svcr_ref="R2"), statement_id="A"),
        statement(entry(acct_svcr_ref="R2"), statement_id="B"),
    )
    assert only_problem(data) == (
        "statement 2 (Id B), entry 1 (AcctSvcrRef R2): bank reference 'R2' is also that of "
        "statement 1 (Id A), entry 2 (AcctSvcrRef R2); each booking of an account has its own "
        "reference, so the file cannot be imported safely"
    )


def test_the_same_bank_reference_on_two_accounts_is_two_bookings() -> None:
    data = document(
        statement(entry(acct_svcr_ref="R1"), statement_id="A"),
        statement(entry(acct_svcr_ref="R1"), statement_id="B", iban=OTHER_IBAN),
    )
    first, second = parse_camt053(data)
    assert (first.account_iban, second.account_iban) == (IBAN, OTHER_IBAN)
    assert first.entries[0].entry_reference == second.entries[0].entry_reference == "R1"


# --------------------------------------------------------------------------- batch bookings


def batch(*transactions: str, amount: str = "30.00", **changes: str | None) -> bytes:
    return one_entry(
        amount=f'<Amt Ccy="EUR">{amount}</Amt>',
        details="<Btch><NbOfTxs>2</NbOfTxs></Btch>" + "".join(transactions),
        **changes,
    )


def test_a_batch_booking_gives_one_entry_per_transaction_with_derived_references() -> None:
    data = batch(
        transaction(amount='<Amt Ccy="EUR">20.00</Amt>', remittance="<Ustrd>Arve 1</Ustrd>"),
        transaction(amount='<Amt Ccy="EUR">10.00</Amt>', remittance="<Ustrd>Arve 2</Ustrd>"),
        acct_svcr_ref="B-77",
    )
    first, second = only_statement(data).entries
    assert (first.entry_reference, first.amount, first.description) == (
        "B-77/1", Decimal("20.00"), "Arve 1"
    )
    assert (second.entry_reference, second.amount, second.description) == (
        "B-77/2", Decimal("10.00"), "Arve 2"
    )
    assert first.booked_on == second.booked_on == dt.date(2026, 12, 2)


def test_a_batch_without_an_entry_reference_uses_each_transactions_own() -> None:
    data = batch(
        transaction(refs="<AcctSvcrRef>T1</AcctSvcrRef>", amount='<Amt Ccy="EUR">20.00</Amt>'),
        transaction(refs="<AcctSvcrRef>T2</AcctSvcrRef>", amount='<Amt Ccy="EUR">10.00</Amt>'),
        acct_svcr_ref=None,
    )
    assert [e.entry_reference for e in only_statement(data).entries] == ["T1", "T2"]
    no_references = batch(
        transaction(amount='<Amt Ccy="EUR">20.00</Amt>'),
        transaction(refs="<AcctSvcrRef>T2</AcctSvcrRef>", amount='<Amt Ccy="EUR">10.00</Amt>'),
        acct_svcr_ref=None,
    )
    assert only_problem(no_references) == (
        "entry 1, transaction 1: neither the entry (AcctSvcrRef, NtryRef) nor the transaction "
        "(Refs/AcctSvcrRef) has a bank reference, so importing it twice could not be told from "
        "two payments"
    )


def test_a_batch_reads_the_transaction_amount_of_camt_053_001_02() -> None:
    data = batch(
        transaction(amount=(
            '<AmtDtls><InstdAmt><Amt Ccy="EUR">99.00</Amt></InstdAmt>'
            '<TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls>'
        )),
        transaction(amount='<AmtDtls><InstdAmt><Amt Ccy="EUR">10.00</Amt></InstdAmt></AmtDtls>'),
    )
    assert [e.amount for e in only_statement(data).entries] == [Decimal("20.00"), Decimal("10.00")]


def test_a_batch_whose_transactions_do_not_add_up_is_refused() -> None:
    data = batch(
        transaction(amount='<Amt Ccy="EUR">20.00</Amt>'),
        transaction(amount='<Amt Ccy="EUR">9.99</Amt>'),
    )
    assert only_problem(data) == (
        "entry 1 (AcctSvcrRef 2026120200001): its 2 transactions add up to 29.99 EUR, the entry "
        "is 30.00 EUR"
    )


def test_a_batch_with_a_debit_transaction_adds_it_with_its_sign() -> None:
    data = batch(
        transaction(amount='<Amt Ccy="EUR">35.00</Amt>'),
        transaction(amount='<Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'),
    )
    first, second = only_statement(data).entries
    assert (first.credit, second.credit) == (True, False)


def test_a_batch_in_another_currency_is_not_added_up() -> None:
    data = batch(
        transaction(amount='<Amt Ccy="USD">21.00</Amt>'),
        transaction(amount='<Amt Ccy="USD">11.00</Amt>'),
    )
    assert [(e.amount, e.currency) for e in only_statement(data).entries] == [
        (Decimal("21.00"), "USD"), (Decimal("11.00"), "USD")
    ]


def test_a_batch_transaction_without_an_amount_is_refused_by_name() -> None:
    data = batch(transaction(amount='<Amt Ccy="EUR">30.00</Amt>'), transaction())
    assert only_problem(data) == (
        "entry 1 (AcctSvcrRef 2026120200001), transaction 2: the transaction's amount (Amt, or "
        "AmtDtls/TxAmt/Amt) is missing"
    )


# --------------------------------------------------------------------------- statements


def test_several_statements_are_returned_in_the_files_order() -> None:
    data = document(
        statement(entry(acct_svcr_ref="R1"), statement_id="EUR-1"),
        statement(
            entry(acct_svcr_ref="R9", amount='<Amt Ccy="USD">5.00</Amt>'),
            statement_id="USD-1", iban=OTHER_IBAN, currency="<Ccy>USD</Ccy>",
        ),
    )
    eur, usd = parse_camt053(data)
    assert (eur.statement_id, eur.currency, [e.entry_reference for e in eur.entries]) == (
        "EUR-1", "EUR", ["R1"]
    )
    assert (usd.statement_id, usd.currency, usd.entries[0].currency) == ("USD-1", "USD", "USD")


def test_problems_in_a_file_of_several_statements_name_the_statement() -> None:
    data = document(
        statement(entry(acct_svcr_ref="R1"), statement_id="A"),
        statement(entry(acct_svcr_ref="R2", amount=None), statement_id="B", iban=OTHER_IBAN),
    )
    assert only_problem(data) == (
        "statement 2 (Id B), entry 1 (AcctSvcrRef R2): the amount (Amt) is missing"
    )


def test_a_statement_without_an_account_currency_takes_the_balances() -> None:
    assert only_statement(document(statement(entry(), currency=None))).currency == "EUR"


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("<Ccy>EUR</Ccy>", "the account's IBAN (Acct/Id/IBAN) is missing"),
        (
            "<Id><Othr><Id>221099887766</Id></Othr></Id>",
            "the account '221099887766' is not given as an IBAN (Acct/Id/IBAN)",
        ),
        (
            "<Id><IBAN>EE052200221099887766</IBAN></Id>",
            "the account's IBAN 'EE052200221099887766' is not a valid IBAN",
        ),
        (
            f"<Id><IBAN>{IBAN}</IBAN></Id><Ccy>Euro</Ccy>",
            "the account's currency 'Euro' is not an ISO 4217 code of three capital letters "
            "such as EUR",
        ),
    ],
)
def test_a_bad_account_is_refused_by_name(account: str, message: str) -> None:
    data = document(statement(entry(), account=account))
    assert only_problem(data) == f"statement 1 (Id S-2026-12-02): {message}"


def test_a_statement_without_an_id_or_with_a_bad_creation_time_is_refused() -> None:
    data = document(statement(entry()).replace("<Id>S-2026-12-02</Id>", "").replace(
        "2026-12-03T06:00:00+02:00", "3.12.2026 06:00"
    ))
    assert problems(data) == [
        "statement 1: the statement's identification (Id) is missing",
        "statement 1: creation time (CreDtTm) '3.12.2026 06:00' is not a date and time such as "
        "2026-12-02T06:00:00+02:00",
    ]


def test_the_creation_time_falls_back_to_the_group_header() -> None:
    data = document(statement(entry()).replace(
        "<CreDtTm>2026-12-03T06:00:00+02:00</CreDtTm>", ""
    ))
    assert only_statement(data).created_at == dt.datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def test_a_statement_without_entries_is_an_empty_statement() -> None:
    read = only_statement(document(statement()))
    assert (read.entries, read.skipped_pending) == ((), 0)


# --------------------------------------------------------------------------- all problems


def test_all_problems_of_a_file_are_listed_in_the_files_order() -> None:
    data = document(statement(
        entry(acct_svcr_ref="R1", amount='<Amt Ccy="EUR">x</Amt>'),
        entry(acct_svcr_ref="R2"),
        entry(acct_svcr_ref="R3", booking="<BookgDt><Dt>2026-13-01</Dt></BookgDt>",
              amount='<Amt Ccy="eu">1.00</Amt>'),
    ))
    with pytest.raises(CamtError) as caught:
        parse_camt053(data)
    assert caught.value.problems == [
        "entry 1 (AcctSvcrRef R1): amount 'x' is not a number",
        "entry 3 (AcctSvcrRef R3): the amount's currency 'eu' is not an ISO 4217 code of three "
        "capital letters such as EUR",
        "entry 3 (AcctSvcrRef R3): booking date (BookgDt/Dt) '2026-13-01' is not a date such "
        "as 2026-12-02",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_problems_beyond_the_cap_are_counted_not_listed() -> None:
    faulty = [entry(acct_svcr_ref=f"R{n}", amount=None) for n in range(MAX_PROBLEMS + 5)]
    found = problems(document(statement(*faulty)))
    assert len(found) == MAX_PROBLEMS + 1
    assert found[0] == "entry 1 (AcctSvcrRef R0): the amount (Amt) is missing"
    assert found[-1] == "… and 5 more problems"
