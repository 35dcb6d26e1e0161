"""``flask rebates …``: garden-water rebates (DOMAIN.md section 2, docs/rebates.md).

``evaluate`` prints the decision on one case, so the rules can be checked without
the web app or the database.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.cli_data import read_document
from webapp.domain.rebate_cases import CaseError, case_errors, decision_json, parse_case
from webapp.domain.rebates import InvalidCase, evaluate

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
