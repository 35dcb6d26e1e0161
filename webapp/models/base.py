"""Declarative base and the column types every model shares.

Money and volumes are ``Decimal`` (never float); timestamps are timezone-aware
UTC in Python and stored as UTC on every database, including SQLite, which has
no time zone support of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import DateTime, MetaData, Numeric, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Stable constraint names, so that Alembic migrations name the same constraint
# the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that must be timezone-aware and always comes back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset: it was stored as UTC
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def canonical_json(value: Any) -> str:
    """JSON in one form only (sorted keys, no spaces), so its digest names its content."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CanonicalJSON(TypeDecorator[Any]):
    """JSON kept as text in its canonical form (``canonical_json``). A ``str`` is taken
    as that form already: the caller that hashed it passes it on, unserialised twice."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: object) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return canonical_json(value)

    def process_result_value(self, value: str | None, dialect: object) -> Any:
        return None if value is None else json.loads(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Column shapes used across the models.
Volume = Annotated[Decimal, mapped_column(Numeric(12, 3, asdecimal=True))]
Money = Annotated[Decimal, mapped_column(Numeric(12, 2, asdecimal=True))]
UnitPrice = Annotated[Decimal, mapped_column(Numeric(12, 4, asdecimal=True))]
Str20 = Annotated[str, mapped_column(String(20))]
Str100 = Annotated[str, mapped_column(String(100))]
Str255 = Annotated[str, mapped_column(String(255))]
Timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
