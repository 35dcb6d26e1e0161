"""WeasyPrint's URL fetcher, locked to the project's own PDF assets (see ``pdf.assets``).

WeasyPrint 70 calls ``url_fetcher(url)`` for every stylesheet, ``@import``,
font, image and attachment, and expects a ``URLFetcher`` (its subclasses
override ``fetch``) that returns a ``URLFetcherResponse``. An exception from
``fetch`` makes WeasyPrint log an error and leave that one resource out; the
rest of the document is still rendered. This fetcher never calls the parent's
``fetch``, so urllib's file, HTTP, FTP and data handlers are never reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pdf.assets import ASSET_ROOTS, ASSET_SCHEME, resolve_asset_url


class LockedURLFetcher(URLFetcher):
    """Serves ``portal-asset:`` URLs from the asset folders and refuses everything else.

    ``served`` lists each URL served with the SHA-256 of its bytes, so that a
    document's identifier can cover its assets as well as its HTML.
    """

    def __init__(self, roots: Mapping[str, Path] = ASSET_ROOTS) -> None:
        super().__init__(allowed_protocols=(ASSET_SCHEME,), allow_redirects=False,
                         fail_on_errors=False)
        self._roots = roots
        self.served: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path, mime_type = resolve_asset_url(url, self._roots)
        body = path.read_bytes()
        self.served.append((url, hashlib.sha256(body).hexdigest()))
        content_type = f"{mime_type}; charset=utf-8" if mime_type == "text/css" else mime_type
        return URLFetcherResponse(url, body, {"Content-Type": content_type})
