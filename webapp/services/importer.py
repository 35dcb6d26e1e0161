"""Import of master data in the format of ``docs/data-format.md``, all or nothing.

The document is checked in two passes before anything is written: the JSON
schema (shape, types, string formats), then the semantics (checksums, real
dates, ranges, references, duplicates, conflicting readings). Every error is
collected; a single one stops the import. Only then are the records upserted
by their natural keys into ``db.session`` with ``flush()``: the caller commits
or rolls back, so that an import is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy import insert, null, select
from sqlalchemy.orm import InstrumentedAttribute

from webapp.domain.deadlines import DeadlineError, PercentageId, percentage
from webapp.domain.identity import (
    clean_bic,
    clean_iban,
    clean_personal_code,
    clean_registry_code,
    clean_vat_number,
)
from webapp.domain.price_variants import variant_fits, variant_of
from webapp.domain.rule_sets import rule_set_ids
from webapp.extensions import db
from webapp.models import (
    BoardMember,
    Company,
    ContractStatus,
    Customer,
    InvoiceDelivery,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    PollutionGroup,
    Price,
    PriceKind,
    Property,
    Reading,
    ReadingChannel,
    ServiceContract,
    Site,
    SiteRole,
    SiteRoleKind,
    StaffRole,
    StaffRoleKind,
    Utility,
    VatRate,
)
from webapp.models.base import utcnow

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "data-format.schema.json"
# A reading with a timestamp is dated by the local calendar day (docs/data-format.md).
LOCAL_TIME_ZONE = ZoneInfo("Europe/Tallinn")
# Keys per IN (...) query: far below the bound-parameter limits of SQLite and PostgreSQL.
IN_CHUNK = 500

# Record types in the order they are written (each refers only to earlier ones).
SECTIONS = (
    "utility",
    "prices",
    "vat_rates",
    "persons",
    "companies",
    "customers",
    "properties",
    "sites",
    "contracts",
    "meters",
    "site_roles",
    "staff_roles",
    "readings",
)

# The fields that make up each record type's natural key, as shown in error messages.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "utility": ("code",),
    "prices": ("kind", "variant", "valid_from"),
    "vat_rates": ("valid_from",),
    "persons": ("personal_code",),
    "companies": ("registry_code",),
    "customers": ("person", "company"),
    "properties": ("cadastral_number",),
    "sites": ("code",),
    "contracts": ("number",),
    "meters": ("number",),
    "site_roles": ("site", "person", "role", "valid_from"),
    "staff_roles": ("person", "role"),
    "readings": ("meter", "date", "measured_at"),
}

# The records listed inside the utility object (written with it).
UTILITY_LISTS = ("prices", "vat_rates")

Record = dict[str, Any]
ReadingKey = tuple[str, dt.date, dt.datetime | None]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RecordError:
    """One problem in the document, located by path and by the record's natural key."""

    record: str  # "persons[2]", "utility.prices[0]", "utility"; "" for the document itself
    field: str | None  # "personal_code", "board_members[1]"; None for the record as a whole
    key: str  # "personal_code 12345678901"; "" when the record has no usable key
    message: str

    @property
    def path(self) -> str:
        return ".".join(part for part in (self.record, self.field) if part) or "(document)"

    def __str__(self) -> str:
        where = self.record or "(document)"
        if self.key:
            where += f" ({self.key})"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class DataImportError(Exception):
    """The document has errors; nothing was written."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        self.errors = list(errors)
        first = str(self.errors[0]) if self.errors else "no details"
        super().__init__(f"{len(self.errors)} error(s) in the data, first: {first}")


@dataclass
class RecordCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class ImportReport:
    """What an import did, per record type (only the types present in the document)."""

    counts: dict[str, RecordCounts] = field(default_factory=dict)

    def of(self, section: str) -> RecordCounts:
        return self.counts.setdefault(section, RecordCounts())

    @property
    def created(self) -> int:
        return sum(c.created for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{section:<12} {c.created:>6} created {c.updated:>6} updated "
            f"{c.unchanged:>6} unchanged"
            for section in SECTIONS
            if (c := self.counts.get(section)) is not None
        ]


# --------------------------------------------------------------------------- entry point


def import_master_data(data: dict[str, Any]) -> ImportReport:
    """Validate ``data`` completely, then upsert it. Raises ``DataImportError``.

    Writes go to ``db.session`` and are only flushed: the caller commits, or
    rolls back on any exception.
    """
    errors = schema_errors(data)
    if errors:  # the semantic checks rely on the shape the schema guarantees
        raise DataImportError(errors)
    checker = _Checker(data)
    plan = checker.run()
    if checker.errors:
        raise DataImportError(checker.errors)
    return _Writer(plan).run()


# --------------------------------------------------------------------------- pass 1: schema


@cache
def _schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # Resolving "$ref" on every one of tens of thousands of readings costs more than
    # the checks themselves; the schema's refs are plain local ones, so inline them.
    return Draft202012Validator(_inline_refs(schema, schema["$defs"]))


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each ``{"$ref": "#/$defs/name"}`` replaced by its definition."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        if len(node) != 1 or not node["$ref"].startswith("#/$defs/"):
            raise ValueError(f"unsupported reference in the schema: {node}")
        return _inline_refs(definitions[node["$ref"].removeprefix("#/$defs/")], definitions)
    return {key: _inline_refs(value, definitions) for key, value in node.items() if key != "$defs"}


# Digests of the last documents that met the schema: checking a large document
# (two years of readings) takes seconds, and the same one is often loaded again
# (``flask data demo`` after ``--if-empty``, a file imported twice, the tests).
_SCHEMA_CLEAN: OrderedDict[str, None] = OrderedDict()
_SCHEMA_CLEAN_KEPT = 8


def _digest(data: object) -> str | None:
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # not plain JSON: never taken from the cache
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def schema_errors(data: object) -> list[RecordError]:
    """Every schema violation in ``data``, in document order."""
    digest = _digest(data)
    if digest is not None and digest in _SCHEMA_CLEAN:
        return []
    errors = _schema_errors(data)
    if not errors and digest is not None:
        _SCHEMA_CLEAN[digest] = None
        while len(_SCHEMA_CLEAN) > _SCHEMA_CLEAN_KEPT:
            _SCHEMA_CLEAN.popitem(last=False)
    return errors


def _schema_errors(data: object) -> list[RecordError]:
    sections = list(data) if isinstance(data, dict) else []

    def document_order(error: ValidationError) -> tuple[Any, ...]:
        # Sections as they come in the file, then indexes as numbers and names as text.
        path = list(error.absolute_path)
        first = sections.index(path[0]) if path and path[0] in sections else -1
        return (first, *((isinstance(part, str), part) for part in path[1:]))

    found = sorted(_schema_validator().iter_errors(data), key=document_order)
    return [_from_schema_error(data, error) for error in found]


def _from_schema_error(data: object, error: ValidationError) -> RecordError:
    path = list(error.absolute_path)
    size = _record_path_size(path)
    record_path, field_path = path[:size], path[size:]
    section = _section_of(record_path)
    raw = _follow(data, record_path)
    return RecordError(
        record=_format_path(record_path),
        field=_format_path(field_path) or None,
        key=describe_key(section, raw) if section else "",
        message=_schema_message(error),
    )


def _record_path_size(path: list[Any]) -> int:
    """How many leading path parts name the record (``persons, 2`` or ``utility``)."""
    if not path:
        return 0
    if path[0] == "utility":
        in_list = len(path) >= 3 and path[1] in UTILITY_LISTS and isinstance(path[2], int)
        return 3 if in_list else 1
    return 2 if len(path) >= 2 and isinstance(path[1], int) else 1


def _section_of(record_path: list[Any]) -> str | None:
    if record_path == ["utility"]:
        return "utility"
    if len(record_path) == 3:
        return str(record_path[1])
    if len(record_path) == 2 and record_path[0] in KEY_FIELDS:
        return str(record_path[0])
    return None


def _follow(data: object, path: list[Any]) -> object:
    for part in path:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _format_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# Validators whose default message is worse than the schema's own description.
_DESCRIBED_VALIDATORS = {"type", "pattern", "oneOf", "minLength", "maxLength", "const"}


def _schema_message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    description = schema.get("description")
    if error.validator not in _DESCRIBED_VALIDATORS or not description:
        return str(error.message)
    if isinstance(error.instance, dict | list):
        return f"expected {description}"
    return f"expected {description}, got {show(error.instance)}"


def show(value: object) -> str:
    """A JSON-like rendering: strings quoted, so that "1.5" and 1.5 look different."""
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def describe_key(section: str, raw: object) -> str:
    """The natural key of a record as text, from whichever key fields are usable."""
    if not isinstance(raw, dict):
        return ""
    parts = []
    for name in KEY_FIELDS[section]:
        value = raw.get(name)
        if value is not None:  # "" is shown quoted, so that it is seen
            parts.append(f"{name} {value if isinstance(value, str) and value else show(value)}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- pass 2: semantics


def _price_name(key: tuple[PriceKind, str, dt.date]) -> str:
    kind, variant = key[0], key[1]
    return f"{kind} ({variant})" if variant else str(kind)


class _Loc(NamedTuple):
    """Where a record is; its key is only worked out when an error needs it."""

    section: str
    position: int | None  # the index in the section's list
    raw: Any

    @property
    def record(self) -> str:
        if self.section == "utility":
            return "utility"
        if self.section in UTILITY_LISTS:
            return f"utility.{self.section}[{self.position}]"
        return f"{self.section}[{self.position}]"

    def error(self, field_name: str | None, message: str) -> RecordError:
        return RecordError(self.record, field_name, describe_key(self.section, self.raw), message)


class _Known:
    """The keys of one record type: those in the file plus those found in the database.

    ``values`` maps each key to something the checks need later (or None).
    """

    def __init__(self, query: Callable[[list[str]], Iterable[tuple[str, Any]]]) -> None:
        self.values: dict[str, Any] = {}
        self._asked: set[str] = set()
        self._query = query

    def add(self, key: str, value: Any = None) -> None:
        self.values[key] = value

    def prefetch(self, keys: Iterable[Any]) -> None:
        """Look up, in one query per chunk, the keys the file does not define."""
        missing = {k for k in keys if isinstance(k, str)} - self.values.keys() - self._asked
        if missing:
            self._asked |= missing
            self.values.update(self._query(sorted(missing)))

    def __contains__(self, key: object) -> bool:
        return key in self.values


def _chunks(keys: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(keys), IN_CHUNK):
        yield keys[start : start + IN_CHUNK]


def _key_query(
    column: InstrumentedAttribute[str], value: InstrumentedAttribute[Any] | None = None
) -> Callable[[list[str]], list[tuple[str, Any]]]:
    def query(keys: list[str]) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        statement = select(column, null() if value is None else value)
        for chunk in _chunks(keys):
            found += db.session.execute(statement.where(column.in_(chunk))).tuples().all()
        return found

    return query


def _customer_query(codes: list[str]) -> list[tuple[str, Any]]:
    """Party codes (personal or registry code) that already have a customer record."""
    found: list[tuple[str, Any]] = []
    for chunk in _chunks(codes):
        persons = select(Person.personal_code).join(Customer, Customer.person_id == Person.id)
        companies = select(Company.registry_code).join(Customer, Customer.company_id == Company.id)
        found += [
            (c, None) for c in db.session.scalars(persons.where(Person.personal_code.in_(chunk)))
        ]
        found += [
            (c, None) for c in db.session.scalars(companies.where(Company.registry_code.in_(chunk)))
        ]
    return found


@dataclass
class _Plan:
    """The parsed, checked document, ready to be written."""

    # Per record type present in the document; for readings only the new ones.
    records: dict[str, list[Record]] = field(default_factory=dict)
    unchanged_readings: int = 0


class _Checker:
    """Checks the semantics of a schema-valid document and parses its values."""

    def __init__(self, data: Record) -> None:
        self.data = data
        self.errors: list[RecordError] = []
        self.plan = _Plan()
        self._seen: dict[str, dict[Any, str]] = {}
        self.persons = _Known(_key_query(Person.personal_code))
        self.companies = _Known(_key_query(Company.registry_code))
        self.customers = _Known(_customer_query)
        self.properties = _Known(_key_query(Property.cadastral_number))
        self.sites = _Known(_key_query(Site.code))
        # Meters carry their installation date: no reading may predate it.
        self.meters = _Known(_key_query(Meter.number, Meter.installed_on))

    def run(self) -> _Plan:
        self._check_utility()
        self._check_persons()
        self._check_companies()
        self._check_customers()
        self._check_properties()
        self._check_sites()
        self._check_contracts()
        self._check_meters()
        self._check_site_roles()
        self._check_staff_roles()
        self._check_readings()
        return self.plan

    # ---- helpers

    def _records(
        self, section: str, raws: list[Record] | None = None
    ) -> Iterator[tuple[_Loc, Record]]:
        """Each record with its location; the yielded copy is parsed in place and kept."""
        parsed = self.plan.records.setdefault(section, [])
        for index, raw in enumerate(self.data.get(section, []) if raws is None else raws):
            record = dict(raw)
            parsed.append(record)
            yield _Loc(section, index, raw), record

    def _fail(self, loc: _Loc, field_name: str | None, message: str) -> None:
        self.errors.append(loc.error(field_name, message))

    def _unique(self, loc: _Loc, key: Any) -> None:
        """Duplicates inside the file are errors: which one should win is unknowable."""
        first = self._seen.setdefault(loc.section, {}).setdefault(key, loc.record)
        if first != loc.record:
            self._fail(loc, None, f"duplicate of {first} (same natural key)")

    def _refer(self, loc: _Loc, known: _Known, key: str | None, field_name: str, what: str) -> None:
        if key is not None and key not in known:
            self._fail(loc, field_name, f"no {what} {key} in this file or the database")

    def _date(self, loc: _Loc, record: Record, name: str) -> None:
        """Parse a YYYY-MM-DD (the schema checked the shape, not the calendar)."""
        value = record.get(name)
        if isinstance(value, str):
            try:
                record[name] = dt.date.fromisoformat(value)
            except ValueError:
                record[name] = None
                self._fail(loc, name, f"{value} is not a valid date")

    def _range(self, loc: _Loc, record: Record, start: str, end: str) -> None:
        first, last = record.get(start), record.get(end)
        if isinstance(first, dt.date) and isinstance(last, dt.date) and last < first:
            self._fail(loc, end, f"{last} is before {start} {first}")

    def _personal_code(self, loc: _Loc, record: Record, name: str) -> None:
        try:  # stdnum ee.ik: the birth date and the check digit must both be right
            record[name] = clean_personal_code(record[name])
        except ValueError:
            self._fail(loc, name, "invalid personal code (wrong check digit or birth date)")

    def _registry_code(self, loc: _Loc, record: Record, name: str) -> None:
        try:  # stdnum ee.registrikood: the check digit must be right
            record[name] = clean_registry_code(record[name])
        except ValueError:
            self._fail(loc, name, "invalid registry code (wrong check digit)")

    # ---- sections

    def _check_utility(self) -> None:
        raw = self.data.get("utility")
        if raw is None:
            return
        loc = _Loc("utility", None, raw)
        utility = dict(raw)
        self.plan.records["utility"] = [utility]
        if utility.get("registry_code") is not None:
            self._registry_code(loc, utility, "registry_code")
        rule_set = utility.get("rebate_rule_set")
        if rule_set is not None and rule_set not in rule_set_ids():
            self._fail(loc, "rebate_rule_set",
                       f"no rule set {rule_set} in rules/ (known: {', '.join(rule_set_ids())})")
        self._check_billing_settings(loc, utility)
        prices = list(self._check_prices(raw.get("prices", [])))
        self._check_price_overlaps(utility["code"], prices)
        self._check_vat_rates(raw.get("vat_rates", []))

    def _check_billing_settings(self, loc: _Loc, utility: Record) -> None:
        if "late_interest_percent" in utility:
            utility["late_interest_percent"] = rate = Decimal(utility["late_interest_percent"])
            self._late_interest(loc, rate)
        if "resident_norm_m3" in utility:
            utility["resident_norm_m3"] = Decimal(utility["resident_norm_m3"])
        for name, clean, what in (("iban", clean_iban, "IBAN (wrong check digits or length)"),
                                  ("bic", clean_bic, "BIC"),
                                  ("vat_number", clean_vat_number,
                                   "VAT number (wrong country prefix or check digit)")):
            if utility.get(name) is not None:
                try:
                    utility[name] = clean(utility[name])
                except ValueError:
                    self._fail(loc, name, f"invalid {what}")

    def _late_interest(self, loc: _Loc, rate: Decimal) -> None:
        # KEE §41(3): the contract's late interest is at most the cap, a day.
        today = dt.datetime.now(LOCAL_TIME_ZONE).date()
        try:
            cap = percentage(PercentageId.LATE_INTEREST_CAP, today)
        except DeadlineError as error:
            self._fail(loc, "late_interest_percent", f"no cap to check it against: {error}")
            return
        if rate > cap:
            self._fail(loc, "late_interest_percent",
                       f"{rate} % a day is above the cap of {cap} % a day (KEE §41(3))")

    def _check_prices(self, raws: list[Record]) -> Iterator[tuple[_Loc, Record]]:
        for loc, price in self._records("prices", raws):
            price["kind"] = PriceKind(price["kind"])
            price["variant"] = price.get("variant", "")
            self._variant(loc, price["kind"], price["variant"])
            price["unit_price"] = Decimal(price["unit_price"])
            self._date(loc, price, "valid_from")
            self._date(loc, price, "valid_until")
            self._range(loc, price, "valid_from", "valid_until")
            self._unique(loc, (price["kind"], price["variant"], price["valid_from"]))
            yield loc, price

    def _variant(self, loc: _Loc, kind: PriceKind, variant: str) -> None:
        if variant_fits(kind, variant):
            return
        match variant_of(kind):
            case "pollution_group":  # KEE §4(3), §22(1)
                expected = 'a pollution group (I, II or III) or "" for all groups'
            case "meter_size":
                expected = 'a meter size such as "DN20" or "" for all sizes'
            case _:
                expected = '"": it has no variant'
        self._fail(loc, "variant", f"a {kind} price's variant is {expected}, "
                   f"not {show(variant)}")

    def _check_price_overlaps(self, utility_code: str, prices: list[tuple[_Loc, Record]]) -> None:
        """Two prices of one kind and variant on the same day would make the bill
        ambiguous."""
        stored = select(Price.kind, Price.variant, Price.valid_from, Price.valid_until).join(
            Price.utility)
        periods: dict[tuple[PriceKind, str, dt.date], tuple[dt.date | None, _Loc | None]] = {
            (kind, variant, start): (end, None)
            for kind, variant, start, end in db.session.execute(
                stored.where(Utility.code == utility_code))
        }
        for loc, price in prices:  # the file's version of a stored price replaces it
            if isinstance(price["valid_from"], dt.date):
                key = (price["kind"], price["variant"], price["valid_from"])
                periods[key] = (price.get("valid_until"), loc)
        ordered = sorted(periods.items())
        for (before, (end, loc_a)), (after, (_, loc_b)) in pairwise(ordered):
            if before[:2] != after[:2] or (end is not None and end < after[2]):
                continue
            # Blame a record of this file and name the other price; an overlap only
            # among stored prices is not this file's fault.
            if loc_b is not None:
                self._fail(loc_b, "valid_from", f"overlaps the {_price_name(before)} price "
                           f"from {before[2]}")
            elif loc_a is not None:
                self._fail(loc_a, "valid_until", f"overlaps the {_price_name(after)} price "
                           f"from {after[2]}")

    def _check_vat_rates(self, raws: list[Record]) -> None:
        for loc, rate in self._records("vat_rates", raws):
            rate["rate_percent"] = Decimal(rate["rate_percent"])
            if rate["rate_percent"] > 100:
                self._fail(loc, "rate_percent", f"{rate['rate_percent']} is more than 100 %")
            self._date(loc, rate, "valid_from")
            self._unique(loc, rate["valid_from"])

    def _check_persons(self) -> None:
        for loc, person in self._records("persons"):
            self._personal_code(loc, person, "personal_code")
            self._unique(loc, person["personal_code"])
            self.persons.add(person["personal_code"])

    def _check_companies(self) -> None:
        raws = self.data.get("companies", [])
        self.persons.prefetch(code for raw in raws for code in raw.get("board_members", []))
        for loc, company in self._records("companies"):
            self._registry_code(loc, company, "registry_code")
            self._unique(loc, company["registry_code"])
            self.companies.add(company["registry_code"])
            members = company.get("board_members", [])
            for position, code in enumerate(members):
                where = f"board_members[{position}]"
                self._refer(loc, self.persons, code, where, "person")
                if code in members[:position]:
                    self._fail(loc, where, f"{code} is listed twice")

    def _check_customers(self) -> None:
        raws = self.data.get("customers", [])
        self.persons.prefetch(raw.get("person") for raw in raws)
        self.companies.prefetch(raw.get("company") for raw in raws)
        for loc, customer in self._records("customers"):
            party = customer.get("person") or customer["company"]
            self._unique(loc, party)
            self.customers.add(party)
            self._refer(loc, self.persons, customer.get("person"), "person", "person")
            self._refer(loc, self.companies, customer.get("company"), "company", "company")

    def _check_properties(self) -> None:
        for loc, prop in self._records("properties"):
            self._unique(loc, prop["cadastral_number"])
            self.properties.add(prop["cadastral_number"])

    def _check_sites(self) -> None:
        self.properties.prefetch(raw["property"] for raw in self.data.get("sites", []))
        for loc, site in self._records("sites"):
            self._unique(loc, site["code"])
            self.sites.add(site["code"])
            self._refer(loc, self.properties, site["property"], "property", "property")

    def _check_contracts(self) -> None:
        raws = self.data.get("contracts", [])
        self.customers.prefetch(raw["customer"] for raw in raws)
        self.sites.prefetch(code for raw in raws for code in raw["sites"])
        for loc, contract in self._records("contracts"):
            self._unique(loc, contract["number"])
            self._refer(loc, self.customers, contract["customer"], "customer", "customer")
            for position, code in enumerate(contract["sites"]):
                self._refer(loc, self.sites, code, f"sites[{position}]", "site")
                if code in contract["sites"][:position]:
                    self._fail(loc, f"sites[{position}]", f"{code} is listed twice")
            self._date(loc, contract, "start_date")
            self._date(loc, contract, "end_date")
            self._range(loc, contract, "start_date", "end_date")
            if "status" in contract:
                contract["status"] = ContractStatus(contract["status"])
            if "pollution_group" in contract:  # KEE §22(1)
                contract["pollution_group"] = PollutionGroup(contract["pollution_group"])
            if contract.get("invoice_delivery") is not None:
                contract["invoice_delivery"] = InvoiceDelivery(contract["invoice_delivery"])

    def _check_meters(self) -> None:
        self.sites.prefetch(raw["site"] for raw in self.data.get("meters", []))
        for loc, meter in self._records("meters"):
            self._unique(loc, meter["number"])
            self._refer(loc, self.sites, meter["site"], "site", "site")
            meter["kind"] = MeterKind(meter["kind"])
            if "status" in meter:
                meter["status"] = MeterStatus(meter["status"])
            self._date(loc, meter, "installed_on")
            self._date(loc, meter, "verified_until")
            self._range(loc, meter, "installed_on", "verified_until")
            self.meters.add(meter["number"], meter["installed_on"])

    def _check_site_roles(self) -> None:
        raws = self.data.get("site_roles", [])
        self.sites.prefetch(raw["site"] for raw in raws)
        self.persons.prefetch(code for raw in raws for code in (raw["person"], raw.get("given_by")))
        for loc, role in self._records("site_roles"):
            self._refer(loc, self.sites, role["site"], "site", "site")
            self._refer(loc, self.persons, role["person"], "person", "person")
            self._refer(loc, self.persons, role.get("given_by"), "given_by", "person")
            role["role"] = SiteRoleKind(role["role"])
            self._date(loc, role, "valid_from")
            self._date(loc, role, "valid_until")
            self._range(loc, role, "valid_from", "valid_until")
            self._unique(loc, (role["site"], role["person"], role["role"], role["valid_from"]))

    def _check_staff_roles(self) -> None:
        self.persons.prefetch(raw["person"] for raw in self.data.get("staff_roles", []))
        for loc, role in self._records("staff_roles"):
            self._refer(loc, self.persons, role["person"], "person", "person")
            role["role"] = StaffRoleKind(role["role"])
            self._unique(loc, (role["person"], role["role"]))

    def _check_readings(self) -> None:
        raws = self.data.get("readings", [])
        if not raws:
            return
        self.meters.prefetch(raw["meter"] for raw in raws)
        self.persons.prefetch(raw.get("submitted_by") for raw in raws)
        stored = _stored_readings({raw["meter"] for raw in raws})
        self.plan.records["readings"] = []
        seen: dict[ReadingKey, int] = {}
        for index, raw in enumerate(raws):
            loc = _Loc("readings", index, raw)
            reading = self._parse_reading(loc, raw)
            if reading is None:
                continue
            key = (reading["meter"], reading["date"], reading["measured_at"])
            if key in seen:
                self._fail(loc, None, f"duplicate of readings[{seen[key]}] (same natural key)")
                continue
            seen[key] = index
            self._against_stored(loc, reading, stored.get(key))

    def _parse_reading(self, loc: _Loc, raw: Record) -> Record | None:
        reading = dict(raw)
        errors_before = len(self.errors)
        self._refer(loc, self.meters, reading["meter"], "meter", "meter")
        self._refer(loc, self.persons, reading.get("submitted_by"), "submitted_by", "person")
        self._date(loc, reading, "date")
        reading["value"] = Decimal(reading["value"])
        reading["channel"] = ReadingChannel(reading["channel"])
        reading["measured_at"] = self._timestamp(loc, reading)
        installed = self.meters.values.get(reading["meter"])
        day = reading["date"]
        if isinstance(installed, dt.date) and isinstance(day, dt.date) and day < installed:
            self._fail(loc, "date", f"{day} is before the meter was installed on {installed}")
        return reading if len(self.errors) == errors_before else None

    def _timestamp(self, loc: _Loc, reading: Record) -> dt.datetime | None:
        """measured_at as UTC; the reading's date must be its local (Tallinn) day."""
        text = reading.get("measured_at")
        if text is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            self._fail(loc, "measured_at", f"{text} is not a valid timestamp")
            return None
        if moment.tzinfo is None:  # the schema demands an offset; stay safe anyway
            self._fail(loc, "measured_at", "a timestamp needs an offset, e.g. +00:00")
            return None
        local_day = moment.astimezone(LOCAL_TIME_ZONE).date()
        if isinstance(reading["date"], dt.date) and reading["date"] != local_day:
            self._fail(loc, "date", f"must be {local_day}, the Europe/Tallinn day of measured_at")
        return moment.astimezone(dt.UTC)

    def _against_stored(self, loc: _Loc, reading: Record, stored: set[Decimal] | None) -> None:
        """A stored reading is never changed by an import: same value or an error."""
        if stored is None:
            self.plan.records["readings"].append(reading)
        elif reading["value"] in stored:
            self.plan.unchanged_readings += 1
        else:
            values = ", ".join(sorted(str(v) for v in stored))
            self._fail(
                loc,
                "value",
                f"{reading['value']} differs from the stored reading {values}; "
                "an import never changes a reading",
            )


def _stored_readings(meter_numbers: set[str]) -> dict[ReadingKey, set[Decimal]]:
    """The stored readings of these meters, by natural key, in one query per chunk.

    The model has no unique key on readings (corrections may add a second one on
    the same day), so a key can hold several values.
    """
    stored: dict[ReadingKey, set[Decimal]] = {}
    query = select(Meter.number, Reading.reading_date, Reading.measured_at, Reading.value).join(
        Reading.meter
    )
    for chunk in _chunks(sorted(meter_numbers)):
        for number, day, moment, value in db.session.execute(query.where(Meter.number.in_(chunk))):
            stored.setdefault((number, day, moment), set()).add(value)
    return stored


# --------------------------------------------------------------------------- writing


def _load(column: InstrumentedAttribute[str], keys: Iterable[str]) -> dict[str, Any]:
    """The stored objects whose natural key is among ``keys``, by key."""
    model = column.class_
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(keys))):
        for obj in db.session.scalars(select(model).where(column.in_(chunk))):
            found[getattr(obj, column.key)] = obj
    return found


def _ids(column: InstrumentedAttribute[str], keys: Iterable[str | None]) -> dict[str, int]:
    """Natural key -> primary key, for references (after a flush, new rows included)."""
    model = column.class_
    wanted = sorted({key for key in keys if key is not None})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(
            db.session.execute(select(column, model.id).where(column.in_(chunk))).tuples().all()
        )
    return found


def _present(record: Record, *names: str) -> dict[str, Any]:
    """The optional fields the record states: absent keeps the stored value, null clears it."""
    return {name: record[name] for name in names if name in record}


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Writer:
    """Upserts a checked plan by natural keys; flushes, never commits."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.report = ImportReport()

    def run(self) -> ImportReport:
        for section in SECTIONS:
            # The utility's lists are written with it.
            if section in self.plan.records and section not in UTILITY_LISTS:
                getattr(self, f"_write_{section}")(self.plan.records[section])
                db.session.flush()  # later sections look up the ids of new rows
        return self.report

    def _upsert(self, section: str, existing: Any, model: type, values: dict[str, Any]) -> Any:
        if existing is None:
            obj = model(**values)
            db.session.add(obj)
            self.report.of(section).add("created")
            return obj
        self.report.of(section).add("updated" if _assign(existing, values) else "unchanged")
        return existing

    def _write_utility(self, records: list[Record]) -> None:
        (record,) = records
        stored = db.session.scalar(select(Utility).where(Utility.code == record["code"]))
        values = {"code": record["code"], "name": record["name"]}
        values |= _present(
            record,
            "registry_code",
            "email",
            "phone",
            "mass_view_meter_threshold",
            "mass_view_site_threshold",
            "rebate_rule_set",
            "late_interest_percent",
            "resident_norm_m3",
            "invoice_due_days",
            "iban",
            "bic",
            "vat_number",
            "address",
        )
        utility = self._upsert("utility", stored, Utility, values)
        db.session.flush()  # the prices need its id
        self._write_prices(utility, self.plan.records.get("prices", []))
        self._write_vat_rates(utility, self.plan.records.get("vat_rates", []))

    def _write_prices(self, utility: Utility, records: list[Record]) -> None:
        stored = {(p.kind, p.variant, p.valid_from): p for p in utility.prices}
        for record in records:
            values = {"utility_id": utility.id, "kind": record["kind"],
                      "variant": record["variant"]}
            values |= _present(record, "valid_from", "unit_price", "valid_until")
            existing = stored.get((record["kind"], record["variant"], record["valid_from"]))
            self._upsert("prices", existing, Price, values)

    def _write_vat_rates(self, utility: Utility, records: list[Record]) -> None:
        query = select(VatRate).where(VatRate.utility_id == utility.id)
        stored = {rate.valid_from: rate for rate in db.session.scalars(query)}
        for record in records:
            values = {"utility_id": utility.id, "valid_from": record["valid_from"],
                      "rate_percent": record["rate_percent"]}
            self._upsert("vat_rates", stored.get(record["valid_from"]), VatRate, values)

    def _write_persons(self, records: list[Record]) -> None:
        stored = _load(Person.personal_code, (r["personal_code"] for r in records))
        for record in records:
            values = _present(
                record, "personal_code", "given_name", "family_name", "email", "phone", "locale"
            )
            self._upsert("persons", stored.get(record["personal_code"]), Person, values)

    def _write_companies(self, records: list[Record]) -> None:
        stored = _load(Company.registry_code, (r["registry_code"] for r in records))
        person_ids = _ids(
            Person.personal_code, (c for r in records for c in r.get("board_members", []))
        )
        for record in records:
            company = stored.get(record["registry_code"])
            state = "created" if company is None else "unchanged"
            if company is None:
                company = Company(registry_code=record["registry_code"], name=record["name"])
                db.session.add(company)
            elif _assign(company, {"name": record["name"]}):
                state = "updated"
            if "board_members" in record:
                wanted = {person_ids[code] for code in record["board_members"]}
                if _sync_board(company, wanted) and state == "unchanged":
                    state = "updated"
            self.report.of("companies").add(state)

    def _write_customers(self, records: list[Record]) -> None:
        person_ids = _ids(Person.personal_code, (r.get("person") for r in records))
        company_ids = _ids(Company.registry_code, (r.get("company") for r in records))
        stored = _customers_by_party(set(person_ids.values()), set(company_ids.values()))
        for record in records:
            party = (
                ("person", person_ids[record["person"]])
                if "person" in record
                else ("company", company_ids[record["company"]])
            )
            values = {f"{party[0]}_id": party[1]} | _present(record, "email", "locale")
            self._upsert("customers", stored.get(party), Customer, values)

    def _write_properties(self, records: list[Record]) -> None:
        stored = _load(Property.cadastral_number, (r["cadastral_number"] for r in records))
        for record in records:
            values = _present(record, "cadastral_number", "address")
            self._upsert("properties", stored.get(record["cadastral_number"]), Property, values)

    def _write_sites(self, records: list[Record]) -> None:
        stored = _load(Site.code, (r["code"] for r in records))
        property_ids = _ids(Property.cadastral_number, (r["property"] for r in records))
        for record in records:
            values = {
                "code": record["code"],
                "property_id": property_ids[record["property"]],
                "address": record["address"],
            }
            self._upsert("sites", stored.get(record["code"]), Site, values)

    def _write_contracts(self, records: list[Record]) -> None:
        stored = _load(ServiceContract.number, (r["number"] for r in records))
        sites = _load(Site.code, (code for r in records for code in r["sites"]))
        customer_ids = _customer_ids({r["customer"] for r in records})
        for record in records:
            contract = stored.get(record["number"])
            values = {"number": record["number"], "customer_id": customer_ids[record["customer"]]}
            values |= _present(record, "start_date", "end_date", "status",
                               "reading_cycle_months", "pollution_group", "residents",
                               "invoice_delivery")
            wanted = [sites[code] for code in record["sites"]]
            if contract is None:
                db.session.add(ServiceContract(**values, sites=wanted))
                self.report.of("contracts").add("created")
                continue
            changed = _assign(contract, values)
            if {s.code for s in contract.sites} != set(record["sites"]):
                contract.sites = wanted  # the file's list is the contract's whole list
                changed = True
            self.report.of("contracts").add("updated" if changed else "unchanged")

    def _write_meters(self, records: list[Record]) -> None:
        stored = _load(Meter.number, (r["number"] for r in records))
        site_ids = _ids(Site.code, (r["site"] for r in records))
        for record in records:
            values = {"number": record["number"], "site_id": site_ids[record["site"]]}
            values |= _present(
                record, "kind", "installed_on", "verified_until", "seal_number", "status", "size"
            )
            self._upsert("meters", stored.get(record["number"]), Meter, values)

    def _write_site_roles(self, records: list[Record]) -> None:
        site_ids = _ids(Site.code, (r["site"] for r in records))
        person_ids = _ids(
            Person.personal_code, (c for r in records for c in (r["person"], r.get("given_by")))
        )
        query = select(SiteRole).where(SiteRole.site_id.in_(set(site_ids.values())))
        stored = {
            (role.site_id, role.person_id, role.role, role.valid_from): role
            for role in db.session.scalars(query)
        }
        for record in records:
            key = (
                site_ids[record["site"]],
                person_ids[record["person"]],
                record["role"],
                record["valid_from"],
            )
            values = dict(zip(("site_id", "person_id", "role", "valid_from"), key, strict=True))
            values |= _present(record, "valid_until")
            if "given_by" in record:
                values["given_by_id"] = person_ids.get(record["given_by"])
            self._upsert("site_roles", stored.get(key), SiteRole, values)

    def _write_staff_roles(self, records: list[Record]) -> None:
        person_ids = _ids(Person.personal_code, (r["person"] for r in records))
        query = select(StaffRole).where(StaffRole.person_id.in_(set(person_ids.values())))
        stored = {(role.person_id, role.role): role for role in db.session.scalars(query)}
        for record in records:
            key = (person_ids[record["person"]], record["role"])
            values = {"person_id": key[0], "role": key[1]}
            self._upsert("staff_roles", stored.get(key), StaffRole, values)

    def _write_readings(self, records: list[Record]) -> None:
        """New readings in one executemany; stored ones were matched while checking."""
        new = records
        meter_ids = _ids(Meter.number, (r["meter"] for r in new))
        person_ids = _ids(Person.personal_code, (r.get("submitted_by") for r in new))
        submitted_at = utcnow()  # when the data entered the portal: now
        rows = [
            {
                "meter_id": meter_ids[r["meter"]],
                "reading_date": r["date"],
                "measured_at": r["measured_at"],
                "value": r["value"],
                "channel": r["channel"],
                "submitted_by_id": person_ids.get(r.get("submitted_by") or ""),
                "submitted_at": submitted_at,
            }
            for r in new
        ]
        if rows:
            db.session.execute(insert(Reading), rows)
        counts = self.report.of("readings")
        counts.created += len(rows)
        counts.unchanged += self.plan.unchanged_readings


def _sync_board(company: Company, wanted: set[int]) -> bool:
    """Make the board exactly ``wanted``; touch only the differences (unique key)."""
    current = {member.person_id: member for member in company.board_members}
    for person_id in current.keys() - wanted:
        company.board_members.remove(current[person_id])
    for person_id in sorted(wanted - current.keys()):
        company.board_members.append(BoardMember(person_id=person_id))
    return current.keys() != wanted


def _customers_by_party(
    person_ids: set[int], company_ids: set[int]
) -> dict[tuple[str, int | None], Customer]:
    found: dict[tuple[str, int | None], Customer] = {}
    for chunk in _chunks(sorted(person_ids)):
        for customer in db.session.scalars(select(Customer).where(Customer.person_id.in_(chunk))):
            found[("person", customer.person_id)] = customer
    for chunk in _chunks(sorted(company_ids)):
        for customer in db.session.scalars(select(Customer).where(Customer.company_id.in_(chunk))):
            found[("company", customer.company_id)] = customer
    return found


def _customer_ids(codes: set[str]) -> dict[str, int]:
    """Party code (personal or registry code) -> customer id."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        persons = select(Person.personal_code, Customer.id).join(Customer.person)
        companies = select(Company.registry_code, Customer.id).join(Customer.company)
        found.update(
            db.session.execute(persons.where(Person.personal_code.in_(chunk))).tuples().all()
        )
        found.update(
            db.session.execute(companies.where(Company.registry_code.in_(chunk))).tuples().all()
        )
    return found
