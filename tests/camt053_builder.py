"""Small camt.053.001.02 bank statement files for the payment tests and the benchmark,
shaped like tests/fixtures/camt053/swedbank_2026-12-02.xml (what Estonian banks send).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

DEMO_IBAN = "EE382200221020145685"  # the demo utility's account (webapp/demo.py)
OTHER_IBAN = "EE042200221099887766"
DAY = dt.date(2026, 12, 2)


@dataclass(frozen=True)
class Booking:
    """One entry (Ntry) with one transaction."""

    reference: str  # the bank's AcctSvcrRef: the idempotency key
    amount: Decimal | str
    credit: bool = True
    currency: str = "EUR"
    booked_on: dt.date = DAY
    reference_number: str | None = None
    description: str | None = None
    debtor_name: str | None = "MARI MAASIKAS"
    debtor_iban: str | None = "EE641010220123456789"
    reversal: bool = False
    status: str = "BOOK"


def _text(tag: str, value: str | None) -> str:
    return "" if value is None else f"<{tag}>{escape(value)}</{tag}>"


def entry_xml(booking: Booking) -> str:
    amount = f'<Amt Ccy="{booking.currency}">{booking.amount}</Amt>'
    remittance = ""
    if booking.description is not None or booking.reference_number is not None:
        structured = (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{escape(booking.reference_number)}</Ref></CdtrRefInf></Strd>"
            if booking.reference_number is not None else "")
        remittance = f"<RmtInf>{_text('Ustrd', booking.description)}{structured}</RmtInf>"
    parties = ""
    if booking.debtor_name is not None or booking.debtor_iban is not None:
        account = (f"<DbtrAcct><Id><IBAN>{booking.debtor_iban}</IBAN></Id></DbtrAcct>"
                   if booking.debtor_iban else "")
        name = f"<Dbtr>{_text('Nm', booking.debtor_name)}</Dbtr>" if booking.debtor_name else ""
        parties = f"<RltdPties>{name}{account}</RltdPties>"
    return (
        f"<Ntry>{amount}<CdtDbtInd>{'CRDT' if booking.credit else 'DBIT'}</CdtDbtInd>"
        + ("<RvslInd>true</RvslInd>" if booking.reversal else "")
        + f"<Sts>{booking.status}</Sts>"
        f"<BookgDt><Dt>{booking.booked_on.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{booking.booked_on.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(booking.reference)}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{escape(booking.reference)}</AcctSvcrRef>"
        f"</Refs><AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>{parties}{remittance}"
        "</TxDtls></NtryDtls></Ntry>"
    )


def statement_xml(bookings: Iterable[Booking], *, iban: str = DEMO_IBAN,
                  statement_id: str = "S-2026-12-02") -> str:
    return (
        f"<Stmt><Id>{escape(statement_id)}</Id>"
        "<CreDtTm>2026-12-03T06:00:00+02:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>"
        + "".join(entry_xml(booking) for booking in bookings)
        + "</Stmt>"
    )


def camt053(bookings: Iterable[Booking], *, iban: str = DEMO_IBAN,
            statement_id: str = "S-2026-12-02", statements: Iterable[str] = ()) -> bytes:
    """A camt.053.001.02 file: one statement of ``bookings`` on ``iban``, and any more
    ``statements`` (from ``statement_xml``) after it."""
    body = statement_xml(bookings, iban=iban, statement_id=statement_id) + "".join(statements)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>M-1</MsgId><CreDtTm>2026-12-03T06:00:00+02:00</CreDtTm></GrpHdr>"
        f"{body}</BkToCstmrStmt></Document>"
    ).encode()
