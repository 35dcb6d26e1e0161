"""Keys for the business API (ITB 1.2.2) and the responses kept for idempotent retries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.party import Customer, Person


class ApiKey(Base):
    """A key a customer's owner or manager made for their own systems.

    Only the SHA-256 digest of the key is kept: the key itself is shown once.
    A person has at most one key in force per customer ("Generate new key"
    revokes the old one in the same transaction); revoked keys stay as history.
    """

    __tablename__ = "api_key"
    __table_args__ = (
        Index("uq_api_key_one_in_force", "customer_id", "created_by_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, to tell keys apart on the API page.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    expires_on: Mapped[dt.date | None]  # the last day the key works (Tallinn time)
    allowed_networks: Mapped[str | None] = mapped_column(Text)  # CIDR ranges, one per line
    revoked_at: Mapped[Timestamp | None]
    last_used_at: Mapped[Timestamp | None]
    last_used_from: Mapped[str | None] = mapped_column(String(45))

    customer: Mapped[Customer] = relationship()
    created_by: Mapped[Person] = relationship()

    @property
    def networks(self) -> list[str]:
        return (self.allowed_networks or "").split()


class ApiIdempotentRequest(Base):
    """The first response to a POST with an ``Idempotency-Key``: the unique pair
    (key, Idempotency-Key) makes a retry, even a concurrent one, save once."""

    __tablename__ = "api_idempotent_request"
    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
