"""Service contracts (teenusleping) and the sites they cover."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.enums import ContractStatus, InvoiceDelivery, PollutionGroup, enum_column
from webapp.models.party import Customer
from webapp.models.property import Site
from webapp.models.stored_file import StoredFile

contract_site = Table(
    "contract_site",
    Base.metadata,
    Column("contract_id", ForeignKey("service_contract.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id"), primary_key=True),
    # The primary key starts with the contract; a site's contracts are looked up too.
    Index("ix_contract_site_site_id", "site_id"),
)


class ServiceContract(Base):
    __tablename__ = "service_contract"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="valid_range"),
        CheckConstraint("reading_cycle_months BETWEEN 1 AND 12", name="reading_cycle_range"),
        CheckConstraint("residents IS NULL OR residents >= 0", name="residents_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.ACTIVE
    )

    # How often the customer reports readings, as agreed in the contract (TV: at most
    # every three months; ELVESO 2.1.5: at the agreed frequency all year).
    reading_cycle_months: Mapped[int] = mapped_column(default=1)
    # KEE §4(3), §22(1): the sewer price follows the wastewater's pollution group.
    pollution_group: Mapped[PollutionGroup] = mapped_column(
        enum_column(PollutionGroup, "pollution_group"), default=PollutionGroup.I,
        server_default=PollutionGroup.I.value)
    # KEE §42: a site without a meter is billed for its residents.
    residents: Mapped[int | None]
    invoice_delivery: Mapped[InvoiceDelivery | None] = mapped_column(
        enum_column(InvoiceDelivery, "invoice_delivery"))

    customer: Mapped[Customer] = relationship()
    sites: Mapped[list[Site]] = relationship(secondary=contract_site, order_by=Site.code)
    events: Mapped[list[ContractEvent]] = relationship(
        back_populates="contract", order_by="ContractEvent.id")

    def is_in_force(self, on: dt.date) -> bool:
        return (
            self.status != ContractStatus.ENDED
            and self.start_date <= on
            and (self.end_date is None or on <= self.end_date)
        )


class ContractEventKind(enum.StrEnum):
    SALE_NOTICE = "sale_notice"  # KEE §6(1): the customer sells; the contract ends
    TERMINATION = "termination"  # KEE §6(1): at the customer's request
    UTILITY_TERMINATION = "utility_termination"  # KEE §6(3)-(4), with a written notice
    CLOSURE = "closure"  # KEE §6(2): supply closed for up to a year
    REOPENING = "reopening"  # KEE §6(2): supply open again


class TerminationGround(enum.StrEnum):
    """KEE §6(3) 1)-7): why the utility may end a contract."""

    CAUSES_NOT_REMOVED = "1"
    UNAUTHORISED_REBUILDING = "2"
    DEMOLITION = "3"
    LIQUIDATION = "4"
    BANKRUPTCY = "5"
    OWNER_DIED = "6"
    CONTRACT_GROUNDS = "7"


class ContractEvent(Base):
    """A change of a contract in force: a sale notified, a termination, a temporary
    closure of the supply and its reopening. The contract's dates say the result; the
    events say who asked, when and why."""

    __tablename__ = "contract_event"
    __table_args__ = (
        CheckConstraint("until IS NULL OR until >= effective_on", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("service_contract.id"), index=True)
    kind: Mapped[ContractEventKind] = mapped_column(
        enum_column(ContractEventKind, "contract_event_kind"))
    occurred_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    effective_on: Mapped[dt.date]
    until: Mapped[dt.date | None]  # a closure's planned end
    ground: Mapped[TerminationGround | None] = mapped_column(
        enum_column(TerminationGround, "termination_ground"))
    note: Mapped[str | None] = mapped_column(Text)
    new_owner: Mapped[str | None] = mapped_column(String(255))
    notice_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))

    contract: Mapped[ServiceContract] = relationship(back_populates="events")
    notice_file: Mapped[StoredFile | None] = relationship()
