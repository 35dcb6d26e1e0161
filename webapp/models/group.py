"""Named groups of sites a person makes for the mass view of readings (ITB 1.2)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.property import Site


class SiteGroup(Base):
    __tablename__ = "site_group"
    __table_args__ = (UniqueConstraint("person_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each person's own groups: a representative's grouping is nobody else's business.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    members: Mapped[list[SiteGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class SiteGroupMember(Base):
    __tablename__ = "site_group_member"
    __table_args__ = (UniqueConstraint("group_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("site_group.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))

    group: Mapped[SiteGroup] = relationship(back_populates="members")
    site: Mapped[Site] = relationship()
