"""Meter readings uploaded as CSV (ITB 1.2.1), turned into rows for a preview.

Pure: standard library only. The parser reads what people's spreadsheets export
(UTF-8 with or without BOM, else Windows-1257; ``;`` or ``,``, tab as a bonus;
an optional header row) and sorts each row into accepted or rejected. It does not
check the reading as a number (``readings.parse_reading_value`` does) nor
whether the meter exists: the service does both after the preview.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024  # 2 MB
MAX_ROWS = 20_000  # a larger file is refused as a whole: no customer has so many meters

_UTF8_BOM = b"\xef\xbb\xbf"
# C0 and C1 control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A quoted span (possibly left open) hides its delimiters from detection.
_QUOTED = re.compile(r'"[^"]*(?:"|$)')
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 20
_NUMBER_LIKE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?")
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MAX_CELLS = 3  # meter number, reading, date


class RefusalReason(enum.StrEnum):
    TOO_LARGE = "too_large"
    NOT_TEXT = "not_text"
    TOO_MANY_ROWS = "too_many_rows"
    NO_COLUMNS = "no_columns"


class CsvRefused(Exception):
    """The file as a whole cannot be previewed."""

    reason: RefusalReason

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason)
        self.reason = reason


class RowProblem(enum.StrEnum):
    MISSING_METER = "missing_meter"
    MISSING_READING = "missing_reading"
    BAD_DATE = "bad_date"
    TOO_MANY_COLUMNS = "too_many_columns"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class CsvRow:
    line: int  # 1-based physical line where the row starts, header included
    meter_number: str
    reading: str  # raw text, stripped: "1234,5", "1234.5" or even "abc"
    day: dt.date | None


@dataclass(frozen=True)
class CsvRejection:
    line: int
    meter_number: str  # may be ""
    problem: RowProblem


@dataclass(frozen=True)
class ParsedCsv:
    rows: tuple[CsvRow, ...]
    rejected: tuple[CsvRejection, ...]
    encoding: str  # "utf-8" or "cp1257"
    delimiter: str  # ";", "," or "\t"
    had_header: bool


def parse_readings_csv(data: bytes) -> ParsedCsv:
    """Read an uploaded readings file; raise ``CsvRefused`` if it is not one."""
    if len(data) > MAX_BYTES:
        raise CsvRefused(RefusalReason.TOO_LARGE)
    text, encoding = _decode(data)
    delimiter = detect_delimiter(text)
    sorter = _RowSorter()
    had_header = False
    first_row = True
    has_two_columns = False
    try:
        for line, cells in csv_records(text, delimiter):
            has_two_columns = has_two_columns or len(cells) >= 2
            if first_row:
                first_row = False
                if _is_header(cells):
                    had_header = True
                    continue
            if sorter.count == MAX_ROWS:
                raise CsvRefused(RefusalReason.TOO_MANY_ROWS)
            sorter.add(line, cells)
    except csv.Error as error:
        # With NULs refused and lines split by StringIO, the only error left is a
        # cell over the csv module's field limit (128 KiB): a quote left open that
        # swallows the rest of the file. No spreadsheet writes that.
        raise CsvRefused(RefusalReason.NO_COLUMNS) from error
    if not has_two_columns:
        raise CsvRefused(RefusalReason.NO_COLUMNS)
    return ParsedCsv(
        rows=tuple(sorter.rows),
        rejected=tuple(sorter.rejected),
        encoding=encoding,
        delimiter=delimiter,
        had_header=had_header,
    )


def template_csv() -> str:
    """The downloadable template; the app adds a UTF-8 BOM when serving it."""
    return "meter_number;reading;date\r\n00012345;1234,5;31.01.2026\r\n00012346;87;\r\n"


def _decode(data: bytes) -> tuple[str, str]:
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            # A BOM in front of Windows-1257 bytes is a mixed-up export; drop it.
            text, encoding = data.removeprefix(_UTF8_BOM).decode("cp1257"), "cp1257"
        except UnicodeDecodeError as error:
            raise CsvRefused(RefusalReason.NOT_TEXT) from error
    if not text.strip() or has_control_characters(text):
        raise CsvRefused(RefusalReason.NOT_TEXT)
    return text, encoding


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character no spreadsheet writes (NUL, ESC…)."""
    return _CONTROL.search(text) is not None


def detect_delimiter(text: str) -> str:
    """``;`` when the first non-empty lines have one outside quotes, else tab, else ``,``.

    Shared with ``smart_csv``: both read what spreadsheets and meter systems export.
    """
    unquoted = _QUOTED.sub("", text[:_SNIFF_CHARS])
    lines = [line for line in unquoted.splitlines() if line.strip()][:_SNIFF_LINES]
    head = "\n".join(lines)
    # Tab before comma: a tab-separated file may have decimal commas unquoted.
    for delimiter in (";", "\t", ","):
        if delimiter in head:
            return delimiter
    return ";"


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The non-empty records, stripped, each with the physical line it starts on.

    A quoted cell may span lines, so the start is one past where the reader
    stood after the previous record. Empty trailing cells (``;;``) are dropped.
    """
    # StringIO(newline="") ends lines at \r\n, \n or \r and keeps the endings.
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        skipinitialspace=True,
    )
    start = 1
    for raw_cells in reader:
        cells = [cell.strip() for cell in raw_cells]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield start, cells
        start = reader.line_num + 1


def _is_header(cells: list[str]) -> bool:
    second = cells[1] if len(cells) > 1 else ""
    number_like = _NUMBER_LIKE.fullmatch("".join(second.split())) is not None
    return not number_like and any(char.isalpha() for char in cells[0])


def clean_meter_number(cell: str) -> str:
    # A leading apostrophe is how spreadsheet users force "00123" to stay text.
    return cell.removeprefix("'").strip()


class _RowSorter:
    """Sorts data rows into accepted and rejected, remembering accepted meters."""

    def __init__(self) -> None:
        self.rows: list[CsvRow] = []
        self.rejected: list[CsvRejection] = []
        self.count = 0
        self._seen_meters: set[str] = set()
        self._days: dict[str, dt.date | None] = {}  # a file repeats a few dates

    def add(self, line: int, cells: list[str]) -> None:
        self.count += 1
        meter = clean_meter_number(cells[0])
        problem = self._problem(meter, cells)
        if problem is None:
            day = self._day(cells[2]) if len(cells) > 2 else None
            self._seen_meters.add(meter.casefold())
            self.rows.append(CsvRow(line, meter, cells[1], day))
        else:
            self.rejected.append(CsvRejection(line, meter, problem))

    def _problem(self, meter: str, cells: list[str]) -> RowProblem | None:
        if len(cells) > _MAX_CELLS:
            return RowProblem.TOO_MANY_COLUMNS
        if not meter:
            return RowProblem.MISSING_METER
        if len(cells) < 2 or not cells[1]:
            return RowProblem.MISSING_READING
        if len(cells) > 2 and self._day(cells[2]) is None:
            return RowProblem.BAD_DATE
        if meter.casefold() in self._seen_meters:
            return RowProblem.DUPLICATE
        return None

    def _day(self, cell: str) -> dt.date | None:
        if cell not in self._days:
            self._days[cell] = _parse_day(cell)
        return self._days[cell]


def _parse_day(cell: str) -> dt.date | None:
    """``dd.mm.yyyy`` (or ``d.m.yyyy``) or ISO ``yyyy-mm-dd``; None if not a real date."""
    if match := _DAY_MONTH_YEAR.fullmatch(cell):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(cell):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
