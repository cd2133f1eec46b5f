"""``flask --app wsgi admin link EMAIL``: the bootstrap and recovery path into the admin."""

import click
from flask import current_app
from flask.cli import with_appcontext

from server.audit import record
from server.domain.links import create_sign_in_link, ensure_admin
from server.extensions import db
from server.urls import external_url


@click.group("admin")
def admin_group() -> None:
    """Administrators of the network."""


def admin_sign_in_url(email: str) -> str:
    """Create (or reactivate) the admin ``email`` and return a fresh one-time sign-in link, committed."""
    user = ensure_admin(email)
    token = create_sign_in_link(user, current_app.config["SIGN_IN_LINK_MINUTES"])
    record("sign_in_link.create", user=None, target=f"user:{user.id}", via="cli")
    db.session.commit()
    return external_url("auth.link", token=token)


@admin_group.command("link")
@click.argument("email")
@with_appcontext
def link_command(email: str) -> None:
    """Create the admin EMAIL if needed and print a one-time sign-in link."""
    if "@" not in email or email.strip() != email or " " in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    url = admin_sign_in_url(email)
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    click.echo(f"One-time sign-in link for {email.lower()} (valid {minutes} minutes, single use):")
    click.echo(url)
