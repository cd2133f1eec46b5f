"""``flask --app wsgi demo``: load the deterministic demo network."""

import click
from flask.cli import with_appcontext

from server.extensions import db


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo network (Paris-Vallée de la Marne) into an empty database."""
    from server.demo import DemoRefused, load_demo

    try:
        summary = load_demo()
    except DemoRefused as refused:
        raise click.ClickException(str(refused)) from refused
    db.session.commit()
    click.echo(summary)
