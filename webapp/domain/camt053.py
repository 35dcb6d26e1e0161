"""Bank statements in ISO 20022 camt.053 XML (BankToCustomerStatement), read for the
payments import (issue 11: ``flask payments import FILE.xml`` and the staff upload).

Pure: no Flask, no database. ``parse_camt053`` reads a file into one ``Statement`` per
``Stmt`` of the file, each with its booked ``Entry`` values, or raises ``CamtError``
with every problem found (up to ``MAX_PROBLEMS``), each naming its statement, entry and
transaction. Matching the entries to invoices is the caller's business.

The file is untrusted: it is parsed by ``defusedxml`` with no document type
declaration allowed (so no entity is expanded, no "billion laughs", and no external
entity or DTD reads a local file or a URL), and it is refused unread above
``max_bytes`` or with more than ``max_entries`` entries (``Ntry``).

Versions. Estonian banks (Swedbank, SEB, LHV, Luminor) send camt.053.001.02, the
version of the Estonian Banking Association's "Account Reporting Standards for Bank
to Customer" guideline. Versions .04 to .08 are read too: what is read here has the
same element paths in all of them, except three places whose both shapes are read in
every version:

- the status: ``Ntry/Sts`` is a code (BOOK) in .02 to .06, a choice
  ``Ntry/Sts/Cd`` from .07 (EntryStatus1Choice);
- the debtor: ``RltdPties/Dbtr/Nm`` in .02 to .06, ``RltdPties/Dbtr/Pty/Nm`` from .07
  (Party35Choice, Party40Choice);
- a transaction's own amount: ``TxDtls/AmtDtls/TxAmt/Amt`` (or ``InstdAmt``) in .02,
  ``TxDtls/Amt`` from .04.

.03 and .09 onwards, or anything that is not a camt.053 ``Document``, are refused
with a message saying what the file is.

Decisions:

- Several statements. A file may hold several ``Stmt`` (accounts, currencies or days):
  the result is a tuple of ``Statement`` in the file's order, each with its account,
  currency and entries, so that the caller can check the account is the utility's.
- Only booked entries are entries. ``Sts`` BOOK (or ``Sts/Cd`` BOOK) is read; PDNG,
  INFO and FUTR entries are not money on the account yet: they are skipped and counted
  in ``Statement.skipped_pending`` and not checked further. Any other status is a
  problem. Debit entries are returned with ``credit=False``: the caller decides.
- The idempotency key is the bank's reference of the entry: ``Ntry/AcctSvcrRef``
  (the bank's archive number), else ``Ntry/NtryRef``, else the one transaction's
  ``TxDtls/Refs/AcctSvcrRef``. An entry with none of them is a problem. Store it with
  the account: the key is unique per account, (``account_iban``, ``entry_reference``).
  The same key twice for one account in a file is a problem, never silently merged.
- Batch bookings. An entry with several transactions (``NtryDtls/TxDtls``) becomes one
  ``Entry`` per transaction, each with its own amount, reference number and payer, and
  the reference ``<entry reference>/<n>`` (n = 1, 2, ... in the file's order, which a
  bank keeps for the same booking); without an entry reference each transaction's own
  ``Refs/AcctSvcrRef`` is used. The transactions must add up to the entry's amount
  (when in its currency). An entry with one transaction or none is one ``Entry`` with
  the entry's amount, the amount booked on the account.
- Texts. ``reference_number`` is the first ``RmtInf/Strd/CdtrRefInf/Ref`` (or
  ``CdtrRefInf/CdtrRef`` of older layouts), as the bank gives it: checking it as an
  Estonian reference number (7-3-1) is the matcher's job. ``description`` is the
  ``RmtInf/Ustrd`` lines joined with a space. An ``EndToEndId`` of NOTPROVIDED is none.
- Dates. ``booked_on`` and ``value_on`` are the date as the bank writes it in ``Dt`` or
  in ``DtTm`` (its date part, in the bank's offset). ``created_at`` (``Stmt/CreDtTm``,
  else the group header's) is UTC; a time without an offset is Tallinn time.
- Amounts are ``Decimal`` as written (at most 5 decimals and 18 digits, the schema's
  limits), never negative: the direction is ``CdtDbtInd``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError  # types; parsing is by defusedxml
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml import ElementTree as DefusedElementTree
from stdnum import iban as iban_numbers

MAX_BYTES = 20 * 1024 * 1024  # 20 MB: some 10,000 entries with their details
MAX_ENTRIES = 100_000  # Ntry elements in all statements; a larger file is refused
MAX_PROBLEMS = 100  # listed; more are counted in a last line

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
SUPPORTED_VERSIONS = (
    "camt.053.001.02",  # what Swedbank, SEB, LHV and Luminor send (Pangaliit guideline)
    "camt.053.001.04",
    "camt.053.001.05",
    "camt.053.001.06",
    "camt.053.001.07",
    "camt.053.001.08",
)

BOOKED = "BOOK"
NOT_BOOKED = frozenset({"PDNG", "INFO", "FUTR"})  # pending, information only, future
NOT_PROVIDED = "NOTPROVIDED"  # an EndToEndId the payer did not give
# A date and time without an offset is the Estonian bank's local time.
LOCAL_TIME_ZONE = ZoneInfo("Europe/Tallinn")

AMOUNT_DECIMALS = 5  # ActiveOrHistoricCurrencyAndAmount: fractionDigits 5
AMOUNT_DIGITS = 18  # and totalDigits 18

_VERSION = re.compile(
    re.escape(NAMESPACE_PREFIX) + r"(?P<message>[a-z]{4}\.[0-9]{3}\.[0-9]{3}\.[0-9]{2})"
)
# xs:decimal: an optional sign, digits with an optional point (".5" and "5." too).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CURRENCY = re.compile(r"[A-Z]{3}")  # ActiveOrHistoricCurrencyCode
_OFFSET = r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
_ISO_DATE = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})" + _OFFSET)
_ISO_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?P<fraction>\.[0-9]+)?" + _OFFSET
)
_TRUE = frozenset({"true", "1"})  # xs:boolean
_FALSE = frozenset({"false", "0"})


class CamtError(ValueError):
    """The file cannot be imported; ``problems`` says why, each naming its place."""

    problems: list[str]

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One booked movement on the account: an entry, or one transaction of a batch."""

    entry_reference: str  # the bank's unique reference: the idempotency key (per account)
    booked_on: dt.date
    value_on: dt.date | None
    amount: Decimal  # never negative; the direction is ``credit``
    currency: str  # ISO 4217, e.g. "EUR"
    credit: bool  # CRDT: money in; DBIT: money out
    reversal: bool  # RvslInd: the entry cancels an earlier one
    reference_number: str | None  # structured creditor reference (viitenumber) as given
    description: str | None  # the unstructured remittance text (selgitus)
    debtor_name: str | None
    debtor_iban: str | None
    end_to_end_id: str | None


@dataclass(frozen=True)
class Statement:
    """One ``Stmt`` of a file: an account's booked entries for a period."""

    statement_id: str
    account_iban: str
    currency: str  # the account's currency
    created_at: dt.datetime | None  # timezone-aware, UTC
    entries: tuple[Entry, ...]  # in the file's order
    skipped_pending: int  # entries not booked (PDNG, INFO, FUTR): not imported


def parse_camt053(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES
) -> tuple[Statement, ...]:
    """The statements of a camt.053 file; raise ``CamtError`` if it cannot be imported."""
    if len(data) > max_bytes:
        raise CamtError([
            f"the file has {_size(len(data))}, more than the {_size(max_bytes)} a bank "
            "statement file may have; download a shorter period"
        ])
    if not data.strip():
        raise CamtError(["the file is empty"])
    root = _parse_xml(data)
    namespace = _camt053_namespace(root)
    reader = _Reader(namespace)
    statement_elements = reader.statements(root)
    entry_count = sum(len(reader.findall(element, "Ntry")) for element in statement_elements)
    if entry_count > max_entries:
        raise CamtError([
            f"the file has {entry_count:,} entries, more than the {max_entries:,} one import "
            "may have; download a shorter period"
        ])
    created_fallback = reader.text(root, "BkToCstmrStmt/GrpHdr/CreDtTm")
    several = len(statement_elements) > 1
    statements = []
    for number, element in enumerate(statement_elements, start=1):
        statement = reader.statement(number, element, several, created_fallback)
        if statement is not None:
            statements.append(statement)
    reader.check_unique_references()
    if reader.problems:
        raise CamtError(reader.problems.messages())
    return tuple(statements)


# --------------------------------------------------------------------------- the file


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _parse_xml(data: bytes) -> Element:
    """The root element, parsed with no DTD: so no entity expansion and no external access.

    A camt.053 file never has a document type declaration, and a declaration is where
    entities live: refusing it refuses an entity-expansion bomb and an external entity
    (a local file or a URL) before anything is expanded or opened.
    """
    try:
        root: Element = DefusedElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as error:
        external = error.sysid or error.pubid
        declaration = f"<!DOCTYPE {error.name}" + (f' SYSTEM "{external}">' if external else ">")
        raise CamtError([
            f"the file has a document type declaration ({declaration}); a bank statement has "
            "none, and none is read: no entity in it is expanded (an XML bomb) and no file or "
            "address it names is opened (an external entity): refused"
        ]) from None
    except DefusedXmlException as error:  # entities or external references outside a DTD
        raise CamtError([
            f"the file uses an XML feature a bank statement does not ({error!r}): refused"
        ]) from None
    except ParseError as error:
        raise CamtError([f"the file is not well-formed XML ({error})"]) from None
    return root


def _camt053_namespace(root: Element) -> str:
    """The namespace of a supported camt.053 ``Document``, or ``CamtError`` saying what it is."""
    if root.tag.startswith("{"):
        namespace, _, local_name = root.tag[1:].partition("}")
    else:
        namespace, local_name = "", root.tag
    expected = f"<Document xmlns=\"{NAMESPACE_PREFIX}{SUPPORTED_VERSIONS[0]}\">"
    if not namespace:
        raise CamtError([
            f"the file is not an ISO 20022 bank statement: its root element is <{local_name}> "
            f"without a namespace, where a camt.053 statement starts with {expected}"
        ])
    match = _VERSION.fullmatch(namespace)
    if match is None:
        raise CamtError([
            f"the file is not an ISO 20022 bank statement: its root element <{local_name}> "
            f"is in the namespace {namespace!r}, where a camt.053 statement starts with "
            f"{expected}"
        ])
    message = match["message"]
    if not message.startswith("camt.053."):
        raise CamtError([
            f"the file is an ISO 20022 {message} message, not a camt.053 bank statement"
        ])
    if message not in SUPPORTED_VERSIONS:
        raise CamtError([
            f"the file is a {message} statement; the versions read are "
            f"{', '.join(SUPPORTED_VERSIONS)} (ask the bank for camt.053.001.02)"
        ])
    if local_name != "Document":
        raise CamtError([
            f"the root element is <{local_name}>, where a {message} statement has <Document>"
        ])
    return namespace


# --------------------------------------------------------------------------- problems


class _Problems:
    """Problems in the file's order, the first ``MAX_PROBLEMS`` of them in words."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.listed: list[str] = []
        self.unlisted = 0

    def add(self, message: str) -> None:
        if len(self.listed) < self.limit:
            self.listed.append(message)
        else:
            self.unlisted += 1

    def __bool__(self) -> bool:
        return bool(self.listed)

    def messages(self) -> list[str]:
        if not self.unlisted:
            return list(self.listed)
        more = "problem" if self.unlisted == 1 else "problems"
        return [*self.listed, f"… and {self.unlisted:,} more {more}"]


# --------------------------------------------------------------------------- the reader


@dataclass(frozen=True)
class _Details:
    """What a transaction (``TxDtls``) tells of the payment."""

    reference_number: str | None = None
    description: str | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    end_to_end_id: str | None = None


@dataclass(frozen=True)
class _Booking:
    """What the entry (``Ntry``) says for all its transactions."""

    booked_on: dt.date
    value_on: dt.date | None
    reversal: bool


@dataclass(frozen=True)
class _Part:
    """An entry's booking, or one transaction's of a batch, before it is an ``Entry``."""

    place: str  # for messages: "entry 3 (AcctSvcrRef …), transaction 2"
    reference: str
    amount: Decimal
    currency: str
    credit: bool
    details: _Details


class _Reader:
    def __init__(self, namespace: str) -> None:
        self.prefix = "{" + namespace + "}"
        self.problems = _Problems()
        # (account IBAN, entry reference) -> where it was first seen
        self.seen: dict[tuple[str, str], str] = {}
        self.duplicates: list[tuple[str, str, str]] = []  # (place, reference, first place)

    # ------------------------------------------------------------------ element access

    def path(self, path: str) -> str:
        return "/".join(self.prefix + step for step in path.split("/"))

    def find(self, element: Element, path: str) -> Element | None:
        return element.find(self.path(path))

    def findall(self, element: Element, path: str) -> list[Element]:
        return element.findall(self.path(path))

    def text(self, element: Element, *paths: str) -> str | None:
        """The stripped text of the first of ``paths`` that has some, else None."""
        for path in paths:
            found = self.find(element, path)
            if found is not None and found.text is not None and found.text.strip():
                return found.text.strip()
        return None

    def first(self, element: Element, *paths: str) -> Element | None:
        for path in paths:
            found = self.find(element, path)
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------------ statements

    def statements(self, root: Element) -> list[Element]:
        message = self.find(root, "BkToCstmrStmt")
        if message is None:
            raise CamtError([
                "the camt.053 document has no statement message (BkToCstmrStmt)"
            ])
        statements = self.findall(message, "Stmt")
        if not statements:
            raise CamtError(["the camt.053 document has no statement (Stmt)"])
        return statements

    def statement(
        self, number: int, element: Element, several: bool, created_fallback: str | None
    ) -> Statement | None:
        statement_id = self.text(element, "Id")
        where = f"statement {number}" + (f" (Id {statement_id})" if statement_id else "")
        entry_prefix = f"{where}, " if several else ""
        if statement_id is None:
            self.problems.add(f"{where}: the statement's identification (Id) is missing")
        account_iban = self.account_iban(where, element)
        currency = self.account_currency(where, element)
        created_at = self.created_at(where, element, created_fallback)
        entries: list[Entry] = []
        skipped = 0
        for index, entry_element in enumerate(self.findall(element, "Ntry"), start=1):
            status = self.status(entry_element)
            place = entry_prefix + self.entry_place(index, entry_element)
            if status in NOT_BOOKED:
                skipped += 1
                continue
            if status != BOOKED:
                self.problems.add(
                    f"{place}: the status (Sts) is missing" if status is None else
                    f"{place}: status {status!r} is not BOOK, PDNG, INFO or FUTR"
                )
                continue
            for entry, entry_place in self.entries(place, entry_element):
                if account_iban is not None:
                    self.remember(account_iban, entry.entry_reference, entry_place)
                entries.append(entry)
        if statement_id is None or account_iban is None or currency is None:
            return None  # its problems are listed: the file is refused
        return Statement(statement_id, account_iban, currency, created_at, tuple(entries), skipped)

    def account_iban(self, where: str, element: Element) -> str | None:
        iban = self.text(element, "Acct/Id/IBAN")
        if iban is None:
            other = self.text(element, "Acct/Id/Othr/Id")
            self.problems.add(
                f"{where}: the account's IBAN (Acct/Id/IBAN) is missing" if other is None else
                f"{where}: the account {other!r} is not given as an IBAN (Acct/Id/IBAN)"
            )
            return None
        compact: str = iban_numbers.compact(iban)
        if not iban_numbers.is_valid(compact):
            self.problems.add(f"{where}: the account's IBAN {iban!r} is not a valid IBAN")
            return None
        return compact

    def account_currency(self, where: str, element: Element) -> str | None:
        """``Acct/Ccy``, else the currency of the first balance (``Bal/Amt/@Ccy``)."""
        currency = self.text(element, "Acct/Ccy")
        if currency is None:
            balance = self.find(element, "Bal/Amt")
            currency = None if balance is None else balance.get("Ccy")
        if currency is None:
            self.problems.add(
                f"{where}: the account's currency (Acct/Ccy, or the Ccy of a balance) is missing"
            )
            return None
        if not _CURRENCY.fullmatch(currency):
            self.problems.add(f"{where}: the account's {_bad_currency(currency)}")
            return None
        return currency

    def created_at(
        self, where: str, element: Element, fallback: str | None
    ) -> dt.datetime | None:
        text = self.text(element, "CreDtTm") or fallback
        if text is None:
            return None
        moment = _moment(text)
        if moment is None:
            self.problems.add(
                f"{where}: creation time (CreDtTm) {text!r} is not a date and time such as "
                "2026-12-02T06:00:00+02:00"
            )
        return moment

    # ------------------------------------------------------------------ entries

    def status(self, element: Element) -> str | None:
        """``Sts/Cd`` (from .07) or the text of ``Sts`` (to .06)."""
        return self.text(element, "Sts/Cd", "Sts/Prtry", "Sts")

    def entry_place(self, index: int, element: Element) -> str:
        """``entry 3 (AcctSvcrRef 2026120200001)``: its position and the bank's reference."""
        for name in ("AcctSvcrRef", "NtryRef"):
            reference = self.text(element, name)
            if reference is not None:
                return f"entry {index} ({name} {reference})"
        return f"entry {index}"

    def entries(self, place: str, element: Element) -> list[tuple[Entry, str]]:
        """The ``Entry`` values of one booked ``Ntry`` with their places (none if faulty)."""
        amount = self.amount(place, self.find(element, "Amt"))
        credit = self.credit(place, element, required=True)
        reversal = self.reversal(place, element)
        booked_on = self.date_choice(place, element, "BookgDt", "booking date", required=True)
        value_on = self.date_choice(place, element, "ValDt", "value date", required=False)
        reference = self.text(element, "AcctSvcrRef", "NtryRef")
        transactions = self.findall(element, "NtryDtls/TxDtls")
        if len(transactions) > 1:
            parts = self.batch(place, transactions, reference, amount, credit)
        else:
            parts = self.single(place, transactions, reference, amount, credit)
        if booked_on is None or reversal is None:
            return []
        booking = _Booking(booked_on, value_on, reversal)
        return [(_entry(booking, part), part.place) for part in parts]

    def single(
        self,
        place: str,
        transactions: list[Element],
        reference: str | None,
        amount: tuple[Decimal, str] | None,
        credit: bool | None,
    ) -> list[_Part]:
        """An entry of one transaction, or of none: the entry's amount, as booked."""
        transaction = transactions[0] if transactions else None
        if reference is None and transaction is not None:
            reference = self.text(transaction, "Refs/AcctSvcrRef")
        if reference is None:
            self.problems.add(
                f"{place}: the entry has no bank reference (AcctSvcrRef or NtryRef), so "
                "importing it twice could not be told from two payments"
            )
        details = _Details() if transaction is None else self.details(transaction)
        if reference is None or amount is None or credit is None:
            return []
        return [_Part(place, reference, amount[0], amount[1], credit, details)]

    def batch(
        self,
        place: str,
        transactions: list[Element],
        reference: str | None,
        amount: tuple[Decimal, str] | None,
        credit: bool | None,
    ) -> list[_Part]:
        """One part per transaction of a batch booking, checked against the entry's amount."""
        parts = []
        for number, transaction in enumerate(transactions, start=1):
            part_place = f"{place}, transaction {number}"
            part_reference = (
                f"{reference}/{number}" if reference is not None
                else self.text(transaction, "Refs/AcctSvcrRef")
            )
            if part_reference is None:
                self.problems.add(
                    f"{part_place}: neither the entry (AcctSvcrRef, NtryRef) nor the "
                    "transaction (Refs/AcctSvcrRef) has a bank reference, so importing it "
                    "twice could not be told from two payments"
                )
            part_amount = self.amount(part_place, self.first(
                transaction, "Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"
            ), what="transaction's amount (Amt, or AmtDtls/TxAmt/Amt)")
            part_credit = credit
            if self.find(transaction, "CdtDbtInd") is not None:
                part_credit = self.credit(part_place, transaction, required=False)
            details = self.details(transaction)
            if part_reference is not None and part_amount is not None and part_credit is not None:
                parts.append(_Part(
                    part_place, part_reference, part_amount[0], part_amount[1], part_credit,
                    details,
                ))
        if amount is not None and credit is not None and len(parts) == len(transactions):
            self.check_batch_total(place, amount, credit, parts)
        return parts

    def check_batch_total(
        self, place: str, amount: tuple[Decimal, str], credit: bool, parts: list[_Part]
    ) -> None:
        value, currency = amount
        if any(part.currency != currency for part in parts):
            return  # another currency: the bank converted, nothing to add up
        total = sum(
            (part.amount if part.credit == credit else -part.amount for part in parts),
            Decimal(0),
        )
        if total != value:
            self.problems.add(
                f"{place}: its {len(parts)} transactions add up to {total} {currency}, "
                f"the entry is {value} {currency}"
            )

    def details(self, transaction: Element) -> _Details:
        end_to_end_id = self.text(transaction, "Refs/EndToEndId")
        if end_to_end_id is not None and end_to_end_id.upper() == NOT_PROVIDED:
            end_to_end_id = None
        lines = [
            " ".join(line.text.split())
            for line in self.findall(transaction, "RmtInf/Ustrd")
            if line.text is not None and line.text.strip()
        ]
        debtor_iban = self.text(transaction, "RltdPties/DbtrAcct/Id/IBAN")
        return _Details(
            reference_number=self.reference_number(transaction),
            description=" ".join(lines) or None,
            debtor_name=self.text(transaction, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm"),
            debtor_iban=None if debtor_iban is None else "".join(debtor_iban.split()).upper(),
            end_to_end_id=end_to_end_id,
        )

    def reference_number(self, transaction: Element) -> str | None:
        for structured in self.findall(transaction, "RmtInf/Strd"):
            reference = self.text(structured, "CdtrRefInf/Ref", "CdtrRefInf/CdtrRef")
            if reference is not None:
                return reference
        return None

    # ------------------------------------------------------------------ values

    def amount(
        self, place: str, element: Element | None, what: str = "amount (Amt)"
    ) -> tuple[Decimal, str] | None:
        """The amount and its currency, or None with the problems added."""
        if element is None:
            self.problems.add(f"{place}: the {what} is missing")
            return None
        text = (element.text or "").strip()
        value = None
        if not text:
            self.problems.add(f"{place}: the {what} is empty")
        elif not _DECIMAL.fullmatch(text):
            self.problems.add(f"{place}: amount {text!r} is not a number")
        else:
            value = Decimal(text)
            problem = _amount_problem(text, value)
            if problem is not None:
                self.problems.add(f"{place}: {problem}")
                value = None
        currency = element.get("Ccy")
        if currency is None:
            self.problems.add(f"{place}: the amount has no currency (attribute Ccy)")
        elif not _CURRENCY.fullmatch(currency):
            self.problems.add(f"{place}: the amount's {_bad_currency(currency)}")
            currency = None
        if value is None or currency is None:
            return None
        return abs(value), currency  # abs: "-0.00" is zero

    def credit(self, place: str, element: Element, *, required: bool) -> bool | None:
        indicator = self.text(element, "CdtDbtInd")
        if indicator == "CRDT":
            return True
        if indicator == "DBIT":
            return False
        if indicator is None:
            if required:
                self.problems.add(f"{place}: the credit or debit indicator (CdtDbtInd) is missing")
            return None
        self.problems.add(
            f"{place}: credit or debit indicator (CdtDbtInd) {indicator!r} is neither CRDT "
            "nor DBIT"
        )
        return None

    def reversal(self, place: str, element: Element) -> bool | None:
        indicator = self.text(element, "RvslInd")
        if indicator is None or indicator in _FALSE:
            return False
        if indicator in _TRUE:
            return True
        self.problems.add(
            f"{place}: reversal indicator (RvslInd) {indicator!r} is neither true nor false"
        )
        return None

    def date_choice(
        self, place: str, element: Element, name: str, label: str, *, required: bool
    ) -> dt.date | None:
        """The date of a ``Dt`` or ``DtTm`` choice (DateAndDateTimeChoice)."""
        holder = self.find(element, name)
        if holder is None:
            if required:
                self.problems.add(f"{place}: the {label} ({name}) is missing")
            return None
        day_text = self.text(holder, "Dt")
        moment_text = self.text(holder, "DtTm")
        if day_text is not None:
            day = _day(day_text)
            if day is None:
                self.problems.add(
                    f"{place}: {label} ({name}/Dt) {day_text!r} is not a date such as 2026-12-02"
                )
            return day
        if moment_text is not None:
            day = _day_of_moment(moment_text)
            if day is None:
                self.problems.add(
                    f"{place}: {label} ({name}/DtTm) {moment_text!r} is not a date and time "
                    "such as 2026-12-02T10:15:00+02:00"
                )
            return day
        self.problems.add(f"{place}: the {label} ({name}) has neither Dt nor DtTm")
        return None

    # ------------------------------------------------------------------ idempotency

    def remember(self, account_iban: str, reference: str, place: str) -> None:
        first = self.seen.setdefault((account_iban, reference), place)
        if first != place:
            self.duplicates.append((place, reference, first))

    def check_unique_references(self) -> None:
        for place, reference, first in self.duplicates:
            self.problems.add(
                f"{place}: bank reference {reference!r} is also that of {first}; each "
                "booking of an account has its own reference, so the file cannot be "
                "imported safely"
            )


def _entry(booking: _Booking, part: _Part) -> Entry:
    return Entry(
        entry_reference=part.reference,
        booked_on=booking.booked_on,
        value_on=booking.value_on,
        amount=part.amount,
        currency=part.currency,
        credit=part.credit,
        reversal=booking.reversal,
        reference_number=part.details.reference_number,
        description=part.details.description,
        debtor_name=part.details.debtor_name,
        debtor_iban=part.details.debtor_iban,
        end_to_end_id=part.details.end_to_end_id,
    )


def _amount_problem(text: str, value: Decimal) -> str | None:
    if value < 0:
        return (
            f"amount {text} is negative; camt.053 amounts are never negative, the "
            "direction is CdtDbtInd"
        )
    _, digits, exponent = value.normalize().as_tuple()
    if not isinstance(exponent, int):  # pragma: no cover - the pattern admits no NaN
        return f"amount {text!r} is not a number"
    decimals = max(0, -exponent)
    whole_digits = max(0, len(digits) + exponent)
    if decimals > AMOUNT_DECIMALS:
        return f"amount {text} has more than {AMOUNT_DECIMALS} decimals"
    if whole_digits + decimals > AMOUNT_DIGITS:
        return f"amount {text} has more than {AMOUNT_DIGITS} digits"
    return None


def _bad_currency(currency: str) -> str:
    return f"currency {currency!r} is not an ISO 4217 code of three capital letters such as EUR"


def _day(text: str) -> dt.date | None:
    """An xs:date (``2026-12-02``, an offset allowed and ignored), or None."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match["date"])
    except ValueError:
        return None


def _day_of_moment(text: str) -> dt.date | None:
    """The date part of a valid xs:dateTime, as written, or None."""
    if _moment(text) is None:
        return None
    return dt.date.fromisoformat(text[:10])


def _moment(text: str) -> dt.datetime | None:
    """An xs:dateTime as UTC (without an offset: Tallinn time), or None."""
    match = _ISO_DATE_TIME.fullmatch(text)
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:7]  # datetime keeps microseconds: 6 digits
    offset = match["offset"]
    offset = "+00:00" if offset == "Z" else offset or ""
    try:
        moment = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{offset}")
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TIME_ZONE)
    return moment.astimezone(dt.UTC)


def all_entries(statements: Iterable[Statement]) -> list[tuple[Statement, Entry]]:
    """Every entry of the statements with its statement, in the file's order."""
    return [(statement, entry) for statement in statements for entry in statement.entries]
