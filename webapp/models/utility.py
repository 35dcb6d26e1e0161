"""The utility (vee-ettevõtja), its settings and its price list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
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
        CheckConstraint("late_interest_percent >= 0", name="late_interest_not_negative"),
        CheckConstraint("resident_norm_m3 >= 0", name="resident_norm_not_negative"),
        CheckConstraint("invoice_due_days BETWEEN 1 AND 90", name="invoice_due_days_range"),
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
    # Billing (KEE §41-§43). Late interest a day, at most the cap of §41(3).
    late_interest_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 3, asdecimal=True), default=Decimal("0.150"), server_default="0.150")
    # KEE §42: the average use per resident a month, where a site has no meter.
    resident_norm_m3: Mapped[Volume] = mapped_column(default=Decimal("3.000"),
                                                     server_default="3.000")
    invoice_due_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # The account customers pay to: payments are read from its bank statements.
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))

    prices: Mapped[list[Price]] = relationship(
        back_populates="utility", order_by="Price.valid_from", cascade="all, delete-orphan"
    )


class Price(Base):
    """A unit price in EUR (VAT excluded) valid over a range of days: per m³ for water
    and sewer, per month for the fixed fee, per time for closing and reopening."""

    __tablename__ = "price"
    __table_args__ = (
        UniqueConstraint("utility_id", "kind", "variant", "valid_from"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    utility_id: Mapped[int] = mapped_column(ForeignKey("utility.id", ondelete="CASCADE"))
    kind: Mapped[PriceKind] = mapped_column(enum_column(PriceKind, "price_kind"))
    # Sewer: the pollution group (I, II, III); fixed fee: the meter size (DN20); ""
    # applies to every group or size without a price of its own.
    variant: Mapped[str] = mapped_column(String(10), default="", server_default="")
    unit_price: Mapped[UnitPrice]
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]

    utility: Mapped[Utility] = relationship(back_populates="prices")
