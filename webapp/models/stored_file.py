"""Files people upload (proofs, photos, signed documents), kept outside the web root.

The bytes live in the upload folder under their SHA-256 (``services/uploads.py``);
this row is what the portal knows of them. The same content uploaded twice is one
file on disk and two rows, each with its own name and uploader.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, Timestamp, utcnow
from webapp.models.party import Person


class StoredFile(Base):
    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    # Decided from the content, never from the name or the browser's word for it.
    content_type: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    uploaded_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    uploaded_by: Mapped[Person | None] = relationship()
