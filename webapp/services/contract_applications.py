"""Applications for a service contract (KEE §5, issue 8): the applicant's draft kept
between visits, its documents, sending it, the utility's queue with the draft's
legal deadline, asking for missing documents, assigning and rejecting.

Every step is an event on the application (its history) and a notification to the
applicant in their language. Services flush; the route commits and then delivers
the notifications.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from webapp.domain import deadlines
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.extensions import db
from webapp.models import (
    OPEN_APPLICATION_STATUSES,
    BoardMember,
    Company,
    ContractApplication,
    ContractApplicationEvent,
    ContractApplicationKind,
    ContractApplicationStatus,
    ContractDocument,
    ContractStatus,
    Customer,
    DocumentKind,
    InvoiceDelivery,
    LoginSession,
    Meter,
    MeterKind,
    MeterStatus,
    Person,
    PollutionGroup,
    Property,
    ServiceContract,
    Site,
    StaffRole,
    StaffRoleKind,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import contract_documents, uploads
from webapp.services.access import TALLINN, contract_in_force
from webapp.services.audit import record
from webapp.services.backoffice import CONTRACT_APPLICATION, purpose_text
from webapp.services.notifications import notify

DOCUMENT_MAX_BYTES = 10 * uploads.MEGABYTE  # issue 8: at most 10 MB a file
APPLICATION_MAX_BYTES = 30 * uploads.MEGABYTE  # and 30 MB an application
NOTE_MAX = 2000
STEPS = ("kind", "property", "contact", "documents", "send")

S = ContractApplicationStatus
STATUS_NAMES = {
    S.DRAFT: _l("being filled in"),
    S.RECEIVED: _l("received"),
    S.MISSING_DOCUMENTS: _l("documents missing"),
    S.DRAFT_SENT: _l("draft contract sent"),
    S.SIGNED: _l("signed"),
    S.REJECTED: _l("rejected"),
    S.WITHDRAWN: _l("withdrawn"),
}
KIND_NAMES = {
    ContractApplicationKind.NEW: _l("a new contract"),
    ContractApplicationKind.CHANGE_OF_OWNER: _l("a contract after a change of owner"),
    ContractApplicationKind.ADDITIONAL_SITE: _l("an additional site under my contract"),
    ContractApplicationKind.TEMPORARY: _l("a fixed-term contract for temporary use"),
    ContractApplicationKind.RENEWAL: _l("the renewal of my ended contract"),
}
DOCUMENT_NAMES = {
    DocumentKind.OWNERSHIP: _l("proof of ownership or of the right of use"),
    DocumentKind.AS_BUILT_DRAWING: _l("as-built drawing of the yard network"),
    DocumentKind.REPRESENTATIVE: _l("the co-owners' choice of their representative"),
    DocumentKind.OTHER: _l("other document"),
    DocumentKind.SIGNED_CONTRACT: _l("signed contract"),
}
# What each event tells the applicant (its history and its e-mail).
EVENT_NAMES = {
    "submitted": _l("The application was sent to the utility."),
    "documents_requested": _l("The utility asked for missing documents."),
    "documents_sent": _l("The missing documents were sent; the application is complete."),
    "assigned": _l("A clerk was assigned to the application."),
    "rejected": _l("The utility rejected the application."),
    "withdrawn": _l("The application was withdrawn."),
    "draft_sent": _l("The utility sent the draft contract: read it and accept it in the "
                     "portal, or send it back signed."),
    "accepted": _l("You accepted the contract in the portal; it is in force from its start "
                   "day."),
    "signed_uploaded": _l("The signed contract was received; it is in force from its start "
                          "day."),
}


class ApplicationRefusal(Exception):
    """What was asked breaks a rule; ``fields`` name the form fields it concerns."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


# --------------------------------------------------------------------------- the applicant


def represented_companies(person: Person) -> list[Company]:
    """Companies the person may apply for: those whose board they sit on."""
    return list(db.session.scalars(
        select(Company).join(BoardMember).where(BoardMember.person_id == person.id)
        .order_by(Company.name)))


def name_the_applicant(person: Person, given_name: str, family_name: str) -> None:
    """A login without a name (a test identity; TARA always gives one): the applicant
    names themselves, for the contract's parties."""
    if person.full_name.strip():
        return
    person.given_name, person.family_name = given_name.strip(), family_name.strip()
    db.session.flush()


def current_draft(person: Person) -> ContractApplication | None:
    return db.session.scalar(select(ContractApplication).where(
        ContractApplication.applicant_id == person.id,
        ContractApplication.status == S.DRAFT))


def draft_for(actor: Actor, person: Person) -> ContractApplication:
    """The person's draft, begun if there is none (one at a time: a unique index)."""
    if not can(actor, Action.APPLY_FOR_CONTRACT):
        abort(404)
    draft = current_draft(person)
    if draft is None:
        draft = ContractApplication(applicant_id=person.id, status=S.DRAFT,
                                    email=person.email, phone=person.phone)
        db.session.add(draft)
        db.session.flush()
    return draft


def own_application(actor: Actor, person: Person, application_id: int) -> ContractApplication:
    """The person's own application; 404 for anyone else's."""
    application = db.session.get(ContractApplication, application_id)
    if (application is None or application.applicant_id != person.id
            or not can(actor, Action.APPLY_FOR_CONTRACT)):
        abort(404)
    return application


def applications_of(person: Person) -> list[ContractApplication]:
    return list(db.session.scalars(
        select(ContractApplication).where(ContractApplication.applicant_id == person.id)
        .order_by(ContractApplication.created_at.desc(), ContractApplication.id.desc())))


def save_fields(application: ContractApplication, values: dict[str, Any]) -> None:
    """Keep what one step of the form says (the form has checked each field)."""
    if application.status is not S.DRAFT:
        raise ApplicationRefusal(_("A sent application can no longer be changed."))
    for name, value in values.items():
        setattr(application, name, value)
    if application.kind is not ContractApplicationKind.TEMPORARY:
        application.temporary_purpose = None
        application.period_start = application.period_end = None
    if application.kind is not ContractApplicationKind.CHANGE_OF_OWNER:
        application.acquired_on = None
    db.session.flush()


def _document_bytes(application: ContractApplication) -> int:
    return sum(document.file.size for document in application.documents)


def add_document(application: ContractApplication, person: Person, kind: DocumentKind,
                 checked: uploads.Checked) -> ContractDocument:
    """A document checked by its content, stored under its SHA-256; at most 30 MB in
    all for an application (issue 8)."""
    if application.status not in (S.DRAFT, S.MISSING_DOCUMENTS, S.RECEIVED):
        raise ApplicationRefusal(_("Documents can no longer be added to this application."))
    if kind is DocumentKind.SIGNED_CONTRACT:
        raise ApplicationRefusal(_("Choose what the document is."), ["kind"])
    if _document_bytes(application) + len(checked.data) > APPLICATION_MAX_BYTES:
        raise ApplicationRefusal(
            _("The documents of an application may be %(size)s MB in all; this one would "
              "go over it.", size=APPLICATION_MAX_BYTES // uploads.MEGABYTE), ["file"])
    document = ContractDocument(kind=kind, file=uploads.store(checked, person.id))
    application.documents.append(document)
    db.session.flush()
    return document


def remove_document(application: ContractApplication, document_id: int) -> None:
    if application.status is not S.DRAFT:
        raise ApplicationRefusal(_("A sent application's documents stay with it."))
    document = next((d for d in application.documents if d.id == document_id), None)
    if document is None:
        abort(404)
    application.documents.remove(document)
    db.session.flush()


@dataclass(frozen=True)
class Gap:
    step: str
    message: str


def gaps(application: ContractApplication) -> list[Gap]:
    """What the application still lacks before it can be sent, step by step."""
    found: list[Gap] = []
    kinds = {document.kind for document in application.documents}
    if application.kind is ContractApplicationKind.TEMPORARY and not (
            application.temporary_purpose and application.period_start
            and application.period_end):
        found.append(Gap("kind", _("A fixed-term contract needs its purpose and period "
                                   "(KEE §30).")))
    if application.kind is ContractApplicationKind.CHANGE_OF_OWNER and not (
            application.acquired_on):
        found.append(Gap("kind", _("Give the day you acquired the property (KEE §6(1)).")))
    if not (application.cadastral_number and application.address):
        found.append(Gap("property", _("Give the property's cadastral number and address.")))
    if not application.email and not application.phone:
        found.append(Gap("contact", _("Give an e-mail address or a phone number.")))
    if application.invoice_delivery is None:
        found.append(Gap("contact", _("Choose how invoices are delivered.")))
    elif (application.invoice_delivery is InvoiceDelivery.POST
          and not application.postal_address):
        found.append(Gap("contact", _("Give the postal address for the invoices.")))
    elif application.invoice_delivery is InvoiceDelivery.EMAIL and not application.email:
        found.append(Gap("contact", _("Give the e-mail address for the invoices.")))
    if DocumentKind.OWNERSHIP not in kinds:
        found.append(Gap("documents", _("Add a proof of ownership or of the right of use "
                                        "(KEE §5(2)).")))
    if application.co_owned and DocumentKind.REPRESENTATIVE not in kinds:
        found.append(Gap("documents", _("Co-owners act through the representative they "
                                        "chose (KEE §10(1)): add that decision.")))
    return found


def submit(application: ContractApplication, person: Person) -> None:
    """Send the application: the draft's days start (KEE §5(3))."""
    if application.status is not S.DRAFT:
        raise ApplicationRefusal(_("This application has been sent already."))
    missing = gaps(application)
    if missing:
        raise ApplicationRefusal(missing[0].message)
    now = utcnow()
    application.submitted_at = application.complete_at = now
    _event(application, "submitted", S.RECEIVED, person.id)


def send_missing_documents(application: ContractApplication, person: Person) -> None:
    """The applicant has added what was asked: the application is complete, and the
    draft's days count again from today (KEE §5(3))."""
    if application.status is not S.MISSING_DOCUMENTS:
        raise ApplicationRefusal(_("No documents were asked for."))
    application.complete_at = utcnow()
    _event(application, "documents_sent", S.RECEIVED, person.id)


def withdraw(application: ContractApplication, person: Person) -> None:
    if application.status not in (S.DRAFT, *OPEN_APPLICATION_STATUSES):
        raise ApplicationRefusal(_("This application can no longer be withdrawn."))
    _event(application, "withdrawn", S.WITHDRAWN, person.id)


# --------------------------------------------------------------------------- deadlines


def draft_due(application: ContractApplication) -> dt.date | None:
    """KEE §5(3): the draft contract is due 14 days after the complete application."""
    if application.complete_at is None or application.status not in (
            S.RECEIVED, S.MISSING_DOCUMENTS):
        return None
    received = application.complete_at.astimezone(TALLINN).date()
    return deadlines.due(deadlines.DeadlineId.DRAFT_CONTRACT, received)


def new_owner_due(application: ContractApplication) -> dt.date | None:
    """KEE §6(1): a new owner applies within 7 days of acquiring the property."""
    if application.kind is not ContractApplicationKind.CHANGE_OF_OWNER or (
            application.acquired_on is None):
        return None
    return deadlines.due(deadlines.DeadlineId.NEW_OWNER_APPLICATION, application.acquired_on)


def applied_late(application: ContractApplication) -> bool:
    """A new owner who applied after the 7 days: the use in between was without a
    contract (KEE §6(1)), which the acts issue's act is for."""
    due = new_owner_due(application)
    if due is None or application.submitted_at is None:
        return False
    return application.submitted_at.astimezone(TALLINN).date() > due


def is_overdue(application: ContractApplication, today: dt.date) -> bool:
    due = draft_due(application)
    return due is not None and today > due


# --------------------------------------------------------------------------- the utility


def _staff(actor: Actor) -> None:
    if not can(actor, Action.STAFF_HANDLE_CONTRACTS):
        abort(404)


def queue(actor: Actor, status: ContractApplicationStatus | None) -> Select[Any]:
    """Sent applications, the earliest deadline (the overdue) first; those waiting for
    documents, whose clock has stopped, after them."""
    _staff(actor)
    query = (select(ContractApplication)
             .where(ContractApplication.status != S.DRAFT)
             .options(selectinload(ContractApplication.applicant),
                      selectinload(ContractApplication.assigned_to)))
    if status is not None:
        query = query.where(ContractApplication.status == status)
    waiting_first = case((ContractApplication.status == S.RECEIVED, 0),
                         (ContractApplication.status == S.MISSING_DOCUMENTS, 1),
                         (ContractApplication.status == S.DRAFT_SENT, 2), else_=3)
    return query.order_by(waiting_first, ContractApplication.complete_at,
                          ContractApplication.submitted_at.desc(), ContractApplication.id)


def queue_counts(actor: Actor, today: dt.date) -> dict[str, int]:
    _staff(actor)
    counts = {status.value: count for status, count in db.session.execute(
        select(ContractApplication.status, func.count()).group_by(ContractApplication.status))}
    waiting = db.session.scalars(select(ContractApplication).where(
        ContractApplication.status == S.RECEIVED))
    counts["overdue"] = sum(1 for application in waiting if is_overdue(application, today))
    return counts


def application_for_staff(actor: Actor, application_id: int) -> ContractApplication:
    _staff(actor)
    application = db.session.get(ContractApplication, application_id)
    if application is None or application.status is S.DRAFT:
        abort(404)  # a draft is the applicant's own until sent
    return application


def record_view(actor: Actor, application: ContractApplication) -> None:
    record("view_contract_application", "contract_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_HANDLE_CONTRACTS),
           subject_person_id=application.applicant_id,
           purpose=purpose_text(CONTRACT_APPLICATION, None))


def clerks() -> list[Person]:
    """Who may be assigned an application: clerks and administrators."""
    return list(db.session.scalars(
        select(Person).join(StaffRole, StaffRole.person_id == Person.id)
        .where(StaffRole.role.in_((StaffRoleKind.CLERK, StaffRoleKind.ADMIN)))
        .distinct().order_by(Person.family_name, Person.given_name)))


def assign(actor: Actor, application: ContractApplication, person_id: int) -> None:
    _staff(actor)
    if application.status not in OPEN_APPLICATION_STATUSES:
        raise ApplicationRefusal(_("This application is closed."))
    if person_id not in {clerk.id for clerk in clerks()}:
        raise ApplicationRefusal(_("Choose a clerk."), ["clerk"])
    before = application.assigned_to_id
    application.assigned_to_id = person_id
    _audit(actor, application, "assign_contract_application", {"assigned_to": before},
           {"assigned_to": person_id})
    _event(application, "assigned", application.status, actor.person_id, notify_=False)


def ask_for_documents(actor: Actor, application: ContractApplication, note: str) -> None:
    """Ask for what is missing: the draft's clock stops until it comes (KEE §5(2)-(3))."""
    _staff(actor)
    if application.status is not S.RECEIVED:
        raise ApplicationRefusal(_("Documents can be asked for while the application waits "
                                   "for the draft."))
    if not note.strip():
        raise ApplicationRefusal(_("Say which documents are missing."), ["note"])
    application.complete_at = None
    _audit(actor, application, "request_contract_documents", None, {"note": note})
    _event(application, "documents_requested", S.MISSING_DOCUMENTS, actor.person_id,
           note=note.strip()[:NOTE_MAX])


def reject(actor: Actor, application: ContractApplication, note: str) -> None:
    _staff(actor)
    if application.status not in OPEN_APPLICATION_STATUSES:
        raise ApplicationRefusal(_("This application is closed."))
    if not note.strip():
        raise ApplicationRefusal(_("Give the reason for the applicant."), ["note"])
    application.decision_note = note.strip()[:NOTE_MAX]
    _audit(actor, application, "reject_contract_application", None, {"note": note})
    _event(application, "rejected", S.REJECTED, actor.person_id, note=application.decision_note)


def _audit(actor: Actor, application: ContractApplication, action: str,
           before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    record(action, "contract_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_HANDLE_CONTRACTS),
           subject_person_id=application.applicant_id, before=before, after=after,
           purpose=purpose_text(CONTRACT_APPLICATION, None))


# --------------------------------------------------------------------------- events


def _event(application: ContractApplication, kind: str, status: ContractApplicationStatus,
           actor_id: int | None, note: str | None = None, notify_: bool = True) -> None:
    application.status = status
    application.events.append(ContractApplicationEvent(kind=kind, status=status,
                                                       actor_id=actor_id, note=note))
    db.session.flush()
    if notify_:
        _notify(application, kind, note)


def _locale(person: Person) -> str:
    return person.locale if person.locale in ("et", "en", "ru") else "et"


def _notify(application: ContractApplication, kind: str, note: str | None) -> None:
    """Tell the applicant, in their language, with a link to the application."""
    person = application.applicant
    with force_locale(_locale(person)):
        subject = _("Service contract application no. %(number)s: %(status)s",
                    number=application.id, status=STATUS_NAMES[application.status])
        lines = [str(EVENT_NAMES.get(kind, kind))]
        if note:
            lines += ["", note]
        lines += ["", _("See the application: %(url)s",
                        url=url_for("contracts.application", application_id=application.id,
                                    _external=True))]
    notify(application.email or person.email, subject, "\n".join(lines), person=person,
           about=("contract_application", application.id))


def history(application: ContractApplication) -> list[ContractApplicationEvent]:
    return list(application.events)


# --------------------------------------------------------------------------- the draft contract


@dataclass(frozen=True)
class DraftTerms:
    """What the clerk sets for the draft: the site (one in the register, or a new one
    at the application's property), a meter to register, and the contract's terms."""

    site_code: str
    contract_number: str
    start_date: dt.date
    end_date: dt.date | None
    reading_cycle_months: int
    meter_number: str | None = None


def next_contract_number(today: dt.date) -> str:
    """The next free number of the year, as the utility numbers them: L-2026-0001."""
    prefix = f"L-{today.year}-"
    taken = set(db.session.scalars(
        select(ServiceContract.number).where(ServiceContract.number.like(f"{prefix}%"))))
    taken |= set(db.session.scalars(
        select(ContractApplication.draft_number)
        .where(ContractApplication.draft_number.like(f"{prefix}%"))))
    serial = 1
    while f"{prefix}{serial:04d}" in taken:
        serial += 1
    return f"{prefix}{serial:04d}"


def suggested_terms(application: ContractApplication, today: dt.date) -> DraftTerms:
    """The form's starting point: the property's one site if the register has it, the
    start the applicant wished (not before today), a temporary contract's period."""
    sites = list(db.session.scalars(
        select(Site).join(Property).where(
            Property.cadastral_number == application.cadastral_number)))
    code = sites[0].code if len(sites) == 1 else ""
    cycle = 1
    if application.renews is not None and application.renews.sites:  # KEE §7(1): as it was
        code = application.renews.sites[0].code
        cycle = application.renews.reading_cycle_months
    start = max(application.wanted_start or today, today)
    if application.kind is ContractApplicationKind.TEMPORARY and application.period_start:
        start = max(application.period_start, today)
    return DraftTerms(
        site_code=code, contract_number=next_contract_number(today), start_date=start,
        end_date=application.period_end
        if application.kind is ContractApplicationKind.TEMPORARY else None,
        reading_cycle_months=cycle)


def prepare_draft(actor: Actor, application: ContractApplication, terms: DraftTerms,
                  today: dt.date) -> None:
    """Register the site (and meter) if new, render the draft contract as a PDF kept
    under its SHA-256, and send it to the applicant (KEE §5(3))."""
    _staff(actor)
    if application.status is not S.RECEIVED:
        raise ApplicationRefusal(_("A draft is prepared for a complete application that "
                                   "waits for it."))
    if terms.start_date < today:
        raise ApplicationRefusal(_("The contract cannot start before today."), ["start_date"])
    if application.kind is ContractApplicationKind.TEMPORARY and terms.end_date is None:
        raise ApplicationRefusal(_("A fixed-term contract needs its end (KEE §30)."),
                                 ["end_date"])
    if terms.end_date is not None and terms.end_date < terms.start_date:
        raise ApplicationRefusal(_("The end cannot be before the start."), ["end_date"])
    number = terms.contract_number.strip()
    if db.session.scalar(select(ServiceContract.id).where(ServiceContract.number == number)) \
            or db.session.scalar(select(ContractApplication.id).where(
                ContractApplication.draft_number == number,
                ContractApplication.id != application.id)):
        raise ApplicationRefusal(_("This contract number is taken."), ["contract_number"])
    site = _draft_site(application, terms)
    if terms.meter_number:
        _register_meter(site, terms.meter_number.strip(), terms.start_date)
    application.draft_number = number
    application.site = site
    application.start_date, application.end_date = terms.start_date, terms.end_date
    application.reading_cycle_months = terms.reading_cycle_months
    application.draft_sent_at = utcnow()  # the PDF is dated with it
    db.session.flush()
    data = contract_documents.draft_contract_pdf(application)
    stored = uploads.store(uploads.Checked(data, uploads.PDF, hashlib.sha256(data).hexdigest(),
                                           f"{number}.pdf"), actor.person_id)
    application.draft_file = stored
    _audit(actor, application, "send_draft_contract", None,
           {"number": number, "site": site.code, "start_date": terms.start_date,
            "end_date": terms.end_date, "sha256": stored.sha256})
    _event(application, "draft_sent", S.DRAFT_SENT, actor.person_id)


def _draft_site(application: ContractApplication, terms: DraftTerms) -> Site:
    """The site in the register with that code, or a new one at the application's
    property (the property too, if the register lacks it)."""
    code = terms.site_code.strip()
    if not code:
        raise ApplicationRefusal(_("Enter the site's code."), ["site_code"])
    site = db.session.scalar(select(Site).where(Site.code == code))
    if site is not None:
        holder = db.session.scalar(
            select(ServiceContract.number).join(contract_site)
            .where(contract_site.c.site_id == site.id,
                   contract_in_force(terms.start_date)))
        if holder is not None:
            raise ApplicationRefusal(
                _("The site has a contract in force on the start day (%(number)s): it ends "
                  "first, or the contract starts later.", number=holder), ["site_code"])
        return site
    place = db.session.scalar(select(Property).where(
        Property.cadastral_number == application.cadastral_number))
    if place is None:
        place = Property(cadastral_number=application.cadastral_number or "",
                         address=application.address or "")
        db.session.add(place)
    site = Site(code=code, property=place, address=application.address or place.address)
    db.session.add(site)
    db.session.flush()
    return site


def _register_meter(site: Site, number: str, installed_on: dt.date) -> Meter:
    meter = db.session.scalar(select(Meter).where(Meter.number == number))
    if meter is not None:
        if meter.site_id != site.id:
            raise ApplicationRefusal(_("This meter is registered at another site."),
                                     ["meter_number"])
        return meter
    # KEE §37(1): the utility installs the meter within 5 working days of the contract;
    # registered here with the planned day, its seal and verification come with the act.
    meter = Meter(number=number, site_id=site.id, kind=MeterKind.COLD_WATER,
                  installed_on=installed_on, status=MeterStatus.ACTIVE)
    db.session.add(meter)
    db.session.flush()
    return meter


def draft_download(application: ContractApplication) -> tuple[bytes, str]:
    if application.draft_file is None:
        abort(404)
    return uploads.read(application.draft_file), application.draft_file.original_name


def _customer_for(application: ContractApplication) -> Customer:
    """The contract's customer: the applicant or their company, known or new."""
    if application.company_id is not None:
        customer = db.session.scalar(select(Customer).where(
            Customer.company_id == application.company_id))
        party: dict[str, Any] = {"company_id": application.company_id}
    else:
        customer = db.session.scalar(select(Customer).where(
            Customer.person_id == application.applicant_id))
        party = {"person_id": application.applicant_id}
    if customer is None:
        customer = Customer(**party, email=application.email,
                            locale=_locale(application.applicant))
        db.session.add(customer)
        db.session.flush()
    return customer


def _sign(application: ContractApplication, person: Person, accepted_with: str,
          kind: str) -> ServiceContract:
    if application.status is not S.DRAFT_SENT:
        raise ApplicationRefusal(_("There is no draft contract waiting to be signed."))
    if application.site is None or application.start_date is None:
        raise ApplicationRefusal(_("There is no draft contract waiting to be signed."))
    contract = ServiceContract(
        number=application.draft_number or next_contract_number(application.start_date),
        customer=_customer_for(application), start_date=application.start_date,
        end_date=application.end_date, status=ContractStatus.ACTIVE,
        reading_cycle_months=application.reading_cycle_months or 1,
        pollution_group=application.pollution_group or PollutionGroup.I,
        residents=application.residents, invoice_delivery=application.invoice_delivery,
        sites=[application.site])
    db.session.add(contract)
    db.session.flush()
    application.contract = contract
    application.accepted_at = utcnow()
    application.accepted_with = accepted_with[:100]
    _event(application, kind, S.SIGNED, person.id)
    return contract


def accept(application: ContractApplication, person: Person, login: LoginSession | None
           ) -> ServiceContract:
    """The applicant accepts the draft in the portal: recorded with the time and the
    eID method of the login (TARA's amr, e.g. mID, smartid, idcard)."""
    method = (login.amr or login.acr or "eID") if login is not None else "eID"
    return _sign(application, person, f"portal: {method}", "accepted")


def upload_signed(application: ContractApplication, person: Person,
                  checked: uploads.Checked) -> ServiceContract:
    """The draft comes back signed, as a DigiDoc container or a signed PDF, kept as is."""
    if application.status is not S.DRAFT_SENT:
        raise ApplicationRefusal(_("There is no draft contract waiting to be signed."))
    document = ContractDocument(kind=DocumentKind.SIGNED_CONTRACT,
                                file=uploads.store(checked, person.id))
    application.documents.append(document)
    return _sign(application, person, f"signed file: {checked.name}", "signed_uploaded")
