"""Service contracts (teenusleping) and the sites they cover."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base
from webapp.models.enums import ContractStatus, enum_column
from webapp.models.party import Customer
from webapp.models.property import Site

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

    customer: Mapped[Customer] = relationship()
    sites: Mapped[list[Site]] = relationship(secondary=contract_site, order_by=Site.code)

    def is_in_force(self, on: dt.date) -> bool:
        return (
            self.status != ContractStatus.ENDED
            and self.start_date <= on
            and (self.end_date is None or on <= self.end_date)
        )
