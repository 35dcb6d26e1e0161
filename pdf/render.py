"""One PDF pipeline for letters, contracts, acts and invoices: Jinja → HTML → WeasyPrint → PDF/A-3b.

``init_pdf(app)`` makes ``pdf/templates/`` available as ``pdf/...`` and adds the
``pdf_asset()`` template global; ``render_pdf()`` renders a template in the
customer's language and returns the PDF's bytes. WeasyPrint is imported only
when a PDF is rendered, so starting the app does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
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
    # The project's stylesheets are parsed once a thread (``_shared_stylesheets``).
    body, sheets, sheets_served, font_config = _shared_stylesheets(app, html)
    # No base URL: a relative URL is refused by WeasyPrint itself, unfetched.
    document = HTML(string=body, url_fetcher=fetcher, media_type="print").render(
        stylesheets=sheets, font_config=font_config, **options)

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
    for url, asset_digest in [*sheets_served, *fetcher.served]:
        digest.update(f"\n{url} {asset_digest}".encode())
    pdf: bytes = document.write_pdf(pdf_identifier=digest.hexdigest()[:32].encode(), **options)
    return pdf


# A stylesheet link exactly as the PDF templates write it (pdf/templates/_base.html).
_STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="(portal-asset:css/[^"<>]+)">')


def _shared_stylesheets(app: Flask, html: str
                        ) -> tuple[str, list[Any], list[tuple[str, str]], Any]:
    """The HTML without its links to the project's stylesheets, those stylesheets
    parsed (once a thread, again when a file changes), what their parsing fetched (the
    stylesheet and its fonts, in the order a link would fetch them), and the font
    configuration they were parsed with.

    Parsing base.css and loading its fonts took most of the rest of an act's rendering
    (bench/bench_acts.py); passed as ``stylesheets=`` they cascade as the links did
    (nothing else is an author style of these templates) and the PDF's bytes stay the
    same. A Pango font map is not shared between threads, so each thread (a request's,
    a background run's) of each app keeps its own."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from pdf.assets import AssetRefused, resolve_asset_url
    from pdf.fetcher import LockedURLFetcher

    _parsed = app.extensions.setdefault("pdf_stylesheets", threading.local())
    cache: dict[str, tuple[str, Any, list[tuple[str, str]]]] | None = getattr(
        _parsed, "sheets", None)
    if cache is None:
        cache = _parsed.sheets = {}
        _parsed.font_config = FontConfiguration()
    sheets: list[Any] = []
    served: list[tuple[str, str]] = []
    links = _STYLESHEET_LINK.findall(html)
    for url in links:
        try:
            digest = hashlib.sha256(resolve_asset_url(url)[0].read_bytes()).hexdigest()
        except AssetRefused:  # left as a link: the document's fetcher refuses it
            return html, [], [], None
        known = cache.get(url)
        if known is None or known[0] != digest:
            fetcher = LockedURLFetcher()
            css = CSS(url=url, url_fetcher=fetcher, font_config=_parsed.font_config,
                      media_type="print")
            known = cache[url] = (digest, css, list(fetcher.served))
        sheets.append(known[1])
        served.extend(known[2])
    return _STYLESHEET_LINK.sub("", html), sheets, served, _parsed.font_config


def _pdf_date(created: dt.datetime | None) -> str:
    """A W3C date-time in UTC to the second, as WeasyPrint's metadata wants it."""
    if created is None:
        created = dt.datetime.now(dt.UTC)
    elif created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
