"""Configuration: one class per environment, values from environment variables.

``PORTAL_ENV`` picks the class (``development``, ``testing``, ``production``;
default ``production``, so that a forgotten setting fails safe).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

INSECURE_DEFAULT_SECRET = "change-me"  # noqa: S105 - the value production refuses


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEFAULT_SECRET)
    # None: an SQLite file under instance/ (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}

    # Languages: Estonian first, then English and Russian.
    LANGUAGES = ("et", "en", "ru")
    BABEL_DEFAULT_LOCALE = "et"
    BABEL_DEFAULT_TIMEZONE = "Europe/Tallinn"
    BABEL_TRANSLATION_DIRECTORIES = "translations"

    # OpenID Connect (TARA or any OIDC provider with a TARA-like profile).
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "veeportaal")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPE = os.environ.get("OIDC_SCOPE", "openid")
    # The embedded development provider (only ever started in development).
    DEV_IDP_ENABLED = False
    DEV_IDP_HOST = os.environ.get("DEV_IDP_HOST", "127.0.0.1")
    DEV_IDP_PORT = int(os.environ.get("DEV_IDP_PORT", "9400"))

    # Cookies and transport.
    SESSION_COOKIE_NAME = "veeportaal_session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto/-Host to
    # believe (0: none, so a client cannot pose as another address). Behind one proxy
    # that terminates TLS, set 1: API keys' allowed ranges then see the client.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    UTILITY_CODE = os.environ.get("UTILITY_CODE", "")
    # E-mail: the SMTP server of the utility (Flask-Mail's settings).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "veeportaal@localhost")
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", False)
    # The outbox page (/dev/outbox) shows every message written; development only.
    DEV_OUTBOX = False

    # Uploaded files (proofs, photos), outside the web root; default instance/uploads.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")
    # Tests: the season run started from the staff page finishes inside the request.
    REBATE_RUN_INLINE = False

    # The business API's rate limit per key (Flask-Limiter notation). The counts live
    # in memory by default, which is right for one process; with several workers or
    # servers, point RATELIMIT_STORAGE_URI at Redis, e.g. redis://127.0.0.1:6379/0.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    # The public /verify page: a printed act checked by its number and hash.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # If that storage fails, count in memory meanwhile rather than refuse the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    HSTS = False
    DEV_IDP_ENABLED = _bool("DEV_IDP", True)
    # Nothing leaves the machine: the messages wait on the outbox page.
    MAIL_SUPPRESS_SEND = True
    DEV_OUTBOX = True
    # The development provider accepts any client secret, but not none.
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "development-only")


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    DEV_IDP_ENABLED = False
    DEV_OUTBOX = False
    SECRET_KEY = "testing-secret"  # noqa: S105
    SERVER_NAME = None


class ProductionConfig(Config):
    pass


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_environment() -> type[Config]:
    name = os.environ.get("PORTAL_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"PORTAL_ENV={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None


def read_instance_secret(instance_path: str, create: bool) -> str | None:
    """The secret key kept in ``instance/secret_key``, made on first use in development."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip() or None
    if not create:
        return None
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(48))
    path.chmod(0o600)
    return path.read_text().strip()
