"""Loading smart (interval) meter readings from the utility's file, all or nothing.

The file is parsed by ``webapp.domain.smart_csv``; this module loads what the
rules need (the meters, the readings stored around the file's days) in a few
queries per 500 meters, lets ``plan_import`` judge every row, and only when no
row has an error inserts the new readings in a few executemany batches. It
flushes, never commits: the caller commits or rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from webapp.domain.smart_csv import (
    MeterFacts,
    ParsedSmartCsv,
    RowError,
    SmartRow,
    StoredReading,
    plan_import,
)
from webapp.extensions import db
from webapp.models import Meter, MeterKind, MeterStatus, Reading, ReadingChannel
from webapp.models.base import utcnow

IN_CHUNK = 500  # keys per IN (...): far below SQLite's and PostgreSQL's parameter limits
INSERT_BATCH = 10_000  # rows per executemany
# Smart meters report by machine, as in the demo data: no person, channel "api".
SMART_CHANNEL = ReadingChannel.API


@dataclass(frozen=True)
class SmartImportReport:
    rows_read: int
    new: int  # readings saved
    already_stored: int  # rows whose reading was stored before (same value)
    repeated: int  # rows repeating an earlier row of the file


class SmartImportError(Exception):
    """The file has errors; nothing was written. ``errors`` are sorted by line."""

    def __init__(self, errors: Sequence[RowError], rows_read: int) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = tuple(errors)
        self.rows_read = rows_read


def import_smart_readings(
    parsed: ParsedSmartCsv,
    now: dt.datetime | None = None,
    saving: Callable[[int], object] | None = None,
) -> SmartImportReport:
    """Check every row of ``parsed`` against the database, then store the new readings.

    Raises ``SmartImportError`` with every error (the file's own and those found
    against the database) before anything is written. ``saving``, if given, is
    called with the number of readings of each batch once it is inserted.
    """
    now = now or utcnow()
    meters = _meters({row.meter_number for row in parsed.rows})
    facts = {
        number: MeterFacts(
            meter.kind.value, meter.status == MeterStatus.REMOVED, meter.installed_on
        )
        for number, meter in meters.items()
    }
    loadable = {
        meter.id: number
        for number, meter in meters.items()
        if meter.kind == MeterKind.SMART and meter.status != MeterStatus.REMOVED
    }
    stored = _stored_readings(loadable, parsed.rows)
    plan = plan_import(parsed.rows, facts, stored, now)
    errors = sorted(parsed.errors + plan.errors)
    if errors:
        raise SmartImportError(errors, parsed.rows_read)
    ids = {number: meter.id for number, meter in meters.items()}
    values = [_insert_values(row, ids[row.meter_number], now) for row in plan.new]
    for batch in _chunks(values, INSERT_BATCH):
        db.session.execute(insert(Reading), batch)
        if saving is not None:
            saving(len(batch))
    db.session.flush()
    return SmartImportReport(
        rows_read=parsed.rows_read,
        new=len(plan.new),
        already_stored=plan.already_stored,
        repeated=plan.repeated,
    )


@dataclass(frozen=True)
class _MeterRow:
    id: int
    kind: MeterKind
    status: MeterStatus
    installed_on: dt.date


def _meters(numbers: set[str]) -> dict[str, _MeterRow]:
    query = select(Meter.number, Meter.id, Meter.kind, Meter.status, Meter.installed_on)
    found: dict[str, _MeterRow] = {}
    for chunk in _chunks(sorted(numbers), IN_CHUNK):
        for number, *rest in db.session.execute(query.where(Meter.number.in_(chunk))):
            found[number] = _MeterRow(*rest)
    return found


def _stored_readings(
    meters: dict[int, str], rows: Sequence[SmartRow]
) -> dict[str, list[StoredReading]]:
    """Per meter number: every stored reading on the file's days (from its first to
    its last), and the current readings of the last day before and the first day
    after them, so that each new row meets its stored neighbours.

    At most five queries per 500 meters, whatever the number of rows.
    """
    if not meters or not rows:
        return {}
    first_day = min(row.day for row in rows)
    last_day = max(row.day for row in rows)
    stored: dict[str, list[StoredReading]] = defaultdict(list)
    for chunk in _chunks(sorted(meters), IN_CHUNK):
        in_chunk = Reading.meter_id.in_(chunk)
        found = list(db.session.execute(
            _STORED.where(in_chunk, Reading.reading_date.between(first_day, last_day))
        ))
        found += _neighbour_days(in_chunk, func.max(Reading.reading_date),
                                 Reading.reading_date < first_day)
        found += _neighbour_days(in_chunk, func.min(Reading.reading_date),
                                 Reading.reading_date > last_day)
        for meter_id, day, measured_at, value, current in found:
            reading = StoredReading(day, measured_at, value, bool(current))
            stored[meters[meter_id]].append(reading)
    return stored


_CURRENT = Reading.replaced_by_id.is_(None)
_STORED = select(
    Reading.meter_id,
    Reading.reading_date,
    Reading.measured_at,
    Reading.value,
    _CURRENT.label("current"),
)


def _neighbour_days(in_chunk: Any, day_bound: Any, beyond: Any) -> list[Any]:
    """The current readings of each meter's nearest day ``beyond`` the file's days."""
    days: dict[int, dt.date] = dict(
        db.session.execute(
            select(Reading.meter_id, day_bound)
            .where(in_chunk, _CURRENT, beyond)
            .group_by(Reading.meter_id)
        ).tuples().all()
    )
    if not days:
        return []
    candidates = db.session.execute(
        _STORED.where(in_chunk, _CURRENT, Reading.reading_date.in_(sorted(set(days.values()))))
    )
    return [row for row in candidates if days.get(row.meter_id) == row.reading_date]


def _insert_values(row: SmartRow, meter_id: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "meter_id": meter_id,
        "value": row.value,
        "reading_date": row.day,
        "measured_at": row.measured_at,
        "submitted_at": now,
        "submitted_by_id": None,  # machine data: nobody submitted it
        "channel": SMART_CHANNEL,
        "replaced_by_id": None,
        "correction_reason": None,
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
