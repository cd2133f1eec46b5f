"""``flask --app wsgi prepare``: what ``make run`` does before serving."""

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from server.cli.admin import admin_sign_in_url
from server.extensions import db
from server.instance_keys import import_instance_keys
from server.models import Household
from server.push_keys import application_server_key
from server.urls import external_url

DEMO_ADMIN = "admin@comptoir.example"


@click.command("prepare")
@click.option("--demo/--no-demo", default=True, help="Load the demo network into a new database.")
@with_appcontext
def prepare_command(demo: bool) -> None:
    """Apply migrations, load the demo network if the database is new, and print where to go."""
    upgrade()
    for line in import_instance_keys():  # the key files of an older version, into the database (sealed)
        click.echo(f"Imported into the database, sealed: {line}")
    application_server_key()  # the VAPID key pair, created on first start (server/push_keys.py)
    is_new = db.session.scalar(select(func.count(Household.id))) == 0
    if is_new and demo:
        from server.demo import load_demo

        click.echo("New database: loading the demo network…")
        click.echo(load_demo())
        db.session.commit()
    click.echo("")
    click.echo(f"  Admin (one-time sign-in link): {admin_sign_in_url(DEMO_ADMIN)}")
    click.echo(f"  Admin, later sign-ins:         .venv/bin/flask --app wsgi admin link {DEMO_ADMIN}")
    click.echo(f"  Admin pages:                   {external_url('admin.dashboard')}")
    click.echo(f"  Volunteer app (on a phone):    {external_url('pwa.app')}")
    member = db.session.scalar(
        select(Household).where(Household.page_token.is_not(None), Household.status == "active").order_by(Household.id)
    )
    if member is not None:
        click.echo(f"  A demo member's ticket page:   {external_url('members.page', page_token=member.page_token)}")
    click.echo("")
