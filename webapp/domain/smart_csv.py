"""Smart (interval) meter readings from the utility's loader file, and the rules
they meet before ``flask smartmeter import`` stores them (docs/smartmeter-import.md).

Pure: standard library only. ``parse_smart_csv`` reads the file (columns meter
number, timestamp, cumulative value) into rows and row errors; ``plan_import``
checks the rows against the meters and the readings already stored, given as
plain values, and says which rows are new. Every error names its line.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from webapp.domain.csv_readings import (
    clean_meter_number,
    csv_records,
    detect_delimiter,
    has_control_characters,
)
from webapp.domain.readings import (
    DECIMALS,
    MAX_VALUE,
    InvalidValue,
    ValueProblem,
    parse_reading_value,
)

MAX_BYTES = 20 * 1024 * 1024  # 20 MB: a month of hourly data of about 250 meters
MAX_ROWS = 200_000  # data rows; a larger file is refused as a whole: split it
SMART_KIND = "smart"  # MeterKind.SMART's value
# A reading a little ahead of our clock is the meter system's clock; more is a mistake.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# A reading is dated by the local calendar day of its moment (docs/data-format.md).
LOCAL_TIME_ZONE = ZoneInfo("Europe/Tallinn")

COLUMNS = "meter number, timestamp, value"
PROGRESS_EVERY = 1000  # rows between calls of the progress callback

# ISO 8601 date and time, "T" or a space between; seconds and up to 6 decimals
# optional; the offset is optional here only so that its absence gets its own error.
_TIMESTAMP = re.compile(
    r"(?P<moment>[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9 ]*(?:[.,][0-9]*)?")
_END_OF_DAY = dt.datetime.max.replace(tzinfo=dt.UTC)


class SmartCsvRefused(Exception):
    """The file as a whole cannot be read (too large, not UTF-8 text, too many rows)."""


@dataclass(frozen=True)
class SmartRow:
    line: int  # 1-based physical line where the row starts, header included
    meter_number: str
    measured_at: dt.datetime  # timezone-aware, UTC
    day: dt.date  # the Europe/Tallinn day of measured_at: the reading's date
    value: Decimal  # three decimals


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedSmartCsv:
    rows: tuple[SmartRow, ...]
    errors: tuple[RowError, ...]
    rows_read: int  # data rows, good or bad (no header, no empty lines)
    delimiter: str  # ";", "," or "\t"
    had_header: bool


def parse_smart_csv(
    data: bytes, progress: Callable[[int], object] | None = None
) -> ParsedSmartCsv:
    """Read a loader file; raise ``SmartCsvRefused`` if it cannot be read at all.

    ``progress``, if given, is called now and then with the number of rows read
    since its last call.
    """
    if len(data) > MAX_BYTES:
        raise SmartCsvRefused(
            f"the file has {_megabytes(len(data))}, more than the {_megabytes(MAX_BYTES)} "
            "a file may have; split it into smaller files"
        )
    text = _decode(data)
    delimiter = detect_delimiter(text)
    rows: list[SmartRow] = []
    errors: list[RowError] = []
    rows_read = 0
    had_header = False
    try:
        for line, cells in csv_records(text, delimiter):
            if rows_read == 0 and not had_header and _is_header(cells):
                had_header = True
                continue
            rows_read += 1
            if rows_read > MAX_ROWS:
                raise SmartCsvRefused(
                    f"the file has more than {MAX_ROWS:,} rows (line {line} is row "
                    f"{rows_read:,}); split it into smaller files"
                )
            row = _row(line, cells, delimiter)
            if isinstance(row, RowError):
                errors.append(row)
            else:
                rows.append(row)
            if progress is not None and rows_read % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
    except csv.Error as error:
        # Only a quoted cell over the csv module's field limit gets here: a quote
        # left open that swallows the rest of the file.
        raise SmartCsvRefused(f"not a readable CSV file ({error}); is a quote left open?") from None
    if progress is not None:
        progress(rows_read % PROGRESS_EVERY)
    return ParsedSmartCsv(tuple(rows), tuple(errors), rows_read, delimiter, had_header)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")  # with or without a byte-order mark
    except UnicodeDecodeError as error:
        raise SmartCsvRefused(
            f"the file is not UTF-8 text (byte {error.start + 1} cannot be read as UTF-8)"
        ) from None
    if not text.strip():
        raise SmartCsvRefused("the file is empty")
    if has_control_characters(text):
        raise SmartCsvRefused("the file is not a text file (it holds control characters)")
    return text


def _is_header(cells: list[str]) -> bool:
    """A header row: its value column is no number and its timestamp is no date."""
    stamp = cells[1] if len(cells) > 1 else ""
    value = cells[2] if len(cells) > 2 else ""
    return not _NUMBER_LIKE.fullmatch(value) and not stamp[:1].isdigit()


def _row(line: int, cells: list[str], delimiter: str) -> SmartRow | RowError:
    if len(cells) != 3:
        return RowError(line, _column_count_message(cells, delimiter))
    meter = clean_meter_number(cells[0])
    if not meter:
        return RowError(line, "the meter number is missing")
    moment = parse_timestamp(cells[1])
    if isinstance(moment, str):
        return RowError(line, moment)
    value = parse_value(cells[2])
    if isinstance(value, str):
        return RowError(line, value)
    return SmartRow(line, meter, moment, local_day(moment), value)


def _column_count_message(cells: list[str], delimiter: str) -> str:
    shown = {";": "';'", ",": "','", "\t": "tab"}[delimiter]
    message = (
        f"{len(cells)} column{'s' if len(cells) != 1 else ''} where 3 are expected "
        f"({COLUMNS}, separated by {shown})"
    )
    if len(cells) > 3 and delimiter == ",":
        message += (
            "; with ',' between the columns a decimal comma is ambiguous: write the value "
            'with a point (12.5) or in quotes ("12,5")'
        )
    return message


def parse_timestamp(text: str) -> dt.datetime | str:
    """The moment in ISO 8601 ``text`` as UTC, or a message saying what is wrong.

    An offset (``Z`` or ``±hh:mm``) is required: without one the moment is not known.
    """
    if not text:
        return "the timestamp is missing"
    match = _TIMESTAMP.fullmatch(text.upper())
    if match is None:
        if _DATE_ONLY.fullmatch(text):
            return (
                f"timestamp {text!r} is a date without a time; write e.g. "
                f"{text}T00:00:00Z or {text}T00:00:00+02:00"
            )
        return (
            f"timestamp {text!r} is not an ISO 8601 timestamp such as "
            "2026-04-01T08:30:00Z or 2026-04-01T11:30:00+03:00"
        )
    if match["offset"] is None:
        return (
            f"timestamp {text!r} has no offset from UTC; add Z for UTC or the offset, "
            f"e.g. {text}Z or {text}+03:00"
        )
    try:
        moment = dt.datetime.fromisoformat(match.group(0))
    except ValueError as error:
        return f"timestamp {text!r} is not a real date and time ({error})"
    return moment.astimezone(dt.UTC)


_VALUE_PROBLEMS = {
    ValueProblem.EMPTY: "the value is missing",
    ValueProblem.NOT_A_NUMBER: "value {text!r} is not a number",
    ValueProblem.NEGATIVE: "value {text!r} is negative; a cumulative value is 0 or more",
    ValueProblem.TOO_MANY_DECIMALS: f"value {{text!r}} has more than {DECIMALS} decimals",
    ValueProblem.TOO_LARGE: f"value {{text!r}} is too large (at most {MAX_VALUE})",
}


def parse_value(text: str) -> Decimal | str:
    """The cumulative value in m³ (``.`` or ``,`` as decimal separator), or a message."""
    try:
        return parse_reading_value(text)
    except InvalidValue as error:
        return _VALUE_PROBLEMS[error.problem].format(text=text)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TIME_ZONE).date()


def format_moment(moment: dt.datetime) -> str:
    """A UTC moment as in the messages: ``2026-04-01T08:30:00Z``."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class MeterFacts:
    kind: str  # a MeterKind value
    removed: bool
    installed_on: dt.date


@dataclass(frozen=True)
class StoredReading:
    """A reading in the database: with ``measured_at`` (smart) or for a whole day."""

    day: dt.date
    measured_at: dt.datetime | None
    value: Decimal
    current: bool  # not replaced by a correction


@dataclass(frozen=True)
class ImportPlan:
    new: tuple[SmartRow, ...]  # to be stored, in the file's order
    already_stored: int  # rows whose reading is stored with the same value
    repeated: int  # rows that repeat an earlier row of the file exactly
    errors: tuple[RowError, ...]  # sorted by line


def plan_import(
    rows: Iterable[SmartRow],
    meters: Mapping[str, MeterFacts],
    stored: Mapping[str, Sequence[StoredReading]],
    now: dt.datetime,
) -> ImportPlan:
    """Which rows are new, and every rule a row breaks.

    ``meters`` has the facts of the file's meters that exist (by number);
    ``stored`` has, per meter number, the stored readings on the days the file
    covers and the current readings just before and just after those days.
    """
    by_meter: dict[str, list[SmartRow]] = defaultdict(list)
    for row in rows:
        by_meter[row.meter_number].append(row)
    planner = _Planner(now)
    for number, meter_rows in by_meter.items():
        planner.meter(number, meter_rows, meters.get(number), stored.get(number, ()))
    return ImportPlan(
        new=tuple(sorted(planner.new, key=lambda row: row.line)),
        already_stored=planner.already_stored,
        repeated=planner.repeated,
        errors=tuple(sorted(planner.errors)),
    )


@dataclass(frozen=True)
class _Point:
    """A place on a meter's time line: a stored reading (line None) or a new row."""

    position: tuple[dt.date, dt.datetime]
    value: Decimal
    line: int | None

    def when(self) -> str:
        day, moment = self.position
        return f"at the end of {day}" if moment == _END_OF_DAY else f"at {format_moment(moment)}"

    def describe(self) -> str:
        if self.line is not None:
            return f"{self.value} {self.when()} on line {self.line}"
        return f"the stored reading {self.value} {self.when()}"


class _Planner:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now.replace(microsecond=0)
        self.latest = now + FUTURE_TOLERANCE
        self.new: list[SmartRow] = []
        self.already_stored = 0
        self.repeated = 0
        self.errors: list[RowError] = []

    def meter(
        self,
        number: str,
        rows: list[SmartRow],
        facts: MeterFacts | None,
        stored: Sequence[StoredReading],
    ) -> None:
        if facts is None:
            self.errors.append(_for_all_rows(rows, f"there is no meter with the number {number!r}"))
            return
        problem = _meter_problem(number, facts)
        if problem is not None:
            self.errors.append(_for_all_rows(rows, problem))
            return
        candidates = self._unique(rows, facts)
        stored_at: dict[dt.datetime, list[StoredReading]] = defaultdict(list)
        for reading in stored:
            if reading.measured_at is not None:
                stored_at[reading.measured_at].append(reading)
        fresh: list[SmartRow] = []
        for row in candidates:
            same_moment = stored_at.get(row.measured_at)
            if not same_moment:
                fresh.append(row)
            elif any(reading.value == row.value for reading in same_moment):
                self.already_stored += 1  # replaced by staff or not: loaded before
            else:
                self.errors.append(RowError(row.line, _conflict(number, row, same_moment)))
        self._check_order(number, fresh, stored)
        self.new += fresh

    def _unique(self, rows: list[SmartRow], facts: MeterFacts) -> list[SmartRow]:
        """The rows of one meter that pass the checks of their own, each moment once."""
        first_at: dict[dt.datetime, SmartRow] = {}
        for row in rows:
            if row.day < facts.installed_on:
                self.errors.append(RowError(row.line, (
                    f"{format_moment(row.measured_at)} is before meter {row.meter_number} "
                    f"was installed on {facts.installed_on}"
                )))
            elif row.measured_at > self.latest:
                self.errors.append(RowError(row.line, (
                    f"meter {row.meter_number}: {format_moment(row.measured_at)} is in the "
                    f"future (it is now {format_moment(self.now)})"
                )))
            elif (first := first_at.get(row.measured_at)) is None:
                first_at[row.measured_at] = row
            elif first.value == row.value:
                self.repeated += 1  # the same row twice: counted once
            else:
                self.errors.append(RowError(row.line, (
                    f"meter {row.meter_number} at {format_moment(row.measured_at)} has value "
                    f"{row.value} here but {first.value} on line {first.line}"
                )))
        return list(first_at.values())

    def _check_order(
        self, number: str, fresh: list[SmartRow], stored: Sequence[StoredReading]
    ) -> None:
        """A cumulative value never goes down: check each new row against its neighbours
        on the meter's time line, the file's rows and the current stored readings."""
        points = [_Point((row.day, row.measured_at), row.value, row.line) for row in fresh]
        points += [
            _Point((reading.day, reading.measured_at or _END_OF_DAY), reading.value, None)
            for reading in stored
            if reading.current
        ]
        points.sort(key=lambda point: point.position)
        for earlier, later in pairwise(points):
            if later.value >= earlier.value:
                continue
            if later.line is not None:
                line = later.line
                message = f"{later.value} {later.when()} is lower than {earlier.describe()}"
            elif earlier.line is not None:
                line = earlier.line
                message = (
                    f"{earlier.value} {earlier.when()} is higher than {later.describe()}, "
                    "which is later"
                )
            else:
                continue  # two stored readings: not this file's doing
            self.errors.append(RowError(
                line, f"meter {number}: value {message}; a cumulative value cannot go down"
            ))


def _meter_problem(number: str, facts: MeterFacts) -> str | None:
    if facts.kind != SMART_KIND:
        return f"meter {number} is not a smart meter (it is a {facts.kind.replace('_', ' ')} meter)"
    if facts.removed:
        return f"meter {number} has been removed"
    return None


def _for_all_rows(rows: list[SmartRow], problem: str) -> RowError:
    """One error for the meter, at its first row, naming how many rows it has."""
    if len(rows) == 1:
        return RowError(rows[0].line, problem)
    others = [str(row.line) for row in rows[1:6]]
    more = ", …" if len(rows) > 6 else ""
    also = f"line {others[0]}" if len(others) == 1 else f"lines {', '.join(others)}{more}"
    return RowError(rows[0].line, f"{problem} (the file has {len(rows)} rows for it, also {also})")


def _conflict(number: str, row: SmartRow, same_moment: list[StoredReading]) -> str:
    current = [reading for reading in same_moment if reading.current] or same_moment
    values = ", ".join(str(reading.value) for reading in current)
    return (
        f"meter {number} at {format_moment(row.measured_at)} is already stored with value "
        f"{values}, the file says {row.value}; the loader never changes a stored reading "
        "(staff correct readings in the back office)"
    )
