"""Numbers of issued documents, per series and year, with no gaps and no duplicates.

The counter row of a series and year is incremented in the caller's transaction
(``UPDATE ... RETURNING``, which locks the row on PostgreSQL until the transaction
ends), so two issuers never get the same number, and a transaction that rolls back
gives its number back. Invoices use it (issue 11); official acts will too (issue 9).
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import DocumentCounter


def next_number(series: str, year: int) -> int:
    """The next number of ``series`` in ``year`` (1, 2, ...), taken in the current
    transaction."""
    return take_numbers(series, year, 1)


def take_numbers(series: str, year: int, count: int) -> int:
    """``count`` consecutive numbers of ``series`` in ``year``, taken in the current
    transaction; returns the first of them."""
    if count < 1:
        raise ValueError("take at least one number")
    for _attempt in range(2):
        taken = db.session.execute(
            update(DocumentCounter)
            .where(DocumentCounter.series == series, DocumentCounter.year == year)
            .values(last_number=DocumentCounter.last_number + count)
            .returning(DocumentCounter.last_number)
        ).scalar_one_or_none()
        if taken is not None:
            return int(taken) - count + 1
        try:
            # The first numbers of a year: a savepoint, so that a concurrent first
            # insert (unique primary key) only sends us back to the update.
            with db.session.begin_nested():
                db.session.execute(insert(DocumentCounter).values(
                    series=series, year=year, last_number=count))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"no number could be taken in {series} {year}")  # pragma: no cover


def last_number(series: str, year: int) -> int:
    """The last number given in ``series`` and ``year`` (0 before the first)."""
    return db.session.scalar(select(DocumentCounter.last_number).where(
        DocumentCounter.series == series, DocumentCounter.year == year)) or 0
