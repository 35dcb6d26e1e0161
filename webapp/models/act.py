"""Official acts and notices (issue 9; KEE §13, §24-§29, §36-§38, §43(2)).

A document starts as a draft that staff edit and preview; issuing it gives it the
next number of its kind and year (``document_counter``), renders its PDF once and
stores it with its SHA-256. An issued document never changes: the database refuses
an update of its content (``_refuse_changes_to_issued``), and a correction is a new
document that names the one it corrects (``corrects_id``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from webapp.models.base import Base, CanonicalJSON, Timestamp, utcnow
from webapp.models.billing import Invoice
from webapp.models.enums import RebateRunStatus, enum_column
from webapp.models.meter import Meter
from webapp.models.party import Customer, Person
from webapp.models.property import Site
from webapp.models.stored_file import StoredFile


class ActKind(enum.StrEnum):
    INSPECTION_REPORT = "inspection_report"  # KEE §37(2), §36
    METER_ACT = "meter_act"  # KEE §37(1)-(2), (4)
    UNAUTHORISED_CONNECTION = "unauth_connection"  # KEE §24-§25
    UNAUTHORISED_USE = "unauth_use"  # KEE §26-§27
    PROHIBITED_CONNECTION = "prohibited_conn"  # KEE §28-§29
    METER_FAILURE = "meter_failure"  # KEE §38(1)-(2)
    CLOSURE_WARNING = "closure_warning"  # KEE §43(2)
    INTERRUPTION_NOTICE = "interruption_notice"  # KEE §13(3)-(4)


class ActStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class OfficialDocument(Base):
    __tablename__ = "official_document"
    __table_args__ = (
        CheckConstraint(
            "status = 'draft' OR (number IS NOT NULL AND pdf_file_id IS NOT NULL"
            " AND sha256 IS NOT NULL AND issued_on IS NOT NULL)",
            name="issued_is_complete"),
        UniqueConstraint("series", "year", "serial"),
        Index("ix_official_document_issued", "status", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Every update checks and raises it (optimistic locking): of two staff issuing
    # the same draft at once, the second's update finds it changed and is refused,
    # on SQLite too, where there is no SELECT ... FOR UPDATE.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    kind: Mapped[ActKind] = mapped_column(enum_column(ActKind, "act_kind"))
    status: Mapped[ActStatus] = mapped_column(enum_column(ActStatus, "act_status"),
                                              default=ActStatus.DRAFT)
    # Given on issue: e.g. OMU-2026-00042, from series OMU, year 2026, serial 42.
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    series: Mapped[str | None] = mapped_column(String(20))
    year: Mapped[int | None]
    serial: Mapped[int | None]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("official_document.id"))
    # The interruption notices sent in one action share a batch key.
    batch_key: Mapped[str | None] = mapped_column(String(40), index=True)
    language: Mapped[str] = mapped_column(String(5), default="et")
    # What staff entered (typed values as JSON) and what the portal computed from it.
    data: Mapped[dict[str, Any]] = mapped_column(CanonicalJSON(), default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(CanonicalJSON())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    issued_at: Mapped[Timestamp | None]
    issued_on: Mapped[dt.date | None]
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    site: Mapped[Site | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    meter: Mapped[Meter | None] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    corrects: Mapped[OfficialDocument | None] = relationship(remote_side=[id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[Person | None] = relationship(foreign_keys=[issued_by_id])
    pdf_file: Mapped[StoredFile | None] = relationship()
    attachments: Mapped[list[ActAttachment]] = relationship(
        back_populates="document", order_by="ActAttachment.id", cascade="all, delete-orphan")

    @property
    def is_issued(self) -> bool:
        return self.status is ActStatus.ISSUED


class ActAttachment(Base):
    """A photo attached to an act (an inspection's findings)."""

    __tablename__ = "act_attachment"
    __table_args__ = (UniqueConstraint("document_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("official_document.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    caption: Mapped[str] = mapped_column(String(200), default="")

    document: Mapped[OfficialDocument] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class IssuedDocumentChanged(RuntimeError):
    """An attempt to change an issued act: a correction is a new document."""


# What an issued document keeps as it was; only nothing may change after issue.
_FROZEN = ("kind", "status", "number", "series", "year", "serial", "site_id", "customer_id",
           "meter_id", "invoice_id", "corrects_id", "language", "data", "result",
           "issued_by_id", "issued_at", "issued_on", "pdf_file_id", "sha256")


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued(session: Session, _context: Any, _instances: Any) -> None:
    from sqlalchemy import inspect

    for obj in session.dirty:
        if isinstance(obj, OfficialDocument):
            state = inspect(obj)
            status = state.attrs.status.history
            was = status.deleted[0] if status.deleted else obj.status
            if was is not ActStatus.ISSUED:
                continue
            changed = [name for name in _FROZEN if state.attrs[name].history.has_changes()]
            if changed:
                raise IssuedDocumentChanged(
                    f"act {obj.number} is issued and cannot change ({', '.join(changed)})")
        elif isinstance(obj, ActAttachment) and _issued(session, obj):
            raise IssuedDocumentChanged("the photos of an issued act cannot change")
    for obj in session.deleted:
        if isinstance(obj, OfficialDocument) and obj.is_issued:
            raise IssuedDocumentChanged("an issued act cannot be deleted")
        if isinstance(obj, ActAttachment) and _issued(session, obj):
            raise IssuedDocumentChanged("the photos of an issued act cannot change")
    for obj in session.new:
        if isinstance(obj, ActAttachment) and _issued(session, obj):
            raise IssuedDocumentChanged("the photos of an issued act cannot change")


_NOTICE_RUNNING = text("status = 'running'")


class NoticeRun(Base):
    """Interruption notices sent to every affected site in one action (KEE §13(3)-(4)):
    the form as sent, and the progress while the notices are issued in the background.
    Its documents share its ``batch_key``. One runs at a time (a partial unique index)."""

    __tablename__ = "notice_run"
    __table_args__ = (
        Index("uq_notice_run_one_running", "status", unique=True,
              sqlite_where=_NOTICE_RUNNING, postgresql_where=_NOTICE_RUNNING),
        CheckConstraint("done >= 0 AND done <= total", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[RebateRunStatus] = mapped_column(
        enum_column(RebateRunStatus, "notice_run_status"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    finished_at: Mapped[Timestamp | None]
    error: Mapped[str | None] = mapped_column(String(1000))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # The form as sent: the notice's data and the chosen sites' ids.
    data: Mapped[dict[str, Any]] = mapped_column(CanonicalJSON(), default=dict)

    started_by: Mapped[Person | None] = relationship()


def _issued(session: Session, attachment: ActAttachment) -> bool:
    """Is the attachment's act issued (also once it was taken off the act's list)?"""
    document = attachment.document
    if document is None and attachment.document_id is not None:
        document = session.get(OfficialDocument, attachment.document_id)
    return document is not None and document.is_issued
