"""Shared fixtures: an app per test on SQLite or PostgreSQL (``DATABASE_URL``),
clients logged in as each demo role, and a live server with the development
identity provider for tests that need real sockets (OIDC, the browser)."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.serving import BaseWSGIServer, make_server

os.environ.setdefault("PORTAL_ENV", "testing")

from webapp import create_app
from webapp.config import Config
from webapp.extensions import db
from webapp.models import LoginSession, Person

MARI = "48001010217"
JAAN = "37502020230"
KATI = "49003030341"
PEETER = "38504040452"
CLERK = "47005050568"
INSPECTOR = "36806060677"
ADMIN = "49507070785"


UPLOAD_FOLDER = tempfile.mkdtemp(prefix="veeportaal-test-uploads-")


def database_url(tmp_dir: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_dir}/test.db"


def reset_schema() -> None:
    """Drop everything (tables and Alembic's version table) and create the models' schema."""
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.drop_all()
    db.create_all()


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(str(tmp_path_factory.mktemp("db")))


@pytest.fixture(scope="session")
def _schema(database_uri: str) -> None:
    app = create_app(_test_config(database_uri))
    with app.app_context():
        reset_schema()
        db.engine.dispose()


def _test_config(database_uri: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "testing-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "DEV_IDP_ENABLED": False,
        "OIDC_ISSUER": None,
        # Tests read the English texts unless they choose a language; the portal's
        # Estonian default is checked in tests/web/test_i18n.py.
        "BABEL_DEFAULT_LOCALE": "en",
        # Uploads go to a folder of the test run's own, never under instance/.
        "UPLOAD_FOLDER": UPLOAD_FOLDER,
        # The staff's season run finishes inside the request (the live server's runs
        # go on in the background, as in production).
        "REBATE_RUN_INLINE": True,
        # The public /verify page's limit is tested on its own (tests/acts/).
        "VERIFY_RATE_LIMIT": "10000 per minute",
    }
    config.update(overrides)
    return config


def empty_all_tables() -> None:
    db.session.rollback()
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                if table.name == "audit_event":
                    # Append-only even here: drop it and make it again (with its guards).
                    table.drop(connection)
                    table.create(connection)
                else:
                    connection.execute(table.delete())


@pytest.fixture
def app_factory(database_uri: str, _schema: None) -> Iterator[Callable[..., Flask]]:
    """Builds apps on the test database; every table is emptied after the test."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        application = create_app(_test_config(database_uri, **overrides))
        made.append(application)
        return application

    yield factory
    if made:
        with made[0].app_context():
            empty_all_tables()
            db.engine.dispose()
        for application in made[1:]:
            with application.app_context():
                db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """The app under test, with the test body running in the context of a twin app
    on the same database. Flask reuses an active context of the *same* app for the
    client's requests, which would share ``g`` (and its cached locale and roles)
    between requests; the twin keeps every request's context its own."""
    application = app_factory()
    twin = app_factory()
    with twin.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo data, loaded through the same importer as ``flask data demo``."""
    from webapp.demo import build_demo_data
    from webapp.services.importer import import_master_data

    import_master_data(build_demo_data(dt.datetime.now(dt.UTC)))
    db.session.commit()


def log_in(client: FlaskClient, personal_code: str) -> LoginSession:
    """Log a test client in as a person, as a finished OIDC login would."""
    person = db.session.scalar(db.select(Person).where(Person.personal_code == personal_code))
    assert person is not None, f"no person {personal_code}"
    login_session = LoginSession(id=secrets.token_urlsafe(32), person_id=person.id, acr="high",
                                 amr="mID")
    db.session.add(login_session)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_session.id
        session["_fresh"] = True
    return login_session


@pytest.fixture
def login(app: Flask, demo: None) -> Callable[[str], FlaskClient]:
    """``login(personal_code)``: a new client logged in as that demo person."""

    def make(personal_code: str) -> FlaskClient:
        new_client = app.test_client()
        log_in(new_client, personal_code)
        return new_client

    return make


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@dataclass
class LiveServer:
    url: str
    idp_url: str
    app: Flask


def _serve(wsgi_app: Any) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def live_server(app_factory: Callable[..., Flask], demo: None) -> Iterator[LiveServer]:
    """The portal and the development identity provider on real loopback sockets."""
    from webapp.devidp.provider import create_idp_app

    idp_server, _ = _serve(create_idp_app())
    idp_url = f"http://127.0.0.1:{idp_server.server_port}"
    # A person in a browser meets the portal in its own default language, Estonian.
    live_app = app_factory(OIDC_ISSUER=idp_url, WTF_CSRF_SSL_STRICT=False,
                           BABEL_DEFAULT_LOCALE=Config.BABEL_DEFAULT_LOCALE,
                           REBATE_RUN_INLINE=False)
    portal_server, _ = _serve(live_app)
    try:
        yield LiveServer(f"http://127.0.0.1:{portal_server.server_port}", idp_url, live_app)
    finally:
        portal_server.shutdown()
        idp_server.shutdown()
