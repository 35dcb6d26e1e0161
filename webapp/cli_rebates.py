"""``flask rebates …``: garden-water rebates (DOMAIN.md section 2, docs/rebates.md).

``evaluate`` prints the decision on one case, so the rules can be checked without
the web app or the database; ``run`` is the season run (ELVESO 3.4).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from webapp.cli_data import read_document
from webapp.domain.rebate_cases import CaseError, case_errors, decision_json, parse_case
from webapp.domain.rebates import InvalidCase, evaluate
from webapp.extensions import db
from webapp.models import Utility
from webapp.services.access import today_in_tallinn

rebates_cli = AppGroup("rebates", help="Garden-water rebates of the sewer fee.")


@rebates_cli.command("evaluate")
@click.argument("case_file", metavar="CASE.json", type=click.Path(dir_okay=False, path_type=Path))
def evaluate_command(case_file: Path) -> None:
    """Print the decision on the case in CASE.json as JSON (docs/rebates.md).

    Bad input (an unknown rule set, a malformed date, a non-number, a missing
    field) exits with status 1 and names each bad field.
    """
    try:
        data = read_document(case_file)  # numbers as Decimal, never float
    except ValueError as error:
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None
    try:
        decision = evaluate(parse_case(data))
    except (CaseError, InvalidCase) as error:
        problems = case_errors(error)
        click.echo(f"{case_file}: {len(problems)} error(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(json.dumps(decision_json(decision), indent=2, ensure_ascii=False))


@rebates_cli.command("run")
@click.option("--season", required=True, type=click.IntRange(1901, 9998),
              help="The year of the watering period, e.g. 2025.")
def run_command(season: int) -> None:
    """Compute the rebates of every approved application for SEASON and book the credits.

    Safe to run twice: unchanged decisions are kept, changed ones replaced (the old
    kept as history) and only the difference credited. Prints a summary.
    """
    from webapp.services import rebate_run

    with force_locale("en"):  # the operator's terminal, like the other commands
        utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
        if utility is None:
            click.echo("There is no utility in the database: load the master data first "
                       "(flask data import).", err=True)
            raise click.exceptions.Exit(1)
        try:
            run = rebate_run.begin_run(utility, season, today_in_tallinn(), None)
            db.session.commit()
        except rebate_run.RebateRefusal as refusal:
            db.session.rollback()
            click.echo(f"Season {season}: {refusal.message} Nothing was computed.", err=True)
            raise click.exceptions.Exit(1) from None
        bar = click.progressbar(length=1, label=f"Season {season}",
                                file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            with bar:
                summary = rebate_run.run_season(run, utility, today_in_tallinn(), progress)
        except Exception as error:
            rebate_run.fail_run(run.id, f"{type(error).__name__}: {error}")
            raise
    _print_summary(summary.as_json())


def _print_summary(summary: dict[str, object]) -> None:
    click.echo(
        f"Season {summary['season']} under {summary['rule_set']} (sewer price "
        f"{summary['sewer_price']} EUR/m³): {summary['applications']} application(s), "
        f"{summary['eligible']} eligible, {summary['refused']} refused."
    )
    click.echo(
        f"Decisions: {summary['new']} new, {summary['replaced']} replaced, "
        f"{summary['unchanged']} unchanged."
    )
    click.echo(
        f"Volume {summary['volume_m3']} m³, refunds {summary['refund_eur']} EUR; "
        f"credited now {summary['credited_eur']} EUR."
    )
    refusals = summary["refusals"]
    assert isinstance(refusals, list)  # noqa: S101 - RunSummary.as_json's shape
    if refusals:
        click.echo("Refusals by ground:")
        for line in refusals:
            click.echo(f"  {line['clause']} ({line['check']}): {line['count']}")
    errors = summary["errors"]
    assert isinstance(errors, list)  # noqa: S101 - RunSummary.as_json's shape
    if errors:
        click.echo(f"Not computed, the readings need correcting first ({len(errors)}):")
        for line in errors:
            click.echo(f"  site {line['site']}, application {line['application']}: "
                       f"{line['problem']}")
    if summary["waiting_review"]:
        click.echo(f"Not included: {summary['waiting_review']} application(s) still waiting "
                   "for review.")
