"""The development identity provider: an OpenID Connect provider on loopback.

Started only in development when no ``OIDC_ISSUER`` is configured, so that
"Log in" works on a fresh machine. It speaks the TARA profile: ``sub`` is
``EE`` + personal code, the names come in ``profile_attributes``, and ``acr``
and ``amr`` say how the person authenticated. Built on ``oidc-provider-mock``;
its login page (our template) lets you pick one of the demo persons, or type
any valid personal code to play a person the utility does not know.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

from flask import Flask
from stdnum.ee import ik

with warnings.catch_warnings():
    # oidc-provider-mock still imports modules Authlib has deprecated (authlib.jose,
    # its httpx client); the portal itself uses Authlib's current client API.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from oidc_provider_mock import User, init_app

from webapp.demo_persons import DEMO_PERSONS, DemoPerson


def tara_user(person: DemoPerson) -> User:
    birth: dt.date = ik.get_birth_date(person.personal_code)
    return User(
        sub=f"EE{person.personal_code}",
        claims={
            "profile_attributes": {
                "given_name": person.given_name.upper(),
                "family_name": person.family_name.upper(),
                "date_of_birth": birth.isoformat(),
            },
            "amr": ["mID"],
            "acr": "high",
        },
    )


def create_idp_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    init_app(app, require_nonce=True, user_claims=[tara_user(p) for p in DEMO_PERSONS])
    # oidc-provider-mock turns on Werkzeug's interactive debugger; we never want
    # a code-executing console, not even on loopback.
    app.debug = False
    app.wsgi_app = app.wsgi_app.app  # type: ignore[attr-defined]
    app.jinja_env.globals["demo_persons"] = {f"EE{p.personal_code}": p for p in DEMO_PERSONS}
    return app
