"""The schema is made by migrations: they build exactly what the models describe."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import reset_schema
from webapp.extensions import db


def test_migrations_build_the_models_schema_and_go_back_down(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory()
    with app.app_context():
        db.drop_all()
        try:
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "render_as_batch": True}
                )
                differences = compare_metadata(context, db.metadata)
            assert differences == []
            downgrade(revision="base")
            tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
        finally:
            reset_schema()
