"""Properties (kinnistu) and consumption sites (tarbimiskoht)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Str255


class Property(Base):
    __tablename__ = "property"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Estonian cadastral code: 5 + 3 + 4 digits, e.g. 65301:001:0123.
    cadastral_number: Mapped[str] = mapped_column(String(20), unique=True)
    address: Mapped[Str255]

    sites: Mapped[list[Site]] = relationship(back_populates="property", order_by="Site.code")


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The utility's own identifier of the site (supply point), the natural key.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("property.id"))
    address: Mapped[Str255]

    property: Mapped[Property] = relationship(back_populates="sites")
    meters: Mapped[list[Meter]] = relationship(  # noqa: F821
        back_populates="site", order_by="Meter.number"
    )
