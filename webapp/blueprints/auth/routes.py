"""Login with an Estonian eID (OpenID Connect) and logout."""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from webapp.blueprints.main.routes import safe_local_path
from webapp.extensions import db
from webapp.forms.common import LogoutForm
from webapp.services import oidc
from webapp.services.auth import end_login_session, start_login_session

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# What the identity provider or the network can throw at a login: shown as a
# clear page, never as a 500.
_LOGIN_FAILURES = (OAuthError, JoseError, requests.RequestException, KeyError, ValueError)


@bp.get("/login")
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    client = oidc.client()
    if client is None:
        return _failure(_("Logging in is not configured on this server."), 503)
    session["login_next"] = safe_local_path(request.args.get("next"), "")
    try:
        # TARA: ui_locales makes the login page speak the person's language.
        return client.authorize_redirect(  # type: ignore[no-any-return]
            url_for("auth.callback", _external=True), ui_locales=str(get_locale())
        )
    except requests.RequestException:
        log.exception("identity provider unreachable")
        return _failure(_("The identity provider cannot be reached. Please try again later."), 503)


@bp.get("/auth/callback")
def callback() -> str | Response | tuple[str, int]:
    client = oidc.client()
    if client is None:
        return _failure(_("Logging in is not configured on this server."), 503)
    if "error" in request.args:
        return _failure(_("Logging in was cancelled or refused."), 400)
    try:
        token = client.authorize_access_token(claims_options=oidc.id_token_claims_options())
        identity = oidc.identity_from_claims(dict(token["userinfo"]))
    except _LOGIN_FAILURES:
        log.warning("login failed", exc_info=True)
        return _failure(_("Logging in failed. Please try again."), 400)
    target = session.pop("login_next", "")
    start_login_session(identity)
    db.session.commit()
    return redirect(target or url_for("account.home"), code=303)


@bp.post("/logout")
@login_required
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        end_login_session(current_user._get_current_object())  # type: ignore[attr-defined]
        db.session.commit()
    return redirect(url_for("main.index"), code=303)


def _failure(message: str, status: int) -> tuple[str, int]:
    return render_template("auth/failure.html", message=message), status
