"""Persons, companies and customers (klient: the holder of a service contract)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Str100, Str255, Timestamp, utcnow


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Estonian personal identification code (isikukood), checked with stdnum ee.ik.
    personal_code: Mapped[str] = mapped_column(String(11), unique=True)
    given_name: Mapped[Str100]
    family_name: Mapped[Str100]
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Company(Base):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Estonian business registry code (registrikood), checked with stdnum ee.registrikood.
    registry_code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[Str255]

    board_members: Mapped[list[BoardMember]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )


class BoardMember(Base):
    __tablename__ = "board_member"
    __table_args__ = (UniqueConstraint("company_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))

    company: Mapped[Company] = relationship(back_populates="board_members")
    person: Mapped[Person] = relationship()


class Customer(Base):
    """A person or a company that holds (or held) a service contract."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (company_id IS NULL)", name="person_xor_company"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="et")

    person: Mapped[Person | None] = relationship()
    company: Mapped[Company | None] = relationship()

    @property
    def name(self) -> str:
        if self.company is not None:
            return self.company.name
        return self.person.full_name if self.person is not None else ""

    @property
    def code(self) -> str:
        """The personal code or the registry code: the customer's natural key."""
        if self.company is not None:
            return self.company.registry_code
        return self.person.personal_code if self.person is not None else ""


