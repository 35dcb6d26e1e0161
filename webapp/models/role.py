"""Roles: a person's role at a site (ITB 2) and staff roles at the utility."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.enums import SiteRoleKind, StaffRoleKind, enum_column
from webapp.models.party import Person
from webapp.models.property import Site


class SiteRole(Base):
    __tablename__ = "site_role"
    __table_args__ = (
        UniqueConstraint("site_id", "person_id", "role", "valid_from"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[SiteRoleKind] = mapped_column(enum_column(SiteRoleKind, "site_role_kind"))
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    # Removing a representative (ITB 3) ends the role here; the row stays as history.
    revoked_at: Mapped[Timestamp | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    site: Mapped[Site] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    given_by: Mapped[Person | None] = relationship(foreign_keys=[given_by_id])
    revoked_by: Mapped[Person | None] = relationship(foreign_keys=[revoked_by_id])

    def is_valid_on(self, day: dt.date) -> bool:
        return (
            self.revoked_at is None
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class StaffRole(Base):
    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[StaffRoleKind] = mapped_column(enum_column(StaffRoleKind, "staff_role_kind"))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
