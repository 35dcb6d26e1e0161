"""Garden-water rebates (DOMAIN.md section 2): applications, the utility's season
runs, the decisions they make and the credits they book.

- An application is for one site and one method. Under ELVESO it stays valid for
  later seasons until withdrawn or replaced by one with another method (ELVESO 3.3,
  DOMAIN Decision): ``first_season`` .. ``last_season`` (open while in force). At
  most one application per site is in force (a partial unique index).
- A season run stores one current decision per site and season, with the case it
  was computed from; a rerun that finds other inputs (corrected readings) marks the
  old decision superseded and keeps it as history.
- Each decision books a credit (a prepayment of the sewer service on the next
  invoice, ELVESO 3.4) of the difference between its refund and what was credited
  for that site and season before, so the credits of a site and season always add
  up to the current decision's refund: never twice, and a correction is a new entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.rule_sets import Method
from webapp.models.base import (
    Base,
    CanonicalJSON,
    Money,
    Timestamp,
    UnitPrice,
    Volume,
    utcnow,
)
from webapp.models.enums import (
    JOINT_HOUSE_TYPES,
    HouseType,
    RebateRunStatus,
    RebateStatus,
    enum_column,
)
from webapp.models.party import Customer, Person
from webapp.models.property import Site
from webapp.models.stored_file import StoredFile

_OPEN = text("status IN ('awaiting_joint', 'submitted', 'approved')")
_CURRENT = text("superseded_at IS NULL")
_RUNNING = text("status = 'running'")


class RebateApplication(Base):
    __tablename__ = "rebate_application"
    __table_args__ = (
        Index("uq_rebate_application_open_per_site", "site_id", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        CheckConstraint("cap_m3 IS NULL OR cap_m3 > 0", name="cap_positive"),
        CheckConstraint("last_season IS NULL OR last_season >= first_season - 1",
                        name="season_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    # The holder of the site's contract when the application was made.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # The utility's rule set when the application was made (the season run picks the
    # rule set in force for each season).
    rule_set: Mapped[str] = mapped_column(String(40))
    method: Mapped[Method] = mapped_column(enum_column(Method, "rebate_method"))
    house_type: Mapped[HouseType] = mapped_column(enum_column(HouseType, "house_type"))
    first_season: Mapped[int]
    last_season: Mapped[int | None]
    # Method B: the garden sub-meter as the applicant states it (ELVESO 2.1.1, 3.1.2);
    # the utility's register decides whether it is accepted, sealed and verified.
    sub_meter_number: Mapped[str | None] = mapped_column(String(40))
    sub_meter_verified_until: Mapped[dt.date | None]
    sub_meter_seal: Mapped[str | None] = mapped_column(String(40))
    installation_requested: Mapped[bool] = mapped_column(default=False)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    consent_given_at: Mapped[Timestamp]
    submitted_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    status: Mapped[RebateStatus] = mapped_column(enum_column(RebateStatus, "rebate_status"))
    status_changed_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[Timestamp | None]
    refusal_ground: Mapped[str | None] = mapped_column(String(40))  # a rule-set check id
    review_note: Mapped[str | None] = mapped_column(String(1000))
    # ELVESO 2.2: a cap raised for this customer on a justified application.
    cap_m3: Mapped[Volume | None]
    cap_justification: Mapped[str | None] = mapped_column(String(1000))
    ended_at: Mapped[Timestamp | None]  # withdrawn or superseded
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_application.id"))

    site: Mapped[Site] = relationship()
    customer: Mapped[Customer] = relationship()
    applicant: Mapped[Person] = relationship(foreign_keys=[applicant_id])
    reviewed_by: Mapped[Person | None] = relationship(foreign_keys=[reviewed_by_id])
    attachment: Mapped[StoredFile | None] = relationship()
    joint_applicants: Mapped[list[RebateJointApplicant]] = relationship(
        back_populates="application", order_by="RebateJointApplicant.id",
        cascade="all, delete-orphan")

    @property
    def joint_required(self) -> bool:
        # ELVESO 2.1.3: semi-detached and terraced houses apply jointly.
        return self.house_type in JOINT_HOUSE_TYPES

    @property
    def joint_confirmed(self) -> bool:
        return bool(self.joint_applicants) and all(
            joint.confirmed_at is not None for joint in self.joint_applicants)

    def covers(self, season: int) -> bool:
        return self.first_season <= season and (
            self.last_season is None or season <= self.last_season)


class RebateJointApplicant(Base):
    """A co-owner of a semi-detached or terraced house who applies jointly (ELVESO
    2.1.3); the application counts once each has confirmed it in their own login."""

    __tablename__ = "rebate_joint_applicant"
    __table_args__ = (UniqueConstraint("application_id", "personal_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("rebate_application.id", ondelete="CASCADE"))
    personal_code: Mapped[str] = mapped_column(String(11), index=True)
    name: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    confirmed_at: Mapped[Timestamp | None]

    application: Mapped[RebateApplication] = relationship(back_populates="joint_applicants")
    person: Mapped[Person | None] = relationship()


class RebateRun(Base):
    """One season run (ELVESO 3.4): its progress while it goes, its summary after.
    One runs at a time (a partial unique index)."""

    __tablename__ = "rebate_run"
    __table_args__ = (
        Index("uq_rebate_run_one_running", "status", unique=True,
              sqlite_where=_RUNNING, postgresql_where=_RUNNING),
        CheckConstraint("processed >= 0 AND processed <= total", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season: Mapped[int]
    status: Mapped[RebateRunStatus] = mapped_column(
        enum_column(RebateRunStatus, "rebate_run_status"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    finished_at: Mapped[Timestamp | None]
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))

    started_by: Mapped[Person | None] = relationship()


class RebateDecisionRecord(Base):
    """The decision on one application for one season, with the case it was computed
    from (``inputs``, the ``flask rebates evaluate`` JSON) and its result."""

    __tablename__ = "rebate_decision"
    __table_args__ = (
        Index("uq_rebate_decision_current", "site_id", "season", unique=True,
              sqlite_where=_CURRENT, postgresql_where=_CURRENT),
        Index("ix_rebate_decision_application", "application_id", "season"),
        CheckConstraint("volume_m3 >= 0", name="volume_not_negative"),
        CheckConstraint("refund_eur >= 0", name="refund_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("rebate_application.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    season: Mapped[int]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_run.id"))
    rule_set: Mapped[str] = mapped_column(String(40))
    method: Mapped[Method] = mapped_column(enum_column(Method, "rebate_method"))
    eligible: Mapped[bool]
    volume_m3: Mapped[Volume]
    refund_eur: Mapped[Money]
    sewer_price: Mapped[UnitPrice]
    # The case as `flask rebates evaluate` takes it, in canonical JSON, with its SHA-256.
    inputs: Mapped[dict[str, Any]] = mapped_column(CanonicalJSON())
    inputs_digest: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    superseded_at: Mapped[Timestamp | None]

    application: Mapped[RebateApplication] = relationship()
    site: Mapped[Site] = relationship()
    customer: Mapped[Customer] = relationship()
    run: Mapped[RebateRun | None] = relationship()

    @property
    def failed_checks(self) -> list[dict[str, Any]]:
        return [check for check in self.result.get("checks", []) if not check["passed"]]


class RebateCredit(Base):
    """A prepayment of the sewer service for the next invoice (ELVESO 3.4), booked by
    a decision: its refund less what the site's earlier decisions of the season
    credited. Negative when a rerun lowered the refund."""

    __tablename__ = "rebate_credit"
    __table_args__ = (
        Index("ix_rebate_credit_customer", "customer_id", "booked_at"),
        Index("ix_rebate_credit_site_season", "site_id", "season"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("rebate_decision.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    season: Mapped[int]
    amount_eur: Mapped[Money]
    booked_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    decision: Mapped[RebateDecisionRecord] = relationship()
