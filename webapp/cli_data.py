"""``flask data …``: import master data (docs/data-format.md) and load the demo.

Every command is one transaction: it commits once on success and rolls back on
any error, so a rejected file leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.demo import DEMO_UTILITY_CODE, LIIS, build_demo_data
from webapp.demo_gardens import add_garden_applications, build_garden_street
from webapp.extensions import db
from webapp.models import Utility
from webapp.services.access import today_in_tallinn
from webapp.services.importer import DataImportError, ImportReport, import_master_data

data_cli = AppGroup(
    "data",
    help="Import master data from a JSON file (docs/data-format.md) or load the demo data.",
)


@data_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Validate FILE completely, then import it; on any error nothing is written."""
    try:
        data = read_document(file)
    except ValueError as error:
        click.echo(f"{error}; nothing was imported.", err=True)
        raise click.exceptions.Exit(1) from None
    report = _import_and_commit(data, str(file))
    _print_report(f"Imported {file}.", report)


@data_cli.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help=f"Do nothing when the demo utility ({DEMO_UTILITY_CODE!r}) already exists.",
)
def demo_command(if_empty: bool) -> None:
    """Load the demo data; loading it again adds only what is new."""
    if if_empty and _demo_exists():
        click.echo("Demo data is already loaded; nothing to do.")
        return
    report = _import_and_commit(build_demo_data(dt.datetime.now(dt.UTC)), "demo data")
    _print_report("Loaded the demo data.", report)
    # The street of gardens whose rebates the council's what-if report computes over.
    today = today_in_tallinn()
    gardens = _import_and_commit(build_garden_street(today), "demo gardens")
    added = add_garden_applications(today, reviewer_code=LIIS)
    db.session.commit()
    _print_report(f"Loaded the demo gardens ({added} rebate applications added).", gardens)


def read_document(file: Path) -> dict[str, Any]:
    """The JSON in ``file``; decimals come as ``Decimal``, so no float ever appears.

    Raises ``ValueError`` with a message for the user.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")  # tolerate a byte-order mark
    except UnicodeDecodeError as error:
        raise ValueError(f"{file}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ValueError(f"{file}: cannot read: {error.strerror or error}") from None
    try:
        data: dict[str, Any] = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{file}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return data


def _import_and_commit(data: dict[str, Any], source: str) -> ImportReport:
    try:
        report = import_master_data(data)
        db.session.commit()
    except DataImportError as error:
        db.session.rollback()
        _fail(source, [str(e) for e in error.errors])
    except Exception:
        db.session.rollback()  # a database error: nothing of this import may remain
        raise
    return report


def _fail(source: str, lines: list[str]) -> NoReturn:
    """Print every error to stderr and exit with status 1."""
    click.echo(f"{source}: {len(lines)} error(s); nothing was imported.", err=True)
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1) from None


def _print_report(headline: str, report: ImportReport) -> None:
    click.echo(headline)
    for line in report.lines():
        click.echo(f"  {line}")


def _demo_exists() -> bool:
    query = select(Utility.id).where(Utility.code == DEMO_UTILITY_CODE)
    return db.session.scalar(query) is not None
