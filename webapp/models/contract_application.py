"""Applications for a service contract (KEE §5) and what happens to them.

A person fills the application in steps; until sent it is a draft kept between
visits. Sent, it waits for the utility: documents may be asked for (the draft's
14 days, KEE §5(3), then count again from the day the application is complete),
a clerk prepares the draft contract, the applicant accepts it in the portal or
uploads it signed, and the contract starts. Each step is an event: the history the
applicant sees, and what the notifications tell.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.contract import ServiceContract
from webapp.models.enums import InvoiceDelivery, PollutionGroup, enum_column
from webapp.models.party import Company, Person
from webapp.models.property import Site
from webapp.models.stored_file import StoredFile


class ContractApplicationKind(enum.StrEnum):
    NEW = "new"  # KEE §5(1): open-ended
    CHANGE_OF_OWNER = "change_of_owner"  # KEE §6(1): the new owner applies
    ADDITIONAL_SITE = "additional_site"  # KEE §10(2): one more site under the contract
    TEMPORARY = "temporary"  # KEE §5(1), §30: fixed-term, temporary use
    RENEWAL = "renewal"  # KEE §7(1): within a year of the end, no new connection contract


class TemporaryPurpose(enum.StrEnum):
    # KEE §30: temporary pipes for construction, street trade or watering.
    CONSTRUCTION = "construction"
    STREET_TRADE = "street_trade"
    WATERING = "watering"


class ContractApplicationStatus(enum.StrEnum):
    DRAFT = "draft"  # being filled in; not sent
    RECEIVED = "received"
    MISSING_DOCUMENTS = "missing_documents"
    DRAFT_SENT = "draft_sent"  # the draft contract waits for the applicant
    SIGNED = "signed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_APPLICATION_STATUSES = (ContractApplicationStatus.RECEIVED,
                             ContractApplicationStatus.MISSING_DOCUMENTS,
                             ContractApplicationStatus.DRAFT_SENT)


class DocumentKind(enum.StrEnum):
    OWNERSHIP = "ownership"  # KEE §5(2): proof of ownership or the right of use
    AS_BUILT_DRAWING = "as_built_drawing"  # KEE §5(2): the yard network's drawing
    REPRESENTATIVE = "representative"  # KEE §10(1): the co-owners' choice
    OTHER = "other"
    SIGNED_CONTRACT = "signed_contract"  # the draft, signed (DigiDoc or PDF)


class ContractApplication(Base):
    __tablename__ = "contract_application"
    __table_args__ = (
        CheckConstraint("residents IS NULL OR residents >= 0", name="residents_not_negative"),
        CheckConstraint("period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
                        name="period_range"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="contract_range"),
        CheckConstraint("reading_cycle_months IS NULL OR reading_cycle_months BETWEEN 1 AND 12",
                        name="reading_cycle_range"),
        Index("ix_contract_application_status", "status", "complete_at"),
        # One draft being filled per person at a time: continuing it, not a second.
        Index("uq_contract_application_one_draft", "applicant_id", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # For a company the applicant represents (a board member); None: for themselves.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    kind: Mapped[ContractApplicationKind] = mapped_column(
        enum_column(ContractApplicationKind, "contract_application_kind"),
        default=ContractApplicationKind.NEW)
    temporary_purpose: Mapped[TemporaryPurpose | None] = mapped_column(
        enum_column(TemporaryPurpose, "temporary_purpose"))
    period_start: Mapped[dt.date | None]
    period_end: Mapped[dt.date | None]
    acquired_on: Mapped[dt.date | None]  # change of owner: KEE §6(1)'s 7 days count from it
    cadastral_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    residents: Mapped[int | None]  # KEE §42: where there is no meter
    pollution_group: Mapped[PollutionGroup | None] = mapped_column(
        enum_column(PollutionGroup, "pollution_group"))
    co_owned: Mapped[bool] = mapped_column(default=False)  # KEE §10(1)
    payer_code: Mapped[str | None] = mapped_column(String(11))  # None: the customer pays
    payer_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    invoice_delivery: Mapped[InvoiceDelivery | None] = mapped_column(
        enum_column(InvoiceDelivery, "invoice_delivery"))
    postal_address: Mapped[str | None] = mapped_column(String(255))
    wanted_start: Mapped[dt.date | None]
    status: Mapped[ContractApplicationStatus] = mapped_column(
        enum_column(ContractApplicationStatus, "contract_application_status"),
        default=ContractApplicationStatus.DRAFT)
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    submitted_at: Mapped[Timestamp | None]
    # KEE §5(3): the draft's days count from the day the application is complete.
    complete_at: Mapped[Timestamp | None]
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # The draft contract's terms, as the clerk set them: accepting it makes exactly
    # this contract (KEE §5(3)).
    draft_number: Mapped[str | None] = mapped_column(String(40))
    # A renewal (KEE §7): the contract it renews.
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("service_contract.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    start_date: Mapped[dt.date | None]
    end_date: Mapped[dt.date | None]
    reading_cycle_months: Mapped[int | None]
    draft_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    draft_sent_at: Mapped[Timestamp | None]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("service_contract.id"))
    accepted_at: Mapped[Timestamp | None]
    accepted_with: Mapped[str | None] = mapped_column(String(100))  # the login's eID methods
    decision_note: Mapped[str | None] = mapped_column(Text)

    applicant: Mapped[Person] = relationship(foreign_keys=[applicant_id])
    company: Mapped[Company | None] = relationship()
    assigned_to: Mapped[Person | None] = relationship(foreign_keys=[assigned_to_id])
    site: Mapped[Site | None] = relationship()
    draft_file: Mapped[StoredFile | None] = relationship()
    contract: Mapped[ServiceContract | None] = relationship(foreign_keys=[contract_id])
    renews: Mapped[ServiceContract | None] = relationship(foreign_keys=[renews_id])
    documents: Mapped[list[ContractDocument]] = relationship(
        back_populates="application", order_by="ContractDocument.id",
        cascade="all, delete-orphan")
    events: Mapped[list[ContractApplicationEvent]] = relationship(
        back_populates="application", order_by="ContractApplicationEvent.id",
        cascade="all, delete-orphan")


class ContractDocument(Base):
    __tablename__ = "contract_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("contract_application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    added_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    application: Mapped[ContractApplication] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship()


class ContractApplicationEvent(Base):
    """One step of an application: its history, and what each notification says."""

    __tablename__ = "contract_application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("contract_application.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[ContractApplicationStatus] = mapped_column(
        enum_column(ContractApplicationStatus, "contract_application_status"))
    note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[ContractApplication] = relationship(back_populates="events")
    actor: Mapped[Person | None] = relationship()
