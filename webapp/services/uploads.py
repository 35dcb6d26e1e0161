"""Uploaded files: checked by their content, kept outside the web root under their
SHA-256, served back only through a route that asks the permission function.

What a file is decides from its bytes, never from its name or the browser's word:
a PDF starts with ``%PDF-`` and ends with ``%%EOF``; a JPEG or PNG is one that
Pillow can open and verify. Anything else is refused with the reason.

The bytes are stored as ``UPLOAD_FOLDER/ab/abcdef…`` (the digest), written to a
temporary file first and moved in place, so a reader never sees half a file. A
transaction that rolls back leaves the file behind, unnamed by any row: the same
content stored again finds it, and nothing can reach it without a row.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from webapp.extensions import db
from webapp.models import StoredFile

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
# A DigiDoc container (.asice, .bdoc): ASiC-E, a ZIP whose first entry, stored
# uncompressed, is "mimetype" naming it, with its signatures under META-INF/.
ASICE = "application/vnd.etsi.asic-e+zip"
DOCUMENT_TYPES = (PDF, JPEG, PNG)
SIGNED_TYPES = (PDF, ASICE)
TYPE_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", ASICE: "ASiC-E"}
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", ASICE: ".asice"}
MEGABYTE = 1024 * 1024
CHUNK = 64 * 1024
NAME_LENGTH = 255
# A PDF's end-of-file marker may be followed by a little whitespace or garbage.
PDF_TAIL = 1024
# Pillow refuses images past this many pixels; a photo of a document is far smaller.
MAX_IMAGE_PIXELS = 60_000_000


class UploadRefused(ValueError):
    """A file the portal does not take; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Checked:
    data: bytes
    content_type: str
    sha256: str
    name: str


def upload_folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _read_limited(stream: IO[bytes], max_bytes: int) -> bytes:
    """At most ``max_bytes``; ``UploadRefused`` as soon as there is more."""
    buffer = io.BytesIO()
    while chunk := stream.read(CHUNK):
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise UploadRefused(_("The file is larger than %(size)s MB.",
                                  size=max_bytes // MEGABYTE))
    return buffer.getvalue()


def content_type_of(data: bytes) -> str | None:
    """The type the bytes are, among the document types, or None."""
    if data.startswith(b"%PDF-"):
        return PDF if b"%%EOF" in data[-PDF_TAIL:] else None
    if data.startswith(b"PK\x03\x04"):
        return ASICE if _is_asice(data) else None
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.verify()
                kind = image.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError):
            return None
        return {"JPEG": JPEG, "PNG": PNG}.get(kind or "")
    return None


def _is_asice(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as container:
            entries = container.infolist()
            if not entries or entries[0].filename != "mimetype":
                return False
            if entries[0].compress_type != zipfile.ZIP_STORED:
                return False
            if container.read("mimetype").strip() != ASICE.encode():
                return False
            return any(entry.filename.startswith("META-INF/")
                       and "signatures" in entry.filename for entry in entries)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False


def _clean_name(name: str | None, content_type: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())[:NAME_LENGTH]
    return base or f"document{EXTENSIONS[content_type]}"


def check_upload(stream: IO[bytes], name: str | None, max_bytes: int,
                 allowed: tuple[str, ...] = DOCUMENT_TYPES) -> Checked:
    """The file's bytes and type, or ``UploadRefused`` saying why not."""
    data = _read_limited(stream, max_bytes)
    if not data:
        raise UploadRefused(_("The file is empty."))
    content_type = content_type_of(data)
    if content_type is None or content_type not in allowed:
        if allowed == SIGNED_TYPES:
            raise UploadRefused(_("This file is not a DigiDoc container (.asice, .bdoc) or a "
                                  "PDF (its content was checked, not its name)."))
        raise UploadRefused(
            _("This file is not a PDF, JPEG or PNG document (its content was checked, "
              "not its name).")
        )
    return Checked(data, content_type, hashlib.sha256(data).hexdigest(),
                   _clean_name(name, content_type))


def path_of(sha256: str) -> Path:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise ValueError("not a SHA-256 digest")
    return upload_folder() / sha256[:2] / sha256


def store(checked: Checked, uploaded_by_id: int | None) -> StoredFile:
    """Write the bytes (once per content) and add their row to the session."""
    target = path_of(checked.sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as temporary:
            temporary.write(checked.data)
        os.replace(temporary.name, target)
    stored = StoredFile(sha256=checked.sha256, size=len(checked.data),
                        content_type=checked.content_type, original_name=checked.name,
                        uploaded_by_id=uploaded_by_id)
    db.session.add(stored)
    return stored


def read(stored: StoredFile) -> bytes:
    """The stored bytes, checked against their digest (a changed file is an error)."""
    data = path_of(stored.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise OSError(f"stored file {stored.id} does not match its SHA-256")
    return data
