"""``flask api-keys …``: API keys for operators and tests (ITB 1.2.2)."""

from __future__ import annotations

from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Person
from webapp.services import api_keys
from webapp.services.access import actor_for_person

api_keys_cli = AppGroup("api-keys", help="Make API keys for the business API.")


@api_keys_cli.command("create")
@click.argument("personal_code")
@click.option("--customer", "customer_code", metavar="CODE",
              help="The customer's personal or registry code; needed when the person "
                   "may make keys for more than one customer.")
def create_command(personal_code: str, customer_code: str | None) -> None:
    """Print a new API key made by PERSONAL_CODE (an owner or manager at the
    customer's sites). The person's old key for that customer stops working."""
    person = db.session.scalar(select(Person).where(Person.personal_code == personal_code))
    if person is None:
        _fail(f"No person with personal code {personal_code}.")
    choices = api_keys.key_customers(actor_for_person(person))
    if not choices:
        _fail(f"{person.full_name} is not an owner or manager at any site under a contract "
              "in force, so they cannot make API keys.")
    if customer_code is None:
        if len(choices) > 1:
            codes = ", ".join(f"{c.customer.code} ({c.customer.name})" for c in choices)
            _fail(f"{person.full_name} may make keys for several customers; choose one with "
                  f"--customer: {codes}.")
        chosen = choices[0]
    else:
        found = [c for c in choices if c.customer.code == customer_code.strip()]
        if not found:
            _fail(f"{person.full_name} may not make API keys for customer {customer_code}.")
        chosen = found[0]
    issued = api_keys.issue_key(actor_for_person(person), chosen.customer.id)
    db.session.commit()
    click.echo(f"API key for {chosen.customer.name} ({len(chosen.site_ids)} sites), made by "
               f"{person.full_name}; it is shown only now:", err=True)
    click.echo(issued.raw)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)
