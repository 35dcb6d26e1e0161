"""The authorisation matrix: every route × method × kind of visitor × own/other object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import authz_matrix as matrix
from tests.conftest import (
    ADMIN,
    CLERK,
    INSPECTOR,
    KATI,
    MARI,
    PEETER,
    _test_config,
    csrf_token_from,
    empty_all_tables,
    log_in,
)
from webapp import create_app
from webapp.extensions import db
from webapp.models import Person

CODES = {matrix.MARI: MARI, matrix.PEETER: PEETER, matrix.KATI: KATI, matrix.CLERK: CLERK,
         matrix.INSPECTOR: INSPECTOR, matrix.ADMIN: ADMIN}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


def cases() -> Iterator[Any]:
    for (endpoint, method), row in sorted(matrix.MATRIX.items()):
        for actor in matrix.ACTORS:
            for which in ("own", "other") if row.params else ("own",):
                yield pytest.param(endpoint, method, actor, which,
                                   id=f"{endpoint}-{method}-{actor}-{which}")


@pytest.fixture(scope="module")
def matrix_app(database_uri: str, _schema: None) -> Iterator[Flask]:
    """One app with the demo data for the whole matrix (loading it per case is slow)."""
    from webapp.demo import build_demo_data
    from webapp.services.importer import import_master_data

    # A provider that does not answer: login cannot start, callbacks are still checked.
    app = create_app(_test_config(database_uri, OIDC_ISSUER="http://127.0.0.1:9"))
    twin = create_app(_test_config(database_uri))
    with twin.app_context():
        import_master_data(build_demo_data(dt.datetime.now(dt.UTC)))
        db.session.commit()
        yield app
        empty_all_tables()
        db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def objects(matrix_app: Flask) -> matrix.Objects:
    """Objects of each visitor's own and of someone else's, made fresh for every case,
    so that a case that changes one (a removal, say) leaves the next case alone."""
    own: dict[str, dict[str, Any]] = {actor: {} for actor in matrix.ACTORS}
    other: dict[str, dict[str, Any]] = {actor: {} for actor in matrix.ACTORS}
    return matrix.Objects(own=own, other=other)


def person_id(code: str) -> int:
    return db.session.scalar(select(Person.id).where(Person.personal_code == code))


def client_for(app: Flask, actor: str) -> FlaskClient:
    client = app.test_client()
    if actor != matrix.ANONYMOUS:
        log_in(client, CODES[actor])
    return client


def check(response: Any, expected: matrix.Outcome) -> None:
    location = response.headers.get("Location", "")
    if expected == matrix.LOGIN:
        assert response.status_code == 302, response.status_code
        assert location.startswith("/login"), location
    elif expected == matrix.OK:
        assert response.status_code < 400, response.status_code
        assert not location.startswith("/login"), location
    else:
        assert response.status_code == expected, response.status_code


def test_every_route_is_in_the_matrix(matrix_app: Flask) -> None:
    missing = routes(matrix_app) - set(matrix.MATRIX)
    stale = set(matrix.MATRIX) - routes(matrix_app)
    assert not missing, f"routes without a row in tests/authz_matrix.py: {sorted(missing)}"
    assert not stale, f"rows for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("endpoint", "method", "actor", "which"), list(cases()))
def test_route_access(matrix_app: Flask, objects: matrix.Objects, endpoint: str, method: str,
                      actor: str, which: str) -> None:
    row = matrix.MATRIX[(endpoint, method)]
    expected = row.outcomes[actor][0 if which == "own" else 1]
    client = client_for(matrix_app, actor)
    arguments = row.params(objects, actor, which) if row.params else {}
    with matrix_app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **arguments, **row.query)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token_from(client.get("/rules").get_data(as_text=True))
        response = client.open(url, method=method, data={"csrf_token": token})
    response.close()
    check(response, expected)
