"""The utility (vee-ettevõtja), its settings and its price list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Str255, UnitPrice, Volume
from webapp.models.enums import PriceKind, enum_column


class Utility(Base):
    __tablename__ = "utility"
    __table_args__ = (
        # ITB 1.2: the mass view offers groups, CSV and the API from these sizes.
        CheckConstraint("mass_view_meter_threshold >= 1", name="meter_threshold_positive"),
        CheckConstraint("mass_view_site_threshold >= 1", name="site_threshold_positive"),
        CheckConstraint("reading_warning_factor > 0", name="warning_factor_positive"),
        CheckConstraint("daily_use_ceiling IS NULL OR daily_use_ceiling > 0",
                        name="daily_use_ceiling_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[Str255]
    registry_code: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    mass_view_meter_threshold: Mapped[int] = mapped_column(default=4)
    mass_view_site_threshold: Mapped[int] = mapped_column(default=3)
    # ITB 1: a reading whose use since the last one exceeds this many times the
    # meter's average, or this many m³ a day, is saved only once the person confirms.
    reading_warning_factor: Mapped[Volume] = mapped_column(default=Decimal(3))
    daily_use_ceiling: Mapped[Volume | None] = mapped_column(default=Decimal(10))
    # The garden-water rebate rule set in force (a file in rules/, e.g. ELVESO-2014);
    # None: the utility offers no rebate in the portal.
    rebate_rule_set: Mapped[str | None] = mapped_column(String(40))

    prices: Mapped[list[Price]] = relationship(
        back_populates="utility", order_by="Price.valid_from", cascade="all, delete-orphan"
    )


class Price(Base):
    """A unit price in EUR per m³ (VAT excluded) valid over a range of days."""

    __tablename__ = "price"
    __table_args__ = (
        UniqueConstraint("utility_id", "kind", "valid_from"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    utility_id: Mapped[int] = mapped_column(ForeignKey("utility.id", ondelete="CASCADE"))
    kind: Mapped[PriceKind] = mapped_column(enum_column(PriceKind, "price_kind"))
    unit_price: Mapped[UnitPrice]
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]

    utility: Mapped[Utility] = relationship(back_populates="prices")
