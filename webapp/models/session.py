"""Server-side login sessions: logout ends the record, so a copied cookie dies too."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.party import Person


class LoginSession(Base):
    __tablename__ = "login_session"

    # A random token (secrets.token_urlsafe); the cookie holds only this.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    ended_at: Mapped[Timestamp | None]
    # TARA: level of assurance and the authentication methods used (mID, idcard, smartid…).
    acr: Mapped[str | None] = mapped_column(String(40))
    amr: Mapped[str | None] = mapped_column(String(100))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    person: Mapped[Person] = relationship()

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
