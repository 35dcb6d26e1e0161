"""Public pages: the front page, the rules in force and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.forms.common import LanguageForm

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    return render_template("main/index.html")


@bp.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for /favicon.ico whatever the page links to.
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


def safe_local_path(target: str | None, fallback: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


@bp.post("/language")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    target = safe_local_path(form.next.data or _same_site_referrer(), url_for("main.index"))
    return redirect(target, code=303)


def _same_site_referrer() -> str | None:
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
