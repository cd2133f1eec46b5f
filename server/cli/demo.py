"""``flask --app wsgi demo``: load the deterministic demo network."""

from datetime import date

import click
from flask.cli import with_appcontext

from server.extensions import db


@click.command("demo")
@click.option("--seed", type=int, default=2026, show_default=True, help="Another seed gives other people and days.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the demo takes for today (YYYY-MM-DD; default: today in Paris).",
)
@with_appcontext
def demo_command(seed: int, today) -> None:
    """Load the demo network (Paris-Vallée de la Marne) into an empty database.

    Eight points, about 500 households, weekly orders for four past and four coming weeks. The four past weeks were
    played by simulated phones through the phones' own upload: hand-overs, payments, cash counts, refused scans,
    double hand-overs (the older ones resolved). Today's distribution is open and untouched, until 23:30. See
    docs/demo.md.
    """
    from server.demo import DemoRefused, load_demo

    day: date | None = today.date() if today else None
    try:
        summary = load_demo(today=day, seed=seed)
    except DemoRefused as refused:
        raise click.ClickException(str(refused)) from refused
    db.session.commit()
    click.echo(summary)
