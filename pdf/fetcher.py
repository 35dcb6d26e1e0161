"""WeasyPrint's URL fetcher, locked to the project's own PDF assets (see ``pdf.assets``).

WeasyPrint 70 calls ``url_fetcher(url)`` for every stylesheet, ``@import``,
font, image and attachment, and expects a ``URLFetcher`` (its subclasses
override ``fetch``) that returns a ``URLFetcherResponse``. An exception from
``fetch`` makes WeasyPrint log an error and leave that one resource out; the
rest of the document is still rendered. This fetcher never calls the parent's
``fetch``, so urllib's file, HTTP, FTP and data handlers are never reached.

A second private scheme, ``portal-upload:<sha256>``, embeds an uploaded photo (an
act's findings): only a hash the renderer lists in ``uploads`` (hash -> the bytes it
read from the upload folder) is served, and only when the bytes have that hash and
are a PNG or JPEG image. Any other hash, a path, or anything else is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pdf.assets import ASSET_ROOTS, ASSET_SCHEME, AssetRefused, resolve_asset_url

UPLOAD_SCHEME = "portal-upload"
UPLOAD_PREFIX = f"{UPLOAD_SCHEME}:"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What an uploaded file embedded in a PDF may be: a photo, told by its first bytes.
_UPLOAD_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def upload_url(sha256: str) -> str:
    """The URL of an uploaded photo for a PDF template (served only if allowed)."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256: {sha256[:80]!r}")
    return UPLOAD_PREFIX + sha256


def resolve_upload_url(url: str, uploads: Mapping[str, bytes]) -> tuple[bytes, str]:
    """The bytes and MIME type of an allowed upload, or ``AssetRefused``."""
    sha256 = url.removeprefix(UPLOAD_PREFIX)
    if not url.startswith(UPLOAD_PREFIX) or not _SHA256.fullmatch(sha256):
        raise AssetRefused(f"not an upload: {url[:80]!r}")
    body = uploads.get(sha256)
    if body is None:
        raise AssetRefused(f"upload not allowed for this document: {url[:80]!r}")
    if hashlib.sha256(body).hexdigest() != sha256:
        raise AssetRefused(f"upload does not match its hash: {url[:80]!r}")
    for magic, mime_type in _UPLOAD_TYPES:
        if body.startswith(magic):
            return body, mime_type
    raise AssetRefused(f"not a photo: {url[:80]!r}")


class LockedURLFetcher(URLFetcher):
    """Serves ``portal-asset:`` URLs from the asset folders and refuses everything else.

    ``served`` lists each URL served with the SHA-256 of its bytes, so that a
    document's identifier can cover its assets as well as its HTML.
    """

    def __init__(self, roots: Mapping[str, Path] = ASSET_ROOTS,
                 uploads: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=(ASSET_SCHEME, UPLOAD_SCHEME), allow_redirects=False,
                         fail_on_errors=False)
        self._roots = roots
        self._uploads: Mapping[str, bytes] = dict(uploads or {})
        self.served: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        if url.startswith(UPLOAD_PREFIX):
            photo, photo_type = resolve_upload_url(url, self._uploads)
            self.served.append((url, hashlib.sha256(photo).hexdigest()))
            return URLFetcherResponse(url, photo, {"Content-Type": photo_type})
        path, mime_type = resolve_asset_url(url, self._roots)
        body = path.read_bytes()
        self.served.append((url, hashlib.sha256(body).hexdigest()))
        content_type = f"{mime_type}; charset=utf-8" if mime_type == "text/css" else mime_type
        return URLFetcherResponse(url, body, {"Content-Type": content_type})
