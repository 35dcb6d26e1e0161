"""Meters (veearvesti) and their readings (näit)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, Volume, utcnow
from webapp.models.enums import MeterKind, MeterStatus, ReadingChannel, enum_column
from webapp.models.party import Person
from webapp.models.property import Site


class Meter(Base):
    __tablename__ = "meter"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    kind: Mapped[MeterKind] = mapped_column(enum_column(MeterKind, "meter_kind"))
    installed_on: Mapped[dt.date]
    verified_until: Mapped[dt.date | None]  # taatlus: metrological verification
    seal_number: Mapped[str | None] = mapped_column(String(40))  # plomm
    # The nominal size (DN15, DN20, ...): the monthly fixed fee follows it.
    size: Mapped[str] = mapped_column(String(10), default="DN15", server_default="DN15")
    # KEE §38(1): the day a failure not caused by the customer was found; until the meter
    # is replaced, its use is billed at the average daily use before the failure.
    failure_found_on: Mapped[dt.date | None]
    status: Mapped[MeterStatus] = mapped_column(
        enum_column(MeterStatus, "meter_status"), default=MeterStatus.ACTIVE
    )

    site: Mapped[Site] = relationship(back_populates="meters")


# The readings the unique moment applies to: those with an hour, not yet replaced.
_TIMED_AND_CURRENT = text("measured_at IS NOT NULL AND replaced_by_id IS NULL")


class Reading(Base):
    """A meter's cumulative value as it stood at the end of ``reading_date``.

    Interval (smart) meters also state the hour in ``measured_at``; a meter has
    at most one current reading per moment (``uq_reading_meter_measured_at``), so
    a smart reading loaded twice is refused by the database itself.
    """

    __tablename__ = "reading"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_reading_meter_date", "meter_id", "reading_date"),
        Index(
            "uq_reading_meter_measured_at",
            "meter_id",
            "measured_at",
            unique=True,
            sqlite_where=_TIMED_AND_CURRENT,
            postgresql_where=_TIMED_AND_CURRENT,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    value: Mapped[Volume]
    reading_date: Mapped[dt.date]
    measured_at: Mapped[Timestamp | None]
    submitted_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[ReadingChannel] = mapped_column(enum_column(ReadingChannel, "reading_channel"))
    # A corrected or replaced reading stays, pointing at the one that replaced it.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("reading.id"), unique=True)
    correction_reason: Mapped[str | None] = mapped_column(String(500))

    meter: Mapped[Meter] = relationship()
    submitted_by: Mapped[Person | None] = relationship()
    replaced_by: Mapped[Reading | None] = relationship(remote_side=[id])

    @property
    def is_current(self) -> bool:
        return self.replaced_by_id is None


class ReadingSubmission(Base):
    """One press of "Send": its form's token is unique, so a double click or a
    resent form saves its readings once (ITB 1)."""

    __tablename__ = "reading_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    channel: Mapped[ReadingChannel] = mapped_column(enum_column(ReadingChannel, "reading_channel"))
    saved: Mapped[int]  # how many readings it saved
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
