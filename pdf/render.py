"""One PDF pipeline for letters, contracts, acts and invoices: Jinja → HTML → WeasyPrint → PDF/A-3b.

``init_pdf(app)`` makes ``pdf/templates/`` available as ``pdf/...`` and adds the
``pdf_asset()`` template global; ``render_pdf()`` renders a template in the
customer's language and returns the PDF's bytes. WeasyPrint is imported only
when a PDF is rendered, so starting the app does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from pdf.assets import PDF_ROOT, pdf_asset

PDF_TEMPLATES = PDF_ROOT / "templates"
PDF_VARIANT = "pdf/a-3b"
CREATOR = "Veeportaal"


def init_pdf(app: Flask) -> None:
    """Serve ``pdf/templates/NAME`` as template ``pdf/NAME``, before the app's own templates."""
    if "pdf" in app.extensions:
        return
    loaders: list[BaseLoader] = [PrefixLoader({"pdf": FileSystemLoader(PDF_TEMPLATES)})]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    # Flask looks app.jinja_loader up on every template lookup, so blueprints'
    # templates and an already created jinja_env keep working.
    app.jinja_loader = ChoiceLoader(loaders)  # type: ignore[method-assign]
    app.jinja_env.globals["pdf_asset"] = pdf_asset
    app.extensions["pdf"] = PDF_TEMPLATES


def render_pdf(template_name: str, *, lang: str, title: str, document_number: str | None = None,
               created: dt.datetime | None = None, uploads: Mapping[str, bytes] | None = None,
               **context: Any) -> bytes:
    """Render ``template_name`` in ``lang`` (et, en or ru) to PDF/A-3b bytes.

    Needs an app context (a request is not needed). ``title``, ``lang`` and
    ``document_number`` reach the template as variables, as does ``context``.
    ``title`` may be a ``lazy_gettext()`` string: it is translated into ``lang``.
    ``created`` (timezone-aware, default now) is written as the PDF's creation
    and modification date; with the same ``created`` the same template and data
    give the same bytes. ``uploads`` (SHA-256 -> bytes) lists the uploaded photos the
    document may embed as ``portal-upload:<sha256>`` (``pdf.fetcher``); nothing else
    from the upload folder is served.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "pdf" not in app.extensions:
        raise RuntimeError("init_pdf(app) was not called in create_app()")
    if lang not in app.config["LANGUAGES"]:
        raise ValueError(f"no such language: {lang!r}")
    moment = _pdf_date(created)

    with force_locale(lang):
        title = str(title)  # a lazy_gettext() title speaks the document's language
        html = render_template(template_name, lang=lang, title=title,
                               document_number=document_number, **context)

    from weasyprint import HTML

    from pdf.fetcher import LockedURLFetcher

    fetcher = LockedURLFetcher(uploads=uploads)
    options: dict[str, Any] = {"pdf_variant": PDF_VARIANT}
    # No base URL: a relative URL is refused by WeasyPrint itself, unfetched.
    # (Stylesheets are parsed again for every document: keeping parsed ones and their
    # Pango font maps between documents saved about a third of the time, but a font
    # map outliving its thread crashed the process at exit.)
    document = HTML(string=html, url_fetcher=fetcher, media_type="print").render(**options)

    metadata = document.metadata
    metadata.title = title
    metadata.lang = lang
    metadata.generator = CREATOR
    metadata.authors = [str(context.get("utility_name") or CREATOR)]
    metadata.created = metadata.modified = moment
    # The file identifier comes from what was rendered (the HTML and every asset
    # served), never from the clock or chance, so only the dates above change
    # from one run to the next. (pydyf's second /ID entry hashes the whole file.)
    digest = hashlib.sha256(html.encode())
    for url, asset_digest in fetcher.served:
        digest.update(f"\n{url} {asset_digest}".encode())
    pdf: bytes = document.write_pdf(pdf_identifier=digest.hexdigest()[:32].encode(), **options)
    return pdf


def _pdf_date(created: dt.datetime | None) -> str:
    """A W3C date-time in UTC to the second, as WeasyPrint's metadata wants it."""
    if created is None:
        created = dt.datetime.now(dt.UTC)
    elif created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
