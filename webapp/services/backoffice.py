"""The staff back office: search, customer and person cards, the purpose of a
look at personal data, and readings entered or corrected on a customer's behalf.

Each use case loads, checks, writes and audits; it flushes, the route commits.
Access itself (``require``) is asked by the route before anything is loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from flask import abort, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from webapp.domain import readings as rules
from webapp.domain.permissions import Action, Actor, acting_role
from webapp.extensions import db
from webapp.i18n import format_volume
from webapp.models import (
    BoardMember,
    Company,
    Customer,
    Meter,
    Person,
    Property,
    Reading,
    ReadingChannel,
    ServiceContract,
    Site,
    SiteRole,
    StaffRole,
    contract_site,
)
from webapp.navigation import current_utility
from webapp.services import readings
from webapp.services.access import today_in_tallinn
from webapp.services.audit import record

T = TypeVar("T")

QUERY_MIN = 2
QUERY_MAX = 100
RESULTS_PER_GROUP = 20  # more than this: "refine your search"
READINGS_PER_METER = 12
REASON_MIN = 5
REASON_MAX = 500  # Reading.correction_reason
PURPOSE_MAX = 300  # AuditEvent.purpose
PURPOSE_DETAILS_MAX = 300

CUSTOMER, PERSON = "customer", "person"
CARD_KINDS = (CUSTOMER, PERSON)

# Why a staff member opens someone's data: (form value, the wording the audit
# trail keeps, the label shown). The trail keeps the English wording whatever the
# staff member's language, so that ``purpose_label`` can show it in the reader's.
PURPOSE_OTHER = "other"
REBATE_REVIEW = "rebate_review"
CONTRACT_APPLICATION = "contract_application"
INVOICE_CLAIM = "invoice_claim"
PAYMENT_MATCHING = "payment_matching"
OFFICIAL_ACT = "official_act"
PURPOSE_CHOICES: tuple[tuple[str, str, Any], ...] = (
    ("phone_call", "phone call", _l("phone call")),
    ("written_request", "customer's written request", _l("customer's written request")),
    ("billing_question", "billing question", _l("billing question")),
    ("meter_work", "meter inspection or replacement", _l("meter inspection or replacement")),
    (REBATE_REVIEW, "garden-water rebate review", _l("garden-water rebate review")),
    (CONTRACT_APPLICATION, "service contract application",
     _l("service contract application")),
    (INVOICE_CLAIM, "claim about an invoice", _l("claim about an invoice")),
    (PAYMENT_MATCHING, "matching a bank payment", _l("matching a bank payment")),
    (OFFICIAL_ACT, "official act", _l("official act")),
    (PURPOSE_OTHER, "other", _l("other")),
)
_PURPOSE_WORDING = {code: english for code, english, _label in PURPOSE_CHOICES}

# The purposes given in this login session live in the (signed, cookie) session:
# a list of [card key, purpose], newest last, bounded so the cookie stays small.
_PURPOSES_SESSION_KEY = "staff_purposes"
_PURPOSES_REMEMBERED = 30
_PURPOSES_CHARACTERS = 1500


# --------------------------------------------------------------------------- purposes


def purpose_text(code: str, details: str | None) -> str:
    """What the audit trail keeps: the reason's wording, with the details if any."""
    details = (details or "").strip()
    if code == PURPOSE_OTHER:
        text = details
    else:
        wording = _PURPOSE_WORDING[code]
        text = f"{wording}: {details}" if details else wording
    # The column holds 300 characters; the listed wording takes a few of them.
    return text if len(text) <= PURPOSE_MAX else text[: PURPOSE_MAX - 1] + "…"


def purpose_label(text: str | None) -> str:
    """A stored purpose in the reader's language: the listed wording is translated,
    free text is shown as it was written."""
    if not text:
        return ""
    for code, wording, label in PURPOSE_CHOICES:
        if code == PURPOSE_OTHER:
            continue
        if text == wording:
            return str(label)
        if text.startswith(wording + ": "):
            return f"{label}: {text[len(wording) + 2 :]}"
    return text


def _purpose_entries() -> list[list[str]]:
    entries = session.get(_PURPOSES_SESSION_KEY)
    if not isinstance(entries, list):
        return []
    return [
        entry for entry in entries
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
    ]


def _card_key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def given_purpose(kind: str, object_id: int) -> str | None:
    """The purpose given in this session for opening this card, if any."""
    key = _card_key(kind, object_id)
    for entry_key, text in _purpose_entries():
        if entry_key == key:
            return text
    return None


def remember_purpose(kind: str, object_id: int, text: str) -> None:
    key = _card_key(kind, object_id)
    entries = [entry for entry in _purpose_entries() if entry[0] != key]
    entries.append([key, text])
    while len(entries) > _PURPOSES_REMEMBERED or (
        sum(len(k) + len(t) for k, t in entries) > _PURPOSES_CHARACTERS and len(entries) > 1
    ):
        entries.pop(0)  # the oldest: its card asks again
    session[_PURPOSES_SESSION_KEY] = entries


_LARGEST_ID = 2**31 - 1  # an INTEGER key; a larger number names nothing


def _get(model: type[T], object_id: int, options: Sequence[Any] = ()) -> T | None:
    if not 0 < object_id <= _LARGEST_ID:
        return None
    return db.session.get(model, object_id, options=options)


def card_exists(kind: str, object_id: int) -> bool:
    if kind not in CARD_KINDS:
        return False
    model: type[Any] = Customer if kind == CUSTOMER else Person
    return _get(model, object_id) is not None


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class ResultGroup(Generic[T]):
    items: list[T]
    more: bool  # there were more than RESULTS_PER_GROUP


@dataclass(frozen=True)
class SiteHit:
    site: Site
    customers: list[Customer]


@dataclass(frozen=True)
class MeterHit:
    meter: Meter
    customers: list[Customer]


@dataclass(frozen=True)
class SearchResults:
    query: str
    customers: ResultGroup[Customer]
    persons: ResultGroup[Person]
    sites: ResultGroup[SiteHit]
    meters: ResultGroup[MeterHit]

    @property
    def count(self) -> int:
        return sum(
            len(group.items) for group in (self.customers, self.persons, self.sites, self.meters)
        )

    @property
    def more(self) -> bool:
        return any(group.more for group in (self.customers, self.persons, self.sites, self.meters))


def _capped(statement: Select[Any]) -> tuple[list[Any], bool]:
    rows = list(db.session.scalars(statement.limit(RESULTS_PER_GROUP + 1)).unique())
    return rows[:RESULTS_PER_GROUP], len(rows) > RESULTS_PER_GROUP


def _person_matches(text: str, compact: str) -> Any:
    return or_(
        Person.personal_code.startswith(compact, autoescape=True),
        (Person.given_name + " " + Person.family_name).icontains(text, autoescape=True),
        (Person.family_name + " " + Person.given_name).icontains(text, autoescape=True),
    )


def search(actor: Actor, query: str) -> SearchResults:
    """Customers, persons, sites and meters matching ``query`` (already cleaned, at
    least QUERY_MIN characters): codes and numbers from their start, names and
    addresses anywhere, all without regard to case; spaces in codes are ignored."""
    text = query
    compact = re.sub(r"\s+", "", query)

    contract_customers = select(ServiceContract.customer_id).where(
        ServiceContract.number.istartswith(compact, autoescape=True)
    )
    customers, more_customers = _capped(
        select(Customer)
        .outerjoin(Person, Customer.person_id == Person.id)
        .outerjoin(Company, Customer.company_id == Company.id)
        .where(
            or_(
                _person_matches(text, compact),
                Company.registry_code.startswith(compact, autoescape=True),
                Company.name.icontains(text, autoescape=True),
                Customer.id.in_(contract_customers),
            )
        )
        .options(joinedload(Customer.person), joinedload(Customer.company))
        .order_by(func.coalesce(Company.name, Person.family_name), Person.given_name, Customer.id)
    )
    persons, more_persons = _capped(
        select(Person)
        .where(_person_matches(text, compact))
        .order_by(Person.family_name, Person.given_name, Person.id)
    )
    sites, more_sites = _capped(
        select(Site)
        .join(Property, Site.property_id == Property.id)
        .where(
            or_(
                Site.code.istartswith(compact, autoescape=True),
                Site.address.icontains(text, autoescape=True),
                Property.cadastral_number.startswith(compact, autoescape=True),
            )
        )
        .order_by(Site.address, Site.code)
    )
    meters, more_meters = _capped(
        select(Meter)
        .where(Meter.number.istartswith(compact, autoescape=True))
        .options(joinedload(Meter.site))
        .order_by(Meter.number)
    )
    owners = customers_of_sites({site.id for site in sites} | {m.site_id for m in meters})
    results = SearchResults(
        query=query,
        customers=ResultGroup(customers, more_customers),
        persons=ResultGroup(persons, more_persons),
        sites=ResultGroup([SiteHit(s, owners.get(s.id, [])) for s in sites], more_sites),
        meters=ResultGroup([MeterHit(m, owners.get(m.site_id, [])) for m in meters], more_meters),
    )
    # The results show names and codes: who searched for what is on record
    # (no subject: nobody's card was opened).
    record(
        "search",
        "search",
        None,
        acting_as=acting_role(actor, Action.STAFF_SEARCH),
        after={"query": query, "results": results.count},
    )
    db.session.flush()
    return results


def customers_of_sites(
    site_ids: Iterable[int], on: dt.date | None = None
) -> dict[int, list[Customer]]:
    """Each site's customers: the one with a contract in force first, then earlier ones."""
    ids = set(site_ids)
    if not ids:
        return {}
    on = on or _today()
    rows = db.session.execute(
        select(contract_site.c.site_id, ServiceContract)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(contract_site.c.site_id.in_(ids))
        .options(
            joinedload(ServiceContract.customer).joinedload(Customer.person),
            joinedload(ServiceContract.customer).joinedload(Customer.company),
        )
    ).all()
    by_site: dict[int, list[ServiceContract]] = defaultdict(list)
    for site_id, contract in rows:
        by_site[site_id].append(contract)
    result: dict[int, list[Customer]] = {}
    for site_id, contracts in by_site.items():
        contracts.sort(key=lambda c: (not c.is_in_force(on), -c.start_date.toordinal(), c.id))
        seen: dict[int, Customer] = {}
        for contract in contracts:
            seen.setdefault(contract.customer_id, contract.customer)
        result[site_id] = list(seen.values())
    return result


def _today() -> dt.date:
    return today_in_tallinn()


# --------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class MeterCard:
    meter: Meter
    readings: list[Reading]  # newest first, replaced ones included


@dataclass(frozen=True)
class SiteCard:
    site: Site
    contract_numbers: list[str]
    meters: list[MeterCard]
    roles: list[SiteRole]


@dataclass(frozen=True)
class CustomerCard:
    customer: Customer
    contracts: list[ServiceContract]
    sites: list[SiteCard]
    board_members: list[Person]
    today: dt.date
    documents: list[Any] = field(default_factory=list)  # none in the model yet


@dataclass(frozen=True)
class CustomerLink:
    customer: Customer
    relation: str  # "customer" (the person is the customer) or "board_member"


@dataclass(frozen=True)
class PersonCard:
    person: Person
    customers: list[CustomerLink]
    site_roles: list[SiteRole]
    site_customers: dict[int, list[Customer]]  # the customers of the sites of those roles
    staff_roles: list[StaffRole]
    today: dt.date


def recent_readings(meter_ids: Sequence[int], per_meter: int = READINGS_PER_METER
                    ) -> dict[int, list[Reading]]:
    """The newest ``per_meter`` readings of each meter (replaced ones too), in one query."""
    if not meter_ids:
        return {}
    ranked = (
        select(
            Reading.id,
            func.row_number()
            .over(
                partition_by=Reading.meter_id,
                order_by=(
                    Reading.reading_date.desc(),
                    Reading.measured_at.desc().nulls_first(),  # no time: the end of the day
                    Reading.id.desc(),
                ),
            )
            .label("position"),
        )
        .where(Reading.meter_id.in_(meter_ids))
        .subquery()
    )
    rows = db.session.scalars(
        select(Reading)
        .join(ranked, ranked.c.id == Reading.id)
        .where(ranked.c.position <= per_meter)
        .options(selectinload(Reading.submitted_by), selectinload(Reading.replaced_by))
        .order_by(ranked.c.position)
    ).all()
    result: dict[int, list[Reading]] = defaultdict(list)
    for reading in rows:
        result[reading.meter_id].append(reading)
    return result


def load_customer(customer_id: int) -> Customer:
    customer = _get(
        Customer, customer_id, options=[joinedload(Customer.person), joinedload(Customer.company)]
    )
    if customer is None:
        abort(404)
    return customer


def customer_card(customer: Customer) -> CustomerCard:
    contracts = list(
        db.session.scalars(
            select(ServiceContract)
            .where(ServiceContract.customer_id == customer.id)
            .options(selectinload(ServiceContract.sites).joinedload(Site.property))
            .order_by(ServiceContract.start_date.desc(), ServiceContract.id.desc())
        )
    )
    sites: dict[int, Site] = {}
    numbers: dict[int, list[str]] = defaultdict(list)
    for contract in contracts:
        for site in contract.sites:
            sites.setdefault(site.id, site)
            numbers[site.id].append(contract.number)
    ordered_sites = sorted(sites.values(), key=lambda s: (s.address, s.code))
    meters = list(
        db.session.scalars(
            select(Meter).where(Meter.site_id.in_(list(sites))).order_by(Meter.number)
        )
    ) if sites else []
    readings = recent_readings([meter.id for meter in meters])
    roles = list(
        db.session.scalars(
            select(SiteRole)
            .where(SiteRole.site_id.in_(list(sites)))
            .options(joinedload(SiteRole.person))
            .order_by(SiteRole.role, SiteRole.valid_from, SiteRole.id)
        )
    ) if sites else []
    meters_by_site: dict[int, list[MeterCard]] = defaultdict(list)
    for meter in meters:
        meters_by_site[meter.site_id].append(MeterCard(meter, readings.get(meter.id, [])))
    roles_by_site: dict[int, list[SiteRole]] = defaultdict(list)
    for role in roles:
        roles_by_site[role.site_id].append(role)
    board_members: list[Person] = []
    if customer.company is not None:
        board_members = list(
            db.session.scalars(
                select(Person)
                .join(BoardMember, BoardMember.person_id == Person.id)
                .where(BoardMember.company_id == customer.company_id)
                .order_by(Person.family_name, Person.given_name)
            )
        )
    return CustomerCard(
        customer=customer,
        contracts=contracts,
        sites=[
            SiteCard(site, numbers[site.id], meters_by_site[site.id], roles_by_site[site.id])
            for site in ordered_sites
        ],
        board_members=board_members,
        today=_today(),
    )


def view_customer_card(actor: Actor, customer: Customer, purpose: str) -> CustomerCard:
    card = customer_card(customer)
    record(
        "view_customer_card",
        "customer",
        customer.id,
        acting_as=acting_role(actor, Action.STAFF_VIEW_CUSTOMER),
        subject_person_id=customer.person_id,  # a company's data has no person subject
        purpose=purpose,
    )
    db.session.flush()
    return card


def load_person(person_id: int) -> Person:
    person = _get(Person, person_id)
    if person is None:
        abort(404)
    return person


def person_card(person: Person) -> PersonCard:
    own = db.session.scalars(
        select(Customer).where(Customer.person_id == person.id)
        .options(joinedload(Customer.person))
    ).all()
    led = db.session.scalars(
        select(Customer)
        .join(BoardMember, BoardMember.company_id == Customer.company_id)
        .where(BoardMember.person_id == person.id)
        .options(joinedload(Customer.company))
    ).all()
    site_roles = db.session.scalars(
        select(SiteRole)
        .where(SiteRole.person_id == person.id)
        .options(joinedload(SiteRole.site))
        .order_by(SiteRole.valid_from.desc(), SiteRole.id)
    ).all()
    staff_roles = db.session.scalars(
        select(StaffRole).where(StaffRole.person_id == person.id).order_by(StaffRole.role)
    ).all()
    return PersonCard(
        person=person,
        customers=[CustomerLink(c, "customer") for c in own]
        + [CustomerLink(c, "board_member") for c in led],
        site_roles=list(site_roles),
        site_customers=customers_of_sites(role.site_id for role in site_roles),
        staff_roles=list(staff_roles),
        today=_today(),
    )


def view_person_card(actor: Actor, person: Person, purpose: str) -> PersonCard:
    card = person_card(person)
    record(
        "view_person_card",
        "person",
        person.id,
        acting_as=acting_role(actor, Action.STAFF_VIEW_CUSTOMER),
        subject_person_id=person.id,
        purpose=purpose,
    )
    db.session.flush()
    return card


# --------------------------------------------------------------------------- readings


class ReadingRejected(Exception):
    """The reading breaks a rule; ``errors`` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


_END_OF_DAY = dt.datetime.max.replace(tzinfo=dt.UTC)


def _position(reading: Reading) -> tuple[dt.date, dt.datetime, int]:
    """Where a reading stands on its meter's time line; one without an hour states
    the meter at the end of its day (DOMAIN.md, Decisions)."""
    return (reading.reading_date, reading.measured_at or _END_OF_DAY, reading.id)


def _current_readings(meter_id: int) -> Select[tuple[Reading]]:
    return select(Reading).where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None))


def last_current_reading(meter_id: int) -> Reading | None:
    return db.session.scalar(
        _current_readings(meter_id)
        .order_by(
            Reading.reading_date.desc(),
            Reading.measured_at.desc().nulls_first(),
            Reading.id.desc(),
        )
        .limit(1)
    )


@dataclass(frozen=True)
class MeterContext:
    meter: Meter
    customer: Customer
    last: Reading | None


def meter_context(meter_id: int) -> MeterContext:
    """The meter, whose customer it serves and its last current reading; 404 for an
    unknown meter or one at a site no customer ever held (no card to work from)."""
    meter = _get(Meter, meter_id, options=[joinedload(Meter.site)])
    if meter is None:
        abort(404)
    customers = customers_of_sites([meter.site_id]).get(meter.site_id)
    if not customers:
        abort(404)
    return MeterContext(meter=meter, customer=customers[0], last=last_current_reading(meter.id))


def new_reading_problems(
    context: MeterContext, value: Decimal, day: dt.date, today: dt.date
) -> dict[str, list[Any]]:
    """The rules a reading entered by staff must meet (the same rules as every
    channel, ``domain/readings.py``), as messages per field. Staff enter what the
    customer reports, so the warnings that ask a customer to confirm do not stop it."""
    facts = readings.meter_facts([context.meter.id], today)[context.meter.id]
    check = rules.check_reading(facts.state, value, day, today)
    problems: dict[str, list[Any]] = defaultdict(list)
    utility = current_utility()
    for finding in check.errors:
        problems[finding.field].append(readings.finding_message(finding, utility))
    return dict(problems)


def _volume(value: Decimal) -> str:
    return format_volume(value)


def enter_reading(
    actor: Actor, context: MeterContext, value: Decimal, day: dt.date, purpose: str
) -> Reading:
    """A reading entered by staff on the customer's behalf (channel ``staff``)."""
    problems = new_reading_problems(context, value, day, _today())
    if problems:
        raise ReadingRejected(problems)
    reading = Reading(
        meter_id=context.meter.id,
        value=value,
        reading_date=day,
        channel=ReadingChannel.STAFF,
        submitted_by_id=actor.person_id,
    )
    db.session.add(reading)
    db.session.flush()
    last = context.last
    if last is not None and last.reading_date == day and last.measured_at is None:
        last.replaced_by_id = reading.id  # the same day's reading: replaced, kept
    record(
        "enter_reading",
        "reading",
        reading.id,
        acting_as=acting_role(actor, Action.STAFF_ENTER_READING),
        subject_person_id=context.customer.person_id,
        after={"meter": context.meter.number, "value": value, "date": day},
        purpose=purpose,
    )
    db.session.flush()
    return reading


@dataclass(frozen=True)
class ReadingContext:
    reading: Reading
    meter: Meter
    customer: Customer
    previous: Reading | None  # the current reading just before it on the meter
    following: Reading | None  # and just after it


def reading_context(reading_id: int) -> ReadingContext:
    reading = _get(Reading, reading_id, options=[joinedload(Reading.meter).joinedload(Meter.site)])
    if reading is None:
        abort(404)
    customers = customers_of_sites([reading.meter.site_id]).get(reading.meter.site_id)
    if not customers:
        abort(404)
    previous, following = _neighbours(reading)
    return ReadingContext(reading, reading.meter, customers[0], previous, following)


def _neighbours(reading: Reading) -> tuple[Reading | None, Reading | None]:
    current = _current_readings(reading.meter_id).where(Reading.id != reading.id)
    candidates = list(
        db.session.scalars(current.where(Reading.reading_date == reading.reading_date))
    )
    before = db.session.scalar(
        current.where(Reading.reading_date < reading.reading_date)
        .order_by(Reading.reading_date.desc(), Reading.measured_at.desc().nulls_first(),
                  Reading.id.desc())
        .limit(1)
    )
    after = db.session.scalar(
        current.where(Reading.reading_date > reading.reading_date)
        .order_by(Reading.reading_date, Reading.measured_at.nulls_last(), Reading.id)
        .limit(1)
    )
    candidates += [r for r in (before, after) if r is not None]
    here = _position(reading)
    earlier = [r for r in candidates if _position(r) < here]
    later = [r for r in candidates if _position(r) > here]
    return (
        max(earlier, key=_position) if earlier else None,
        min(later, key=_position) if later else None,
    )


def correction_problems(context: ReadingContext, value: Decimal) -> dict[str, list[Any]]:
    problems: dict[str, list[Any]] = defaultdict(list)
    if not context.reading.is_current:
        problems["value"].append(_l("This reading has already been corrected."))
    if value == context.reading.value:
        problems["value"].append(_l("The correct reading is the same as the old one."))
    if context.previous is not None and value < context.previous.value:
        problems["value"].append(
            _l("The reading cannot be lower than the one before it, %(value)s m³ on %(day)s.",
               value=_volume(context.previous.value),
               day=context.previous.reading_date.strftime("%d.%m.%Y"))
        )
    if context.following is not None and value > context.following.value:
        problems["value"].append(
            _l("The reading cannot be higher than the one after it, %(value)s m³ on %(day)s.",
               value=_volume(context.following.value),
               day=context.following.reading_date.strftime("%d.%m.%Y"))
        )
    return dict(problems)


def correct_reading(
    actor: Actor, context: ReadingContext, value: Decimal, reason: str, purpose: str
) -> Reading:
    """Replace a wrong reading by a new one; the old one stays, pointing at the new."""
    problems = correction_problems(context, value)
    if problems:
        raise ReadingRejected(problems)
    old = context.reading
    # A smart reading's moment is unique among current readings: the new one takes
    # it over only once the old one is replaced (uq_reading_meter_measured_at).
    new = Reading(
        meter_id=old.meter_id,
        value=value,
        reading_date=old.reading_date,
        measured_at=None,
        channel=ReadingChannel.STAFF,
        submitted_by_id=actor.person_id,
        correction_reason=reason,
    )
    db.session.add(new)
    db.session.flush()
    # Only while nobody else has replaced it meanwhile (two clerks at once).
    replaced = db.session.execute(
        update(Reading)
        .where(Reading.id == old.id, Reading.replaced_by_id.is_(None))
        .values(replaced_by_id=new.id)
        .execution_options(synchronize_session=False)
    )
    if replaced.rowcount != 1:  # type: ignore[attr-defined]
        raise ReadingRejected({"value": [_l("This reading has already been corrected.")]})
    db.session.refresh(old)
    new.measured_at = old.measured_at
    record(
        "correct_reading",
        "reading",
        old.id,
        acting_as=acting_role(actor, Action.STAFF_CORRECT_READING),
        subject_person_id=context.customer.person_id,
        before={"value": old.value},
        after={"value": value, "reason": reason, "replaced_by": new.id},
        purpose=purpose,
    )
    db.session.flush()
    return new
