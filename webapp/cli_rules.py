"""``flask rules …``: the published rules (issue 10).

``parse-regulation`` turns a regulation's published text into the committed JSON
data file once per redaction (``webapp.domain.regulation_parser``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.domain.regulation_parser import RegulationSyntaxError, parse_regulation

rules_cli = AppGroup("rules", help="Published rules: regulations and rule sets.")

_REG_ID = re.compile(r"[A-Z][A-Z0-9]*-\d{4}[A-Za-z0-9-]*")


def regulation_json(data: object) -> str:
    """The committed form of the data: pretty-printed, Estonian letters as they are."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@rules_cli.command("parse-regulation")
@click.argument("source", metavar="SOURCE.txt",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "reg_id", required=True, help="Redaction id, e.g. KEE-2012.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the JSON, e.g. rules/regulations/KEE-2012.json.")
@click.option("--previous", help="Id of the redaction before this one, if any.")
@click.option("--next", "next_id", help="Id of the redaction after this one, if any.")
def parse_regulation_command(source: Path, reg_id: str, out: Path, previous: str | None,
                             next_id: str | None) -> None:
    """Parse the regulation's text in SOURCE.txt into the JSON data file --out."""
    for hint, value in (("--id", reg_id), ("--previous", previous), ("--next", next_id)):
        if value is not None and not _REG_ID.fullmatch(value):
            raise click.BadParameter("expected SHORTNAME-YEAR, e.g. KEE-2012", param_hint=hint)
    try:
        data = parse_regulation(source.read_text(encoding="utf-8"), reg_id, previous, next_id)
    except (UnicodeDecodeError, RegulationSyntaxError) as error:
        raise click.ClickException(f"{source}: {error}") from None
    out.write_text(regulation_json(data), encoding="utf-8")
    click.echo(f"Wrote {out}")
