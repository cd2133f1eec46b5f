"""``flask --app wsgi sync check-conflicts``: store the conflicts of the distributions that received events since
their last check (cron or a systemd timer, every minute; several hosts may run it at once)."""

import click
from flask.cli import with_appcontext

from server.domain.events import check_stale_conflicts


@click.group("sync")
def sync_group() -> None:
    """The events phones upload (docs/sync-protocol.md)."""


@sync_group.command("check-conflicts")
@with_appcontext
def check_conflicts_command() -> None:
    """Look for conflicts where events arrived since the last check, and store them."""
    checked = check_stale_conflicts()
    click.echo(f"{checked} distribution{'s' if checked != 1 else ''} checked.")
