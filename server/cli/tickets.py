"""``flask --app wsgi tickets …``: the network's ticket keys and bulk issuing."""

import click
from flask.cli import with_appcontext

from server.domain.tickets import issue_missing_tickets
from server.extensions import db
from server.models import TicketKey
from server.ticket_keys import TicketKeyError, create_key, withdraw_key


@click.group("tickets")
def tickets_group() -> None:
    """Member tickets and the keys that sign them."""


@tickets_group.command("keys")
@with_appcontext
def keys_command() -> None:
    """List the ticket keys and their state."""
    for key in db.session.query(TicketKey).order_by(TicketKey.id):
        state = "withdrawn" if key.withdrawn_at else "retired (verifies only)" if key.retired_at else "signing"
        click.echo(f"key {key.id}: {state}, created {key.created_at:%Y-%m-%d}")


@tickets_group.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Create a new signing key; tickets signed by older keys stay valid until those keys are withdrawn."""
    try:
        key = create_key()
    except TicketKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"key {key.id} now signs new tickets")


@tickets_group.command("withdraw-key")
@click.argument("key_id", type=int)
@with_appcontext
def withdraw_key_command(key_id: int) -> None:
    """Stop trusting KEY_ID: every ticket it signed is refused once devices refresh their packs."""
    try:
        withdraw_key(key_id)
    except TicketKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"key {key_id} withdrawn: re-issue the tickets it signed")


@tickets_group.command("issue-missing")
@with_appcontext
def issue_missing_command() -> None:
    """Issue a first ticket to every active member who has none."""
    count = issue_missing_tickets()
    db.session.commit()
    click.echo(f"{count} tickets issued")
