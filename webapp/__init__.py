"""The portal's application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from webapp.config import (
    INSECURE_DEFAULT_SECRET,
    Config,
    config_for_environment,
    read_instance_secret,
)
from webapp.extensions import csrf, db, limiter, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build an app. ``config`` is a Config class, or a mapping of overrides
    applied on top of the class that ``PORTAL_ENV`` names."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(config_for_environment())
        if config:
            app.config.update(config)

    _configure_secret_key(app)
    _configure_database_uri(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    # render_as_batch: SQLite alters a table by copying it, so migrations do too.
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)

    from webapp.audit_labels import init_audit_labels
    from webapp.i18n import init_i18n
    from webapp.navigation import init_navigation
    from webapp.pagination import init_pagination
    from webapp.rebate_texts import init_rebate_texts
    from webapp.security import init_security
    from webapp.services.auth import init_login
    from webapp.services.oidc import init_oidc

    init_i18n(app)
    init_login(app, login_manager)
    init_oidc(app)
    init_navigation(app)
    init_audit_labels(app)
    init_pagination(app)
    init_rebate_texts(app)
    init_security(app)

    from pdf.render import init_pdf

    init_pdf(app)

    from webapp.blueprints import register_blueprints
    from webapp.errors import register_error_handlers

    register_blueprints(app)
    register_error_handlers(app)

    from webapp.cli import register_cli

    register_cli(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config["SECRET_KEY"] and app.config["SECRET_KEY"] != INSECURE_DEFAULT_SECRET:
        return
    development = app.config["ENV_NAME"] in {"development", "testing"}
    secret = read_instance_secret(app.instance_path, create=development)
    if secret is None:
        raise RuntimeError(
            "Refusing to start in production with the default secret key: set SECRET_KEY "
            "in the environment or write one to instance/secret_key."
        )
    app.config["SECRET_KEY"] = secret


def _configure_database_uri(app: Flask) -> None:
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = f"sqlite:///{Path(app.instance_path) / 'portal.db'}"
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite enforces foreign keys only when asked, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # A writer waits up to 60 s for another (an act being numbered and rendered,
        # a background run's chunk) instead of failing after sqlite3's 5 s.
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()
