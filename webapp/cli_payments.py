"""``flask payments …``: payments from bank statements (issue 11 item 4).

``import FILE.xml`` books the payments of a camt.053 statement file and prints what it
did; a file that cannot be read or imported exits with status 1 and books nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from webapp.domain.camt053 import MAX_BYTES
from webapp.extensions import db
from webapp.models import Utility
from webapp.services import payments as service

MEGABYTE = 1024 * 1024

payments_cli = AppGroup("payments", help="Payments from bank statements (camt.053).")


def _fail(message: str) -> click.exceptions.Exit:
    click.echo(message, err=True)
    return click.exceptions.Exit(1)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_BYTES:
                raise _fail(f"{path}: {size / MEGABYTE:.1f} MB, more than the "
                            f"{MAX_BYTES / MEGABYTE:.1f} MB a bank statement file may have; "
                            "download a shorter period. Nothing was booked.")
            data = stream.read()
    except FileNotFoundError:
        raise _fail(f"{path}: no such file. Nothing was booked.") from None
    except IsADirectoryError:
        raise _fail(f"{path}: a directory, not a file. Nothing was booked.") from None
    except OSError as error:
        raise _fail(f"{path}: cannot be read ({error.strerror or error}). "
                    "Nothing was booked.") from None
    return data


@payments_cli.command("import")
@click.argument("statement_file", metavar="FILE.xml", type=click.Path(path_type=Path))
def import_command(statement_file: Path) -> None:
    """Book the payments of the camt.053 bank statement FILE.xml and print a summary.

    Booked credit entries in euros become payments, matched to invoices by reference
    number, then by an invoice number in the description; the rest wait in the staff
    queue. Safe to run twice: entries booked already are counted, not booked again.
    """
    data = _read(statement_file)
    with force_locale("en"):  # the operator's terminal, like the other commands
        utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
        if utility is None:
            raise _fail("There is no utility in the database: load the master data first "
                        "(flask data import).")
        try:
            summary = service.import_statement(data, actor_id=None, utility=utility)
        except service.PaymentImportError as error:
            db.session.rollback()
            click.echo(f"{statement_file}: not imported, nothing was booked "
                       f"({len(error.problems)} problem(s)):", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            raise click.exceptions.Exit(1) from None
        db.session.commit()
        _print_summary(statement_file, summary)


def _print_summary(path: Path, summary: service.ImportSummary) -> None:
    accounts = ", ".join(summary.accounts)
    click.echo(f"{path}: {summary.statements} statement(s) of {accounts}, "
               f"{summary.entries} booked entr{'y' if summary.entries == 1 else 'ies'}.")
    click.echo(f"Booked: {summary.booked} payment(s), {summary.booked_amount} EUR.")
    click.echo(f"  matched: {summary.matched} ({summary.matched_by_reference} by reference "
               f"number, {summary.matched_by_number} by invoice number in the description); "
               f"{summary.invoices_paid} invoice(s) paid in full; "
               f"{summary.prepaid_amount} EUR to prepayments")
    click.echo(f"  unmatched: {summary.unmatched} ({summary.unmatched_amount} EUR), waiting "
               "in the staff queue")
    click.echo(f"Already loaded: {summary.already_loaded}.")
    if summary.pending:
        click.echo(f"Not booked by the bank yet (not read): {summary.pending}.")
    click.echo(f"Skipped: {len(summary.skipped)}.")
    for item in summary.skipped:
        who = f", {item.counterparty}" if item.counterparty else ""
        click.echo(f"  {item.entry_reference} {item.booked_on.isoformat()} {item.amount} "
                   f"{item.currency}{who}: {service.SKIP_REASON_NAMES[item.reason]}")
