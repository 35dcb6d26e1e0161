"""Helpers the acts' tests share: reading an issued PDF's text, the Estonian words its
customer reads, and a draft started, saved and issued through the staff pages."""

from __future__ import annotations

import re
import shutil
import subprocess

from flask import has_app_context
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from werkzeug.test import TestResponse

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import OfficialDocument


def pdftotext(pdf: bytes) -> str:
    """The PDF's text by Debian's pdftotext (poppler-utils), its layout kept and its
    non-breaking spaces (thousands, before units) made plain."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (Debian's poppler-utils) is needed"
    done = subprocess.run([tool, "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True)
    return done.stdout.decode().replace("\u00a0", " ").replace("\u202f", " ")


def one_line(text: str) -> str:
    """The text with its lines joined and runs of spaces made one, to find a phrase the
    layout may have broken across lines or spread over columns."""
    return re.sub(r"\s+", " ", text)


def estonian(msgid: str) -> str:
    """The Estonian catalogue's translation of msgid, which must translate it."""
    assert has_app_context(), "the translation needs an app context"
    with force_locale("et"):
        text = gettext(msgid)
    assert text != msgid, f"the Estonian catalogue does not translate {msgid!r}"
    return text


def assert_estonian_words(text: str, msgids: list[str]) -> None:
    """Each msgid's Estonian translation is in the PDF's text, whitespace aside."""
    joined = one_line(text)
    for msgid in msgids:
        word = estonian(msgid)
        assert one_line(word) in joined, (msgid, word)


def doc_id_from(response: TestResponse) -> int:
    """The act's id from the redirect to its page."""
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def start_draft(client: FlaskClient, kind: str, site_code: str, **extra: str) -> int:
    """A draft of the kind for the site, started from the acts list; its id."""
    page = client.get("/staff/acts/")
    assert page.status_code == 200
    response = client.post("/staff/acts/new", data={
        "csrf_token": csrf_token_from(page.text), "kind": kind, "site_code": site_code,
        **extra})
    assert response.status_code == 303, response.text
    return doc_id_from(response)


def form_token(client: FlaskClient, doc_id: int) -> str:
    """The CSRF token of the act's form."""
    page = client.get(f"/staff/acts/{doc_id}")
    assert page.status_code == 200
    return csrf_token_from(page.text)


def fill(client: FlaskClient, doc_id: int, data: dict[str, str], *,
         status: int = 303) -> TestResponse:
    """The draft saved with the data (which carries the CSRF token), answered with
    status (303: saved, 422: refused)."""
    response = client.post(f"/staff/acts/{doc_id}", data=data)
    assert response.status_code == status, response.text
    return response


def preview_draft(client: FlaskClient, doc_id: int, data: dict[str, str]) -> TestResponse:
    """The htmx preview of the draft with the data (which carries the CSRF token)."""
    return client.post(f"/staff/acts/{doc_id}/preview", data=data,
                       headers={"HX-Request": "true"})


def issue(client: FlaskClient, doc_id: int, token: str, *, status: int = 303) -> TestResponse:
    """The draft issued, confirmed, answered with status (303: issued, 422: refused)."""
    response = client.post(f"/staff/acts/{doc_id}/issue",
                           data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == status, response.text
    return response


def reloaded(doc_id: int) -> OfficialDocument:
    """The act as the database holds it now."""
    doc = db.session.get(OfficialDocument, doc_id)
    assert doc is not None
    db.session.refresh(doc)
    return doc


def et(msgid: str, **values: object) -> str:
    """The Estonian sentence of msgid with its values, as an Estonian customer's act
    says it (the catalogue must translate it)."""
    assert has_app_context(), "the translation needs an app context"
    with force_locale("et"):
        text = gettext(msgid, **values)
        english = msgid % values if values else msgid
    assert text != english, f"the Estonian catalogue does not translate {msgid!r}"
    return text
