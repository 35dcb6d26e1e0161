"""``flask smartmeter import FILE.csv``: the utility's loader for smart-meter readings.

The file has one reading a row: meter number, timestamp with an offset,
cumulative value (docs/smartmeter-import.md). The command is one transaction:
every row is checked first, and on any error nothing is written and the exit
status is 1. Importing the same file again stores nothing new.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from webapp.domain.smart_csv import MAX_BYTES, SmartCsvRefused, parse_smart_csv
from webapp.extensions import db
from webapp.services.smartmeter import SmartImportError, import_smart_readings

MAX_ERRORS_SHOWN = 100  # a file of bad rows would bury the terminal
PROGRESS_FROM_ROWS = 10_000  # smaller files are done before a bar is worth drawing

smartmeter_cli = AppGroup(
    "smartmeter",
    help="Load smart (interval) meter readings from the utility's CSV files.",
)


@smartmeter_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load the smart-meter readings of a CSV FILE, all or nothing.

    Columns: meter number, timestamp with an offset (2026-04-01T08:30:00Z),
    cumulative value. Every row is checked first; on any error nothing is
    written (exit status 1). Readings already stored are skipped.
    See docs/smartmeter-import.md.
    """
    data = _read(file)
    lines = data.count(b"\n") + 1
    try:
        with _progress("Reading rows", lines) as advance:
            parsed = parse_smart_csv(data, advance)
    except SmartCsvRefused as error:
        _fail(file, [f"{error}"])
    try:
        with _progress("Checking and saving", len(parsed.rows)) as advance:
            report = import_smart_readings(parsed, saving=advance)
        db.session.commit()
    except SmartImportError as error:
        db.session.rollback()
        _fail(file, [str(e) for e in error.errors], rows_read=error.rows_read)
    except IntegrityError:
        db.session.rollback()
        _fail(file, [
            "another import stored some of these readings at the same time; "
            "run the command again to load the rest"
        ])
    except Exception:
        db.session.rollback()  # a database error: nothing of this import may remain
        raise
    repeated = (
        f" ({report.repeated} repeated row(s) in the file counted once)" if report.repeated else ""
    )
    click.echo(
        f"Imported {file}: {report.rows_read} rows read, {report.new} new readings saved, "
        f"{report.already_stored} already stored{repeated}."
    )


def _read(file: Path) -> bytes:
    try:
        with file.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        _fail(file, [f"cannot read the file: {error.strerror or error}"])
    if len(data) > MAX_BYTES:
        _fail(file, [
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB, the most a file may "
            "have; split it into smaller files"
        ])
    return data


@contextlib.contextmanager
def _progress(label: str, length: int) -> Iterator[Callable[[int], object] | None]:
    """A progress bar on stderr for a big file; ``None`` (no bar) for a small one."""
    if length < PROGRESS_FROM_ROWS:
        yield None
        return
    with click.progressbar(
        length=length, label=label, file=sys.stderr
    ) as bar:
        yield bar.update


def _fail(file: Path, errors: list[str], rows_read: int | None = None) -> NoReturn:
    """Print the errors to stderr and exit with status 1."""
    read = f" in {rows_read} rows" if rows_read is not None else ""
    click.echo(f"{file}: {len(errors)} error(s){read}; nothing was imported.", err=True)
    for line in errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"  {line}", err=True)
    if len(errors) > MAX_ERRORS_SHOWN:
        click.echo(f"  … and {len(errors) - MAX_ERRORS_SHOWN} more errors", err=True)
    raise click.exceptions.Exit(1) from None
