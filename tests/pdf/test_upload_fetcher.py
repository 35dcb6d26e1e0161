"""The locked fetcher's second scheme, ``portal-upload:<sha256>``: an act's photo is
embedded only when the renderer listed its hash; everything else stays refused."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from flask import Flask, current_app
from jinja2 import ChoiceLoader, DictLoader, PrefixLoader
from PIL import Image
from pypdf import PdfReader

from pdf.assets import AssetRefused
from pdf.fetcher import LockedURLFetcher, upload_url
from pdf.render import init_pdf, render_pdf


def png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PHOTO = png()
OTHER = png((0, 0, 200))
TEXT = b"not an image at all\n"


@pytest.fixture
def photo_app(app: Flask) -> Flask:
    current: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    init_pdf(current)
    current.jinja_loader = ChoiceLoader([  # type: ignore[method-assign]
        PrefixLoader({"upload-test": DictLoader({"photo.html": (
            '<!doctype html><html lang="en"><body><p>Visible text</p>'
            '<img src="{{ url }}" width="40"></body></html>')})}),
        current.jinja_loader])
    return current


def images_in(pdf: bytes) -> int:
    reader = PdfReader(io.BytesIO(pdf))
    return sum(len(page.images) for page in reader.pages)


def test_an_allowed_upload_is_served_and_recorded() -> None:
    fetcher = LockedURLFetcher(uploads={sha(PHOTO): PHOTO})
    response = fetcher.fetch(upload_url(sha(PHOTO)))
    assert response.content_type == "image/png"
    assert response.read() == PHOTO
    assert fetcher.served == [(f"portal-upload:{sha(PHOTO)}", sha(PHOTO))]


@pytest.mark.parametrize("url", [
    f"portal-upload:{sha(OTHER)}",  # a real photo's hash, not listed for this document
    f"portal-upload:{'0' * 64}",
    f"portal-upload:{sha(PHOTO).upper()}",
    f"portal-upload:{sha(PHOTO)}/../../etc/passwd",
    f"portal-upload:../{sha(PHOTO)}",
    f"portal-upload:{sha(PHOTO)[:2]}/{sha(PHOTO)}",
    "portal-upload:/etc/passwd",
    "portal-upload:",
    "PORTAL-UPLOAD:" + sha(PHOTO),
    "data:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd",
])
def test_an_unlisted_hash_or_a_path_is_refused(monkeypatch: pytest.MonkeyPatch,
                                               url: str) -> None:
    reads: list[Path] = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or original(self))
    fetcher = LockedURLFetcher(uploads={sha(PHOTO): PHOTO})
    with pytest.raises(AssetRefused):
        fetcher.fetch(url)
    assert reads == []
    assert fetcher.served == []


def test_bytes_that_do_not_match_their_hash_or_are_no_photo_are_refused() -> None:
    with pytest.raises(AssetRefused, match="does not match"):
        LockedURLFetcher(uploads={sha(PHOTO): OTHER}).fetch(f"portal-upload:{sha(PHOTO)}")
    with pytest.raises(AssetRefused, match="not a photo"):
        LockedURLFetcher(uploads={sha(TEXT): TEXT}).fetch(f"portal-upload:{sha(TEXT)}")


def test_without_a_list_no_upload_is_served() -> None:
    with pytest.raises(AssetRefused, match="not allowed"):
        LockedURLFetcher().fetch(f"portal-upload:{sha(PHOTO)}")


def test_upload_url_takes_only_a_sha256() -> None:
    assert upload_url(sha(PHOTO)) == f"portal-upload:{sha(PHOTO)}"
    for bad in ("", "../x", sha(PHOTO).upper(), sha(PHOTO) + "0"):
        with pytest.raises(ValueError, match="SHA-256"):
            upload_url(bad)


def test_render_pdf_embeds_a_listed_photo_only(photo_app: Flask) -> None:
    url = f"portal-upload:{sha(PHOTO)}"
    embedded = render_pdf("upload-test/photo.html", lang="en", title="Photo", url=url,
                          uploads={sha(PHOTO): PHOTO})
    assert images_in(embedded) == 1
    unlisted = render_pdf("upload-test/photo.html", lang="en", title="Photo", url=url,
                          uploads={sha(OTHER): OTHER})
    assert images_in(unlisted) == 0
    data_url = render_pdf("upload-test/photo.html", lang="en", title="Photo",
                          url="data:image/png;base64,iVBORw0KGgo=",
                          uploads={sha(PHOTO): PHOTO})
    assert images_in(data_url) == 0
