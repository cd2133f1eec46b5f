"""``flask --app wsgi push send-due`` (for cron or a systemd timer) and ``push key`` (the public VAPID key)."""

from datetime import datetime

import click
from flask.cli import with_appcontext

from server.domain.events import check_stale_conflicts
from server.domain.push_sending import send_due
from server.push_keys import application_server_key


@click.group("push")
def push_group() -> None:
    """Web push notifications (docs/push.md)."""


@push_group.command("send-due")
@click.option(
    "--now",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Act as if it were this moment (ISO 8601 with its offset): to catch up on a missed run, or in tests.",
)
@with_appcontext
def send_due_command(at: datetime | None) -> None:
    """Send the notifications that are due and were not sent yet; safe to run as often as you like. Looks for the
    conflicts of the distributions that received events first (as ``sync check-conflicts``), so that none is
    announced late."""
    check_stale_conflicts()
    report = send_due(at)
    if report.quiet_until is not None:
        click.echo(f"Quiet hours: nothing sent before {report.quiet_until:%H:%M}.")
        return
    for line in report.lines:
        click.echo(line)
    counts = report.counts
    click.echo(
        f"{counts['sent']} sent, {counts['failed']} failed, {counts['gone']} subscriptions gone, "
        f"{counts['already']} already sent."
        + (f" {counts['invalid']} subscriptions with invalid keys removed." if counts["invalid"] else "")
    )


@push_group.command("key")
@with_appcontext
def key_command() -> None:
    """Print the public VAPID key (the applicationServerKey browsers subscribe with); creates the key pair if
    there is none yet."""
    click.echo(application_server_key())
