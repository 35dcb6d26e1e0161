"""``flask dev-idp``: run the development identity provider in the foreground."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple


@click.command("dev-idp")
@with_appcontext
def dev_idp_command() -> None:
    """Run the development OpenID Connect provider (never in production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("The development identity provider never runs in production.")
    from webapp.devidp.provider import create_idp_app

    host = current_app.config["DEV_IDP_HOST"]
    port = current_app.config["DEV_IDP_PORT"]
    click.echo(f"Development identity provider on http://{host}:{port}")
    run_simple(host, port, create_idp_app(), threaded=True)
