"""``flask billing …``: the monthly billing run (issue 11; KEE §41-§42)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Utility
from webapp.services.access import today_in_tallinn

billing_cli = AppGroup("billing", help="Invoices from readings (KEE §41-§43).")


@billing_cli.command("run")
@click.option("--period", metavar="YYYY-MM",
              help="The month to bill, e.g. 2026-10; by default the last month that ended.")
@click.option("--issue/--drafts", default=False,
              help="Issue the invoices (number them and make them payable) or leave drafts.")
def run_command(period: str | None, issue: bool) -> None:
    """Compute an invoice for every contract in force during the month.

    Safe to run again: the month's drafts are replaced, issued invoices are kept.
    Prints a summary, with the contracts that could not be billed and why.
    """
    from webapp.services import billing_run

    with force_locale("en"):  # the operator's terminal, like the other commands
        utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
        if utility is None:
            click.echo("There is no utility in the database: load the master data first "
                       "(flask data import).", err=True)
            raise click.exceptions.Exit(1)
        today = today_in_tallinn()
        try:
            start = (billing_run.parse_period(period) if period is not None
                     else billing_run.last_ended_period(today))
            run = billing_run.begin_run(utility, start, today, None, issue=issue)
            db.session.commit()
        except billing_run.RunRefused as refusal:
            db.session.rollback()
            click.echo(f"{refusal} Nothing was billed.", err=True)
            raise click.exceptions.Exit(1) from None
        bar = click.progressbar(length=1, label=f"Billing {start:%Y-%m}", file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            with bar:
                summary = billing_run.run_billing(run, utility, today, progress)
        except Exception as error:
            billing_run.fail_run(run.id, f"{type(error).__name__}: {error}")
            raise
    result = summary.as_json()
    click.echo(f"{result['period']}: {result['contracts']} contract(s) in force, "
               f"{result['invoices']} invoice(s) computed, {result['issued']} issued, "
               f"{result['already_issued']} issued before and kept.")
    click.echo(f"Net {result['net']} EUR, VAT {result['vat']} EUR ({result['vat_rate']} %), "
               f"gross {result['gross']} EUR; prepayments {result['prepayments']} EUR; "
               f"to pay {result['payable']} EUR; late interest {result['interest']} EUR.")
    if result["with_estimates"]:
        click.echo(f"With estimated use: {result['with_estimates']}.")
    problems = summary.problems
    if problems:
        click.echo(f"Not billed ({len(problems)}):")
        for problem in problems:
            click.echo(f"  {problem['contract']}: {problem['problem']}")
