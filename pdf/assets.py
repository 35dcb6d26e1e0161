"""The only files a PDF may load: the project's own stylesheets, fonts and images.

A template names an asset with ``pdf_asset("css/base.css")``, which gives the
private URL ``portal-asset:css/base.css``; stylesheets write such URLs out in
full (``url(portal-asset:fonts/DejaVuSans.ttf)``), because URLs relative to a
private scheme are not joined. The first segment picks a folder from
``ASSET_ROOTS``; the rest must name a file of a known type inside that folder,
after ``..`` and symbolic links are resolved. Everything else (``file:``,
``http:``, ``https:``, ``data:``, relative URLs...) is refused.

This module is pure (no WeasyPrint): ``pdf.fetcher`` serves what it resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, unquote

ASSET_SCHEME = "portal-asset"
PREFIX = f"{ASSET_SCHEME}:"

PDF_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PDF_ROOT.parent

ASSET_ROOTS: Mapping[str, Path] = {
    "css": PDF_ROOT / "css",
    "fonts": PDF_ROOT / "fonts",
    "img": PDF_ROOT / "img",
    "static": PROJECT_ROOT / "webapp" / "static",
}

# What a document may embed; a script, a database or source code is never one.
ASSET_TYPES: Mapping[str, str] = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class AssetRefused(ValueError):
    """A URL that is not one of the project's own PDF assets."""


def pdf_asset(name: str) -> str:
    """The URL of an asset for a PDF template, e.g. ``pdf_asset("fonts/DejaVuSans.ttf")``."""
    if not name or ":" in name or name.startswith("/"):
        raise ValueError(f"an asset is named by a relative path such as 'css/base.css': {name!r}")
    return PREFIX + quote(name)


def resolve_asset_url(url: str, roots: Mapping[str, Path] = ASSET_ROOTS) -> tuple[Path, str]:
    """The file and MIME type that ``url`` names, or ``AssetRefused``.

    Nothing is opened here; the real path (symbolic links followed) must lie
    inside its root and be a regular file of one of ``ASSET_TYPES``.
    """
    if not url.startswith(PREFIX):
        raise AssetRefused(f"not a portal asset: {url[:80]!r}")
    name = unquote(url.removeprefix(PREFIX))
    root_name, slash, rest = name.partition("/")
    if not slash or not rest or root_name not in roots or "\x00" in rest:
        raise AssetRefused(f"no such asset: {url[:80]!r}")
    root = roots[root_name].resolve()
    path = (root / rest).resolve()
    if not path.is_relative_to(root):
        raise AssetRefused(f"outside the asset folders: {url[:80]!r}")
    mime_type = ASSET_TYPES.get(path.suffix.lower())
    if mime_type is None:
        raise AssetRefused(f"not an asset type: {url[:80]!r}")
    if not path.is_file():
        raise AssetRefused(f"no such asset: {url[:80]!r}")
    return path, mime_type
