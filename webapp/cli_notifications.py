"""``flask notifications send``: send the e-mails that could not go out at once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.services.notifications import send_unsent

notifications_cli = AppGroup("notifications", help="E-mail notifications (the outbox).")


@notifications_cli.command("send")
def send_command() -> None:
    """Send every message not sent yet; exit 1 if some still fail (the error is kept)."""
    sent, failed = send_unsent()
    click.echo(f"{sent} message(s) sent, {failed} failed.")
    if failed:
        raise click.exceptions.Exit(1)
