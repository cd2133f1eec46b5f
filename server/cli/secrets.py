"""``flask --app wsgi secrets …``: the private keys kept sealed in the database (server/sealed.py)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.extensions import db
from server.instance_keys import import_instance_keys
from server.models import SealedKey, TicketKey
from server.sealed import SealedError, seal, unseal
from server.ticket_keys import sealing_context


@click.group("secrets")
def secrets_group() -> None:
    """The private keys kept in the database, sealed with COMPTOIR_SECRET_KEY (docs/deployment.md)."""


def _sealed_values() -> list[tuple[object, str, str, str]]:
    """Every sealed value: (row, attribute, context, what it is)."""
    values: list[tuple[object, str, str, str]] = []
    keys = db.session.scalars(select(TicketKey).where(TicketKey.sealed_private_key.is_not(None)).order_by(TicketKey.id))
    for key in keys:
        context = sealing_context(key.id, key.public_key)
        values.append((key, "sealed_private_key", context, f"the ticket key {key.id}"))
    for row in db.session.scalars(select(SealedKey).order_by(SealedKey.name)):
        values.append((row, "sealed", row.name, f"the {row.name} key"))
    return values


@secrets_group.command("import")
@with_appcontext
def import_command() -> None:
    """Import the keys an older version kept in this server's instance folder (done on the first request too)."""
    lines = import_instance_keys()
    for line in lines:
        click.echo(f"imported, sealed: {line}")
    if lines:
        click.echo("the files are left in place: delete them after a backup of the database")
    else:
        click.echo("nothing to import")


@secrets_group.command("check")
@with_appcontext
def check_command() -> None:
    """Check that every sealed key opens with this server's secret key (without its fallbacks)."""
    values = _sealed_values()
    for row, attribute, context, what in values:
        unseal(getattr(row, attribute), context, what, secrets=[current_app.config["SECRET_KEY"]])
    click.echo(f"{len(values)} keys open with this server's secret key")


@secrets_group.command("reseal")
@with_appcontext
def reseal_command() -> None:
    """Seal every key again with COMPTOIR_SECRET_KEY, opening them with it or a fallback: after changing the secret
    key, with the old one in COMPTOIR_SECRET_KEY_FALLBACKS."""
    values = _sealed_values()
    try:
        for row, attribute, context, what in values:
            setattr(row, attribute, seal(unseal(getattr(row, attribute), context, what), context))
    except SealedError:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"{len(values)} keys sealed again with the current secret key")
