"""Command-line commands: ``flask data …`` (more groups join in later issues)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

DOCS = Path(__file__).resolve().parent.parent / "docs"


def register_cli(app: Flask) -> None:
    from webapp.cli_api import api_keys_cli
    from webapp.cli_billing import billing_cli
    from webapp.cli_data import data_cli
    from webapp.cli_notifications import notifications_cli
    from webapp.cli_payments import payments_cli
    from webapp.cli_rebates import rebates_cli
    from webapp.cli_rules import rules_cli
    from webapp.cli_smartmeter import smartmeter_cli
    from webapp.devidp.cli import dev_idp_command

    app.cli.add_command(data_cli)
    app.cli.add_command(smartmeter_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(rebates_cli)
    app.cli.add_command(rules_cli)
    app.cli.add_command(billing_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(dev_idp_command)
    app.cli.add_command(permissions_doc_command)


@click.command("permissions-doc")
@click.option("--output", default=str(DOCS / "permissions.md"), show_default=True,
              type=click.Path(dir_okay=False, writable=True))
def permissions_doc_command(output: str) -> None:
    """Write the role × action table generated from webapp/domain/permissions.py."""
    from webapp.domain.permissions import permissions_table

    Path(output).write_text(permissions_table(), encoding="utf-8")
    click.echo(f"Wrote {output}")
