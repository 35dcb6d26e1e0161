"""E-mail notifications, kept as an outbox: written in the transaction of the change
they tell of, sent after it commits, and kept as the record of what was said."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.party import Person


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # What it is about, e.g. ("contract_application", "12"): its page lists them.
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    sent_at: Mapped[Timestamp | None]
    error: Mapped[str | None] = mapped_column(String(500))

    person: Mapped[Person | None] = relationship()
