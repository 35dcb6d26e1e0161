"""The PDF pipeline: PDF/A-3b, fonts, footer, languages, same bytes, and the locked fetcher."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app, render_template_string
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from pdf.assets import ASSET_ROOTS, AssetRefused, pdf_asset, resolve_asset_url
from pdf.fetcher import LockedURLFetcher
from pdf.render import init_pdf, render_pdf

TEST_TEMPLATES = Path(__file__).parent / "templates"
CREATED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
LEAK = "LEAKED"


@pytest.fixture
def pdf_app(app: Flask) -> Flask:
    """The app whose context the test runs in, with the PDF templates and the test
    templates (as ``pdf-test/NAME``). ``init_pdf`` does nothing a second time."""
    current: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    init_pdf(current)
    current.jinja_loader = ChoiceLoader([  # type: ignore[method-assign]
        PrefixLoader({"pdf-test": FileSystemLoader(TEST_TEMPLATES)}), current.jinja_loader])
    return current


def letter(rows: int = 3, **overrides: Any) -> bytes:
    arguments: dict[str, Any] = {
        "lang": "en", "title": "Decision on the rebate", "document_number": "7-1/2026/15",
        "utility_name": "Näidisvesi AS", "rows": rows, "created": CREATED}
    arguments.update(overrides)
    return render_pdf("pdf-test/letter.html", **arguments)


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def xmp(pdf: bytes) -> bytes:
    data: bytes = reader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data()
    return data


def test_renders_a_pdf_a_3b_document_with_its_metadata(pdf_app: Flask) -> None:
    pdf = letter(lang="et")
    assert pdf.startswith(b"%PDF-1.7")
    metadata = xmp(pdf)
    assert re.search(rb'pdfaid:part="3"', metadata)
    assert re.search(rb'pdfaid:conformance="B"', metadata)
    assert b"<xmp:CreatorTool>Veeportaal</xmp:CreatorTool>" in metadata
    assert b"<xmp:CreateDate>2026-03-01T09:30:00Z</xmp:CreateDate>" in metadata
    document = reader(pdf)
    info = document.metadata
    assert info is not None
    assert info["/Title"] == "Decision on the rebate"
    assert info["/Author"] == "Näidisvesi AS"
    assert info["/Creator"] == "Veeportaal"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20260301093000Z"
    root = document.trailer["/Root"]
    assert root["/Lang"] == "et"
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert len(document.trailer["/ID"]) == 2


def test_the_author_is_the_portal_without_a_utility(pdf_app: Flask) -> None:
    info = reader(letter(utility_name=None)).metadata
    assert info is not None
    assert info["/Author"] == "Veeportaal"


def test_every_page_has_its_number_of_all_and_the_document_number(pdf_app: Flask) -> None:
    texts = page_texts(letter(rows=80))
    assert len(texts) == 3
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of 3" in text
        assert "7-1/2026/15" in text


def test_without_a_document_number_none_is_shown(pdf_app: Flask) -> None:
    texts = page_texts(letter(rows=80, document_number=None))
    assert len(texts) == 3
    assert not any("7-1/2026/15" in text or "None" in text for text in texts)


def test_estonian_and_cyrillic_letters_in_the_vendored_dejavu_fonts(
    pdf_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched = spy_on_fetches(monkeypatch)
    pdf = letter()
    text = page_texts(pdf)[0]
    assert "õäöüšž ÕÄÖÜŠŽ" in text
    assert "Решение о компенсации" in text
    fonts = {}
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    # Subsets ("ABCDEF+DejaVu-Sans"), embedded, of the regular, bold and oblique faces.
    assert {name.split("+", 1)[1] for name in fonts} == {
        "DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Italic"}
    assert all(fonts.values())
    assert {url for url, outcome in fetched if outcome == "served"} == {
        "portal-asset:css/base.css",
        "portal-asset:fonts/DejaVuSans.ttf",
        "portal-asset:fonts/DejaVuSans-Bold.ttf",
        "portal-asset:fonts/DejaVuSans-Oblique.ttf",
        "portal-asset:fonts/DejaVuSans-BoldOblique.ttf",
    }


@pytest.mark.parametrize(("lang", "footer", "heading"), [
    ("et", "Lehekülg 1 (kokku 1)", "Näidud"),
    ("en", "Page 1 of 1", "Readings"),
    ("ru", "Страница 1 из 1", "Показания"),
])
def test_speaks_the_language_asked_for(
    pdf_app: Flask, lang: str, footer: str, heading: str
) -> None:
    pdf = letter(lang=lang)
    text = page_texts(pdf)[0]
    assert footer in text
    assert heading in text
    assert reader(pdf).trailer["/Root"]["/Lang"] == lang


def test_a_lazy_title_is_translated_into_the_documents_language(pdf_app: Flask) -> None:
    from flask_babel import lazy_gettext

    with pdf_app.test_request_context("/"):
        pdf = letter(lang="ru", title=lazy_gettext("Readings"))
    info = reader(pdf).metadata
    assert info is not None
    assert info["/Title"] == "Показания"
    assert "Показания" in page_texts(pdf)[0]


def test_a_web_request_keeps_its_own_language(pdf_app: Flask) -> None:
    from flask_babel import get_locale, gettext

    with pdf_app.test_request_context("/"):
        assert str(get_locale()) == "en"
        assert "Страница 1 из 1" in page_texts(letter(lang="ru"))[0]
        assert str(get_locale()) == "en"
        assert gettext("Readings") == "Readings"


def test_the_same_template_and_data_give_the_same_bytes(pdf_app: Flask) -> None:
    assert letter(rows=40) == letter(rows=40)


# A PDF date (pypdf writes its colon as \072) and an XMP date.
DATES = re.compile(rb"D(?::|\\072)\d{14}Z|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def objects_without_dates(pdf: bytes) -> list[bytes]:
    """Every object of the file in PDF syntax, streams decoded, dates blanked. The
    cross-reference stream is left out: it holds byte offsets, which move when a
    compressed stream holding a date compresses to another length."""
    document = reader(pdf)
    objects = []
    for number in range(1, int(document.trailer["/Size"])):
        item = document.get_object(number)
        out = io.BytesIO()
        if isinstance(item, StreamObject):
            if item.get("/Type") == "/XRef":
                continue
            head = DictionaryObject({NameObject(key): value for key, value in item.items()
                                     if key not in ("/Length", "/Filter", "/DecodeParms")})
            head.write_to_stream(out)
            out.write(b"\nstream\n" + item.get_data())
        elif item is not None:
            item.write_to_stream(out)
        objects.append(DATES.sub(b"<date>", out.getvalue()))
    return objects


def test_only_the_dates_change_with_the_moment_of_rendering(pdf_app: Flask) -> None:
    first = letter(rows=40)
    later = letter(rows=40, created=CREATED + dt.timedelta(days=400, hours=5, seconds=7))
    assert first != later
    assert b"D:20270405" in reader(later).metadata["/CreationDate"].encode()  # type: ignore[index]
    assert objects_without_dates(first) == objects_without_dates(later)
    # The file identifier's permanent part comes from the content, not the clock.
    assert reader(first).trailer["/ID"][0] == reader(later).trailer["/ID"][0]


def test_another_content_gets_another_identifier(pdf_app: Flask) -> None:
    assert reader(letter(rows=3)).trailer["/ID"][0] != reader(letter(rows=4)).trailer["/ID"][0]


def test_the_dates_default_to_now(pdf_app: Flask) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    info = reader(letter(created=None)).metadata
    after = dt.datetime.now(dt.UTC)
    assert info is not None
    stamp = dt.datetime.strptime(info["/CreationDate"], "D:%Y%m%d%H%M%SZ").replace(tzinfo=dt.UTC)
    assert before <= stamp <= after


def test_refuses_a_naive_moment_and_an_unknown_language(pdf_app: Flask) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        letter(created=dt.datetime(2026, 3, 1, 9, 30))
    with pytest.raises(ValueError, match="no such language"):
        letter(lang="de")


def test_render_pdf_needs_init_pdf(app_factory: Callable[..., Flask]) -> None:
    bare = app_factory()
    bare.extensions.pop("pdf", None)
    with bare.app_context(), pytest.raises(RuntimeError, match="init_pdf"):
        render_pdf("pdf/_base.html", lang="en", title="T")


def test_init_pdf_keeps_the_apps_own_templates(pdf_app: Flask) -> None:
    environment = pdf_app.jinja_env
    assert environment.get_template("base.html") is not None
    assert environment.get_template("pdf/_base.html").filename == str(
        Path(__file__).resolve().parents[2] / "pdf" / "templates" / "_base.html")
    assert render_template_string("{{ pdf_asset('css/base.css') }}") == "portal-asset:css/base.css"


# The locked fetcher ------------------------------------------------------------------


def spy_on_fetches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records every URL WeasyPrint asks for: ``served``, ``refused`` (by the lock)
    or ``failed`` (any other error, which would mean the lock let it through)."""
    calls: list[tuple[str, str]] = []
    original = LockedURLFetcher.fetch

    def fetch(self: LockedURLFetcher, url: str, headers: object = None) -> Any:
        try:
            response = original(self, url, headers)
        except AssetRefused:
            calls.append((url, "refused"))
            raise
        except Exception:
            calls.append((url, "failed"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(LockedURLFetcher, "fetch", fetch)
    return calls


def spy_on_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every file read through ``Path.read_bytes`` (how the fetcher reads)."""
    reads: list[Path] = []
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        reads.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


class RecordingServer:
    """A local HTTP server that serves a stylesheet that would show LEAKED, and
    records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorded.append(self.path)
                body = f'p::after {{ content: "{LEAK}" }}'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


@pytest.fixture
def leak_css(tmp_path: Path) -> Path:
    """A stylesheet outside the asset folders that would print LEAKED if it were loaded."""
    path = tmp_path / "leak.css"
    path.write_text(f'p::after {{ content: "{LEAK}" }}\n')
    return path


def test_the_recording_server_would_notice_a_fetch(http_server: RecordingServer) -> None:
    from urllib.request import urlopen

    with urlopen(f"{http_server.url}/probe.css", timeout=5) as response:
        assert LEAK.encode() in response.read()
    assert http_server.requests == ["/probe.css"]


HOSTILE = [
    ("img", "file:///etc/passwd"),
    ("link", "file:///etc/passwd"),
    ("link", "file://{leak}"),
    ("import", "file://{leak}"),
    ("background", "file:///etc/passwd"),
    ("font", "file:///etc/passwd"),
    ("attachment", "file:///etc/passwd"),
    ("import", "http://127.0.0.1:9/x.css"),
    ("import", "{server}/import.css"),
    ("link", "{server}/link.css"),
    ("img", "{server}/"),
    ("background", "{server}/background.png"),
    ("link", "https://127.0.0.1:9/x.css"),
    ("img", "ftp://127.0.0.1:9/x.png"),
    ("img", "data:image/png;base64,iVBORw0KGgo="),
    ("link", "data:text/css,p::after%7Bcontent:%22LEAKED%22%7D"),
    ("link", "portal-asset:css/{escape}"),
    ("import", "portal-asset:css/{escape_encoded}"),
    ("img", "portal-asset:css/../../../../../../../../etc/passwd"),
    ("img", "portal-asset:static/../../.git/config"),
    ("link", "../../../../../../../..{leak}"),
    ("img", "../../etc/passwd"),
]


@pytest.mark.parametrize(("kind", "url"), HOSTILE)
def test_a_hostile_reference_is_refused_unfetched_and_the_rest_rendered(
    pdf_app: Flask, http_server: RecordingServer, leak_css: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kind: str, url: str,
) -> None:
    escape = os.path.relpath(leak_css, ASSET_ROOTS["css"])
    url = url.format(leak=leak_css, server=http_server.url, escape=escape,
                     escape_encoded=escape.replace("..", "%2e%2e"))
    fetched = spy_on_fetches(monkeypatch)
    reads = spy_on_reads(monkeypatch)

    pdf = render_pdf("pdf-test/hostile.html", lang="en", title="Hostile", kind=kind, url=url)

    assert pdf.startswith(b"%PDF-")
    text = "".join(page_texts(pdf))
    assert "Visible text" in text
    assert "Page 1 of 1" in text
    assert LEAK not in text
    assert http_server.requests == []
    assert {outcome for fetched_url, outcome in fetched if fetched_url == url} <= {"refused"}
    assert {outcome for _url, outcome in fetched} <= {"served", "refused"}
    roots = [root.resolve() for root in ASSET_ROOTS.values()]
    assert reads
    assert all(any(path.resolve().is_relative_to(root) for root in roots) for path in reads)
    assert "/EmbeddedFiles" not in str(reader(pdf).trailer["/Root"].get("/Names", {}))
    assert any(record.name == "weasyprint" and record.levelno >= logging.WARNING
               for record in caplog.records)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1:9/x.css",
    "https://example.org/x.css",
    "ftp://127.0.0.1/x.css",
    "data:text/css,p{}",
    "css/base.css",
    "/work/main/pdf/css/base.css",
    "PORTAL-ASSET:css/base.css",
    "portal-asset:",
    "portal-asset:css",
    "portal-asset:css/",
    "portal-asset:nowhere/base.css",
    "portal-asset:css/missing.css",
    "portal-asset:css/../render.py",
    "portal-asset:css/../../README.md",
    "portal-asset:css/%2e%2e/%2e%2e/README.md",
    "portal-asset:css/..%2f..%2fREADME.md",
    "portal-asset:static/../__init__.py",
    "portal-asset:fonts/../css/base.css",
    "portal-asset:static/../../pdf/css/base.css",
    "portal-asset:static/js/swagger-init.js",
    "portal-asset:fonts/LICENSE",
    "portal-asset:fonts/DejaVuSans.ttf%00.css",
    "portal-asset:/etc/passwd",
    "portal-asset:css//etc/passwd",
])
def test_the_fetcher_refuses_whatever_is_not_our_asset(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    reads = spy_on_reads(monkeypatch)
    with pytest.raises(AssetRefused):
        LockedURLFetcher().fetch(url)
    assert reads == []


def test_the_fetcher_serves_our_assets() -> None:
    fetcher = LockedURLFetcher()
    stylesheet = fetcher.fetch(pdf_asset("css/base.css"))
    assert stylesheet.content_type == "text/css"
    assert stylesheet.charset == "utf-8"
    assert b"@font-face" in stylesheet.read()
    font = fetcher(pdf_asset("fonts/DejaVuSans.ttf"))
    assert font.content_type == "font/ttf"
    assert font.read(4) == b"\x00\x01\x00\x00"
    icon = fetcher.fetch(pdf_asset("static/img/favicon.svg"))
    assert icon.content_type == "image/svg+xml"
    assert [url for url, _digest in fetcher.served] == [
        "portal-asset:css/base.css", "portal-asset:fonts/DejaVuSans.ttf",
        "portal-asset:static/img/favicon.svg"]


def test_a_symbolic_link_out_of_an_asset_folder_is_refused(tmp_path: Path) -> None:
    css = tmp_path / "css"
    css.mkdir()
    (tmp_path / "secret.css").write_text("p { color: red }")
    (css / "inside.css").write_text("p { color: blue }")
    (css / "escape.css").symlink_to(tmp_path / "secret.css")
    (css / "alias.css").symlink_to(css / "inside.css")
    (css / "up").symlink_to(tmp_path)
    roots = {"css": css}
    with pytest.raises(AssetRefused, match="outside"):
        resolve_asset_url("portal-asset:css/escape.css", roots)
    with pytest.raises(AssetRefused, match="outside"):
        resolve_asset_url("portal-asset:css/up/secret.css", roots)
    with pytest.raises(AssetRefused, match="outside"):
        resolve_asset_url("portal-asset:css/../secret.css", roots)
    # A link that stays inside its folder is fine.
    assert resolve_asset_url("portal-asset:css/alias.css", roots) == (
        (css / "inside.css").resolve(), "text/css")
    assert LockedURLFetcher(roots).fetch("portal-asset:css/alias.css").read() == (
        b"p { color: blue }")


@pytest.mark.parametrize("name", ["", "file:///etc/passwd", "/etc/passwd", "http://x/y.css"])
def test_pdf_asset_takes_only_a_relative_name(name: str) -> None:
    with pytest.raises(ValueError, match="relative path"):
        pdf_asset(name)


def test_pdf_asset_names_a_file_under_an_asset_folder() -> None:
    assert pdf_asset("fonts/DejaVuSans Bold.ttf") == "portal-asset:fonts/DejaVuSans%20Bold.ttf"
