"""Login with an Estonian eID through OpenID Connect (TARA profile).

Authorization-code flow with PKCE (S256); Authlib checks ``state`` and
``nonce`` and the ID token's signature, ``iss``, ``aud`` and expiry.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from webapp.domain.identity import personal_code_from_subject
from webapp.services.auth import EidIdentity

CLIENT_NAME = "eid"
EXTENSION = "oidc_registry"


def issuer_for(app: Flask) -> str | None:
    if app.config.get("OIDC_ISSUER"):
        return str(app.config["OIDC_ISSUER"]).rstrip("/")
    if app.config.get("DEV_IDP_ENABLED"):
        return f"http://{app.config['DEV_IDP_HOST']}:{app.config['DEV_IDP_PORT']}"
    return None


def init_oidc(app: Flask) -> None:
    # One registry per app: Authlib caches a client's provider metadata in its
    # registry, and each app (each test, too) may have its own provider.
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth
    issuer = issuer_for(app)
    app.config["OIDC_EFFECTIVE_ISSUER"] = issuer
    if issuer is None:
        return
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPE"], "code_challenge_method": "S256"},
    )


def client() -> Any | None:
    if current_app.config.get("OIDC_EFFECTIVE_ISSUER") is None:
        return None
    return current_app.extensions[EXTENSION].create_client(CLIENT_NAME)


def id_token_claims_options() -> dict[str, Any]:
    issuer = current_app.config["OIDC_EFFECTIVE_ISSUER"]
    return {
        "iss": {"essential": True, "values": [issuer]},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }


def identity_from_claims(claims: dict[str, Any]) -> EidIdentity:
    """Map TARA's claims to an identity; ``ValueError`` when ``sub`` is not Estonian."""
    personal_code = personal_code_from_subject(str(claims.get("sub", "")))
    profile = claims.get("profile_attributes") or {}
    amr = claims.get("amr") or ()
    if isinstance(amr, str):
        amr = (amr,)
    return EidIdentity(
        personal_code=personal_code,
        given_name=str(profile.get("given_name") or claims.get("given_name") or ""),
        family_name=str(profile.get("family_name") or claims.get("family_name") or ""),
        acr=str(claims["acr"]) if claims.get("acr") else None,
        amr=tuple(str(method) for method in amr),
    )
