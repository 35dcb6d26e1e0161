"""A service contract's life after signing (KEE §6-§7, issue 8 items 4 and 5): a sale
notified ahead, termination with a final reading, the utility's termination with a
written notice, temporary closure of the supply and its reopening, renewal within a
year of the end, and the sites used without a contract after a sale.

Who may act: the customer (the person, or a board member of the company) and the
owners and managers of the contract's sites (``TERMINATE_CONTRACT``); the utility's
clerks for its own terminations. Services flush; the route commits, then delivers
the notifications.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from flask import abort, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from webapp.domain import deadlines
from webapp.domain.deadlines import DeadlineId
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.extensions import db
from webapp.models import (
    OPEN_APPLICATION_STATUSES,
    BoardMember,
    ContractApplication,
    ContractApplicationEvent,
    ContractApplicationKind,
    ContractApplicationStatus,
    ContractEvent,
    ContractEventKind,
    Customer,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    ReadingChannel,
    ServiceContract,
    TerminationGround,
    Utility,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import readings, uploads
from webapp.services.access import contract_in_force
from webapp.services.audit import record
from webapp.services.backoffice import CONTRACT_APPLICATION, purpose_text
from webapp.services.notifications import notify

E = ContractEventKind
GROUND_NAMES = {
    TerminationGround.CAUSES_NOT_REMOVED: _l(
        "the causes for which the supply was closed were not removed by the day set"),
    TerminationGround.UNAUTHORISED_REBUILDING: _l(
        "the property's water or sewer system was rebuilt without permission"),
    TerminationGround.DEMOLITION: _l("the buildings were demolished"),
    TerminationGround.LIQUIDATION: _l("the company is liquidated without a successor"),
    TerminationGround.BANKRUPTCY: _l("the company was declared bankrupt"),
    TerminationGround.OWNER_DIED: _l("the owner died without an heir"),
    TerminationGround.CONTRACT_GROUNDS: _l("a ground the contract provides"),
}
EVENT_NAMES = {
    E.SALE_NOTICE: _l("A sale of the property was notified."),
    E.TERMINATION: _l("The customer ended the contract."),
    E.UTILITY_TERMINATION: _l("The utility ended the contract."),
    E.CLOSURE: _l("The supply was closed for a time."),
    E.REOPENING: _l("The supply was opened again."),
}


class ContractRefusal(Exception):
    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


# --------------------------------------------------------------------------- access


def _customer_ids_of(person: Person) -> list[int]:
    """The customers the person is: themselves, and the companies whose board they sit on."""
    led = select(BoardMember.company_id).where(BoardMember.person_id == person.id)
    return list(db.session.scalars(select(Customer.id).where(
        or_(Customer.person_id == person.id, Customer.company_id.in_(led)))))


def contracts_of(actor: Actor, person: Person) -> list[ServiceContract]:
    """The person's contracts as a customer (ended ones too), and those of the sites
    they manage; newest first."""
    site_ids = [site for site in actor.site_roles if can(actor, Action.VIEW_CONTRACT, site)]
    by_site = select(contract_site.c.contract_id).where(contract_site.c.site_id.in_(site_ids))
    return list(db.session.scalars(
        select(ServiceContract).where(or_(
            ServiceContract.customer_id.in_(_customer_ids_of(person)),
            ServiceContract.id.in_(by_site)))
        .order_by(ServiceContract.start_date.desc(), ServiceContract.id.desc())))


def contract_for(actor: Actor, person: Person, contract_id: int) -> ServiceContract:
    contract = db.session.get(ServiceContract, contract_id)
    if contract is None:
        abort(404)
    if contract.customer_id in _customer_ids_of(person):
        return contract
    if any(can(actor, Action.VIEW_CONTRACT, site.id) for site in contract.sites):
        return contract
    abort(404)


def _may_change(actor: Actor, person: Person, contract: ServiceContract) -> str:
    """The role under which the person changes the contract; 404 if they may not."""
    if contract.customer_id in _customer_ids_of(person):
        return "self"
    for site in contract.sites:
        if can(actor, Action.TERMINATE_CONTRACT, site.id):
            return acting_role(actor, Action.TERMINATE_CONTRACT, site.id)
    abort(404)


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Closure:
    start: dt.date
    until: dt.date


def closure(contract: ServiceContract, today: dt.date) -> Closure | None:
    """The supply's temporary closure in effect or planned (KEE §6(2)), if any."""
    current: Closure | None = None
    for event in contract.events:
        if event.kind is E.CLOSURE and event.until is not None:
            current = Closure(event.effective_on, event.until)
        elif event.kind is E.REOPENING and current is not None:
            current = None if event.effective_on <= current.start else Closure(
                current.start, min(current.until, event.effective_on - dt.timedelta(days=1)))
    if current is None or current.until < today:
        return None
    return current


def has_ended(contract: ServiceContract, today: dt.date) -> bool:
    return contract.end_date is not None and contract.end_date < today


def ending(contract: ServiceContract, today: dt.date) -> bool:
    """A last day is set and has not passed: nothing more may be changed but that."""
    return contract.end_date is not None and contract.end_date >= today


def renewal_until(contract: ServiceContract) -> dt.date | None:
    """KEE §7(1): the last day the ended contract may be renewed without a new
    connection contract."""
    if contract.end_date is None:
        return None
    return deadlines.due(DeadlineId.RENEWAL, contract.end_date)


def latest_sale_notice(sale_on: dt.date) -> dt.date:
    """KEE §6(1): the customer notifies a sale at least 14 days ahead."""
    return deadlines.due(DeadlineId.SALE_NOTICE, sale_on)


# --------------------------------------------------------------------------- the customer


def _event(contract: ServiceContract, kind: ContractEventKind, actor_id: int | None,
           effective_on: dt.date, **values: object) -> ContractEvent:
    event = ContractEvent(kind=kind, actor_id=actor_id, effective_on=effective_on, **values)
    contract.events.append(event)
    db.session.flush()
    return event


def _audit(actor: Actor, acting_as: str, contract: ServiceContract, action: str,
           after: dict[str, object]) -> None:
    subject = contract.customer.person_id if contract.customer else None
    record(action, "service_contract", contract.id, acting_as=acting_as,
           subject_person_id=subject, after=after,
           purpose=purpose_text(CONTRACT_APPLICATION, None) if acting_as in (
               "clerk", "admin") else None, actor_id=actor.person_id)


def _open(contract: ServiceContract, today: dt.date) -> None:
    if has_ended(contract, today):
        raise ContractRefusal(_("The contract has ended."))
    if ending(contract, today):
        raise ContractRefusal(_("The contract ends on %(day)s already.",
                                day=contract.end_date.strftime("%d.%m.%Y")))  # type: ignore[union-attr]


def notify_sale(actor: Actor, person: Person, contract: ServiceContract, sale_on: dt.date,
                new_owner: str, today: dt.date) -> None:
    """The customer sells the property: notified at least 14 days ahead, the contract
    ends the day before the new owner's day (KEE §6(1)), who has 7 days to apply."""
    role = _may_change(actor, person, contract)
    _open(contract, today)
    latest = latest_sale_notice(sale_on)
    if today > latest:
        raise ContractRefusal(
            _("A sale is notified at least 14 days ahead (KEE §6(1)): for a sale on %(sale)s, "
              "by %(latest)s.", sale=sale_on.strftime("%d.%m.%Y"),
              latest=latest.strftime("%d.%m.%Y")), ["sale_on"])
    contract.end_date = sale_on - dt.timedelta(days=1)
    _event(contract, E.SALE_NOTICE, actor.person_id, sale_on,
           new_owner=new_owner.strip()[:255] or None)
    _audit(actor, role, contract, "notify_sale", {"sale_on": sale_on, "new_owner": new_owner})
    _tell(contract, E.SALE_NOTICE, _("The contract ends on %(day)s. The new owner applies "
                                     "for a contract of their own within 7 days of acquiring "
                                     "the property (KEE §6(1)).",
                                     day=contract.end_date.strftime("%d.%m.%Y")))


def final_meters(contract: ServiceContract) -> list[Meter]:
    """The meters a final reading is taken of: the sites' active meters, not the smart
    ones (those report by themselves)."""
    site_ids = [site.id for site in contract.sites]
    return list(db.session.scalars(select(Meter).where(
        Meter.site_id.in_(site_ids), Meter.status == MeterStatus.ACTIVE,
        Meter.kind != MeterKind.SMART).order_by(Meter.number)))


def terminate(actor: Actor, person: Person, contract: ServiceContract, end_on: dt.date,
              reading_day: dt.date, values: dict[int, str], utility: Utility | None,
              today: dt.date) -> None:
    """End the contract at the customer's request (KEE §6(1)), with each meter's final
    reading on the final-reading date, checked by the rules of every reading."""
    role = _may_change(actor, person, contract)
    _open(contract, today)
    if end_on < today:
        raise ContractRefusal(_("The contract cannot end before today."), ["end_on"])
    meters = final_meters(contract)
    entries = [readings.Entry(meter.id, values.get(meter.id, ""), reading_day, confirmed=True)
               for meter in meters]
    missing = [meter.number for meter in meters if not values.get(meter.id, "").strip()]
    if missing:
        raise ContractRefusal(_("Enter the final reading of meter %(number)s.",
                                number=missing[0]), ["readings"])
    outcomes, facts = readings.judge_entries(actor, entries, utility, today)
    for meter, outcome in zip(meters, outcomes, strict=True):
        if outcome.errors:
            raise ContractRefusal(f"{meter.number}: {outcome.errors[0]}", ["readings"])
    readings.save_ready(actor, outcomes, facts, ReadingChannel.WEB)
    contract.end_date = end_on
    _event(contract, E.TERMINATION, actor.person_id, end_on,
           note=_("Final readings on %(day)s.", day=reading_day.strftime("%d.%m.%Y")))
    _audit(actor, role, contract, "terminate_contract",
           {"end_on": end_on, "reading_day": reading_day})
    _tell(contract, E.TERMINATION, _("The contract ends on %(day)s.",
                                     day=end_on.strftime("%d.%m.%Y")))


def close_supply(actor: Actor, person: Person, contract: ServiceContract, start: dt.date,
                 until: dt.date, today: dt.date) -> None:
    """KEE §6(2): the supply closed for up to a year without ending the contract; the
    customer pays the closing and the reopening as the price list says."""
    role = _may_change(actor, person, contract)
    _open(contract, today)
    if closure(contract, today) is not None:
        raise ContractRefusal(_("The supply is closed already, or its closure is planned."))
    if start < today:
        raise ContractRefusal(_("The closure cannot start before today."), ["start"])
    if until < start:
        raise ContractRefusal(_("The end cannot be before the start."), ["until"])
    longest = deadlines.due(DeadlineId.TEMPORARY_CLOSURE, start)
    if until > longest:
        raise ContractRefusal(_("The supply is closed for up to a year (KEE §6(2)): until "
                                "%(day)s at the latest.", day=longest.strftime("%d.%m.%Y")),
                              ["until"])
    _event(contract, E.CLOSURE, actor.person_id, start, until=until)
    _audit(actor, role, contract, "close_supply", {"start": start, "until": until})
    _tell(contract, E.CLOSURE, _("The supply is closed from %(start)s until %(until)s. The "
                                 "closing and the reopening are charged as the price list "
                                 "says.", start=start.strftime("%d.%m.%Y"),
                                 until=until.strftime("%d.%m.%Y")))


def reopen(actor: Actor, person: Person, contract: ServiceContract, today: dt.date) -> None:
    """The supply opened again on request (KEE §6(2)); a closure not begun is called off."""
    role = _may_change(actor, person, contract)
    current = closure(contract, today)
    if current is None:
        raise ContractRefusal(_("The supply is not closed."))
    _event(contract, E.REOPENING, actor.person_id, max(today, current.start))
    _audit(actor, role, contract, "reopen_supply", {"on": today})
    _tell(contract, E.REOPENING, _("The supply is open again."))


def renew(actor: Actor, person: Person, contract: ServiceContract, today: dt.date
          ) -> ContractApplication:
    """KEE §7(1): within a year of the end, the contract is renewed as it was without a
    new connection contract: an application the utility handles like any other."""
    if contract.customer_id not in _customer_ids_of(person):
        abort(404)
    if not has_ended(contract, today):
        raise ContractRefusal(_("The contract has not ended."))
    last = renewal_until(contract)
    if last is None or today > last:
        raise ContractRefusal(_("More than a year has passed since the contract ended: a "
                                "new connection contract is needed (KEE §7(1)). Please "
                                "contact the utility."))
    pending = db.session.scalar(select(exists().where(
        ContractApplication.renews_id == contract.id,
        ContractApplication.status.in_((*OPEN_APPLICATION_STATUSES,
                                        ContractApplicationStatus.SIGNED)))))
    if pending:
        raise ContractRefusal(_("The renewal has been applied for already."))
    site = contract.sites[0] if contract.sites else None
    now = utcnow()
    application = ContractApplication(
        applicant_id=person.id, company_id=contract.customer.company_id,
        kind=ContractApplicationKind.RENEWAL, renews_id=contract.id,
        cadastral_number=site.property.cadastral_number if site else None,
        address=site.address if site else None, email=contract.customer.email or person.email,
        phone=person.phone, status=ContractApplicationStatus.RECEIVED,
        submitted_at=now, complete_at=now)
    application.events.append(ContractApplicationEvent(
        kind="submitted", status=ContractApplicationStatus.RECEIVED, actor_id=person.id))
    db.session.add(application)
    db.session.flush()
    return application


# --------------------------------------------------------------------------- the utility


def terminate_by_utility(actor: Actor, contract: ServiceContract, ground: TerminationGround,
                         end_on: dt.date, note: str, today: dt.date) -> ContractEvent:
    """KEE §6(3): the utility ends the contract on one of its grounds and tells the
    customer in writing (§6(4)): a notice PDF, kept under its SHA-256."""
    if not can(actor, Action.STAFF_HANDLE_CONTRACTS):
        abort(404)
    if has_ended(contract, today):
        raise ContractRefusal(_("The contract has ended."))
    if end_on < today:
        raise ContractRefusal(_("The contract cannot end before today."), ["end_on"])
    contract.end_date = end_on
    event = _event(contract, E.UTILITY_TERMINATION, actor.person_id, end_on, ground=ground,
                   note=note.strip()[:2000] or None)
    from webapp.services.contract_documents import termination_notice_pdf

    data = termination_notice_pdf(contract, event)
    event.notice_file = uploads.store(uploads.Checked(
        data, uploads.PDF, hashlib.sha256(data).hexdigest(),
        f"{contract.number}-lopetamine.pdf"), actor.person_id)
    db.session.flush()
    _audit(actor, acting_role(actor, Action.STAFF_HANDLE_CONTRACTS), contract,
           "terminate_contract_by_utility",
           {"ground": ground, "end_on": end_on, "sha256": event.notice_file.sha256})
    _tell(contract, E.UTILITY_TERMINATION, _(
        "The contract ends on %(day)s on the ground of KEE §6(3) point %(point)s. The "
        "written notice is in the portal.", day=end_on.strftime("%d.%m.%Y"),
        point=ground.value))
    return event


@dataclass(frozen=True)
class WithoutContract:
    contract: ServiceContract
    sale_on: dt.date
    due: dt.date  # the new owner's last day to apply (KEE §6(1))
    new_owner: str | None


def used_without_contract(today: dt.date) -> list[WithoutContract]:
    """Sites sold whose new owner has not applied within 7 days of acquiring (KEE §6(1)):
    the utility may treat their use as unauthorised (the acts issue draws up the act)."""
    found = []
    sales = db.session.scalars(select(ContractEvent).where(
        ContractEvent.kind == E.SALE_NOTICE).order_by(ContractEvent.effective_on))
    for sale in sales:
        due = deadlines.due(DeadlineId.NEW_OWNER_APPLICATION, sale.effective_on)
        if today <= due:
            continue
        contract = sale.contract
        site_ids = [site.id for site in contract.sites]
        covered = db.session.scalar(select(exists().where(
            contract_site.c.site_id.in_(site_ids),
            contract_site.c.contract_id == ServiceContract.id,
            contract_in_force(today))))
        cadastral = [site.property.cadastral_number for site in contract.sites]
        applied = db.session.scalar(select(exists().where(
            ContractApplication.cadastral_number.in_(cadastral),
            ContractApplication.status != ContractApplicationStatus.DRAFT,
            ContractApplication.submitted_at >= sale.occurred_at)))
        if not covered and not applied:
            found.append(WithoutContract(contract, sale.effective_on, due, sale.new_owner))
    return found


# --------------------------------------------------------------------------- notifications


def _tell(contract: ServiceContract, kind: ContractEventKind, text: str) -> None:
    customer = contract.customer
    person = customer.person if customer else None
    locale = customer.locale if customer and customer.locale in ("et", "en", "ru") else "et"
    with force_locale(locale):
        subject = _("Service contract %(number)s: %(what)s", number=contract.number,
                    what=str(EVENT_NAMES[kind]).rstrip("."))
        body = "\n".join([str(EVENT_NAMES[kind]), "", text, "",
                          _("See the contract: %(url)s",
                            url=url_for("contracts.contract", contract_id=contract.id,
                                        _external=True))])
    notify(customer.email if customer else None, subject, body, person=person,
           about=("service_contract", contract.id))
