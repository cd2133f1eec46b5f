"""``flask --app wsgi admin link EMAIL``: the bootstrap and recovery path into the admin, and a way in for an
existing coordinator or volunteer (``--keep-role``, the demo's coordinators for instance)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.audit import record
from server.domain.links import NotAnAdmin, create_sign_in_link, ensure_admin
from server.extensions import db
from server.models import User
from server.urls import external_url


@click.group("admin")
def admin_group() -> None:
    """Administrators of the network."""


def admin_sign_in_url(email: str, *, promote: bool = False) -> str:
    """Create (or reactivate) the admin ``email`` and return a fresh one-time sign-in link, committed."""
    return _sign_in_url(ensure_admin(email, promote=promote))


def _sign_in_url(user: User) -> str:
    token = create_sign_in_link(user, current_app.config["SIGN_IN_LINK_MINUTES"])
    record("sign_in_link.create", user=None, target=f"user:{user.id}", via="cli")
    db.session.commit()
    return external_url("auth.link", token=token)


@admin_group.command("link")
@click.argument("email")
@click.option("--promote", is_flag=True, help="Make an existing coordinator or volunteer an administrator.")
@click.option("--keep-role", is_flag=True, help="Sign an existing coordinator or volunteer in as they are.")
@with_appcontext
def link_command(email: str, promote: bool, keep_role: bool) -> None:
    """Create the admin EMAIL if needed and print a one-time sign-in link. For the e-mail of a coordinator or a
    volunteer, say which: --promote (they become an administrator) or --keep-role (a link for them as they are)."""
    if "@" not in email or email.strip() != email or " " in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if promote and keep_role:
        raise click.UsageError("--promote and --keep-role exclude each other.")
    try:
        if keep_role:
            user = db.session.scalar(select(User).where(User.email == email.lower()))
            if user is None or not user.active:
                raise click.ClickException(f"No active person has the e-mail {email.lower()}.")
            url = _sign_in_url(user)
        else:
            url = admin_sign_in_url(email, promote=promote)
    except NotAnAdmin as refused:
        db.session.rollback()
        raise click.ClickException(
            f"{refused.user.email} is a {refused.user.role}, not an administrator. Add --keep-role for a sign-in "
            "link as they are, or --promote to make them an administrator."
        ) from None
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    click.echo(f"One-time sign-in link for {email.lower()} (valid {minutes} minutes, single use):")
    click.echo(url)
