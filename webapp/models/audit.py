"""The audit trail: who did or saw what, acting as which role, when, from where and why.

Append-only: the app has no path that updates or deletes a row, and the database
refuses to (a trigger on PostgreSQL and SQLite), whatever role the app connects as.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.party import Person


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_person_id", "occurred_at"),
        Index("ix_audit_event_occurred", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    acting_as: Mapped[str] = mapped_column(String(40))  # owner, manager, clerk, admin, self…
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    # Whose personal data this was, so each person can see who looked at it.
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    purpose: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[Person | None] = relationship(foreign_keys=[subject_person_id])


# The same guards the migration installs, for schemas made by create_all in tests.
POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
SQLITE_GUARDS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
)

event.listen(
    AuditEvent.__table__, "after_create", DDL(POSTGRES_GUARD).execute_if(dialect="postgresql")
)
for _guard in SQLITE_GUARDS:
    event.listen(AuditEvent.__table__, "after_create", DDL(_guard).execute_if(dialect="sqlite"))
