"""``flask --app wsgi accounts credit-due``: the allowance cycles' scheduled credits (for cron or a systemd timer,
beside ``push send-due``). See ``docs/accounts.md``, "Allowance cycles"."""

from datetime import datetime

import click
from flask.cli import with_appcontext

from server.clock import utcnow
from server.domain.allowance_cycles import credit_due, network_zone, next_to_credit
from server.extensions import db
from server.formatting import money
from server.models import AllowanceRule


@click.group("accounts")
def accounts_group() -> None:
    """Members' accounts (docs/accounts.md)."""


@accounts_group.command("credit-due")
@click.option(
    "--now",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Act as if it were this moment (ISO 8601 with its offset): to catch up on a missed run, or in tests.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Go through the current period even if a run completed it (credits the households enrolled since).",
)
@with_appcontext
def credit_due_command(at: datetime | None, again: bool) -> None:
    """Credit the allowance of every period that has started and was not credited yet (and post the previous
    period's expiries first); safe to run as often as you like, and twice at once."""
    rule = AllowanceRule.current()
    db.session.commit()
    if not rule.enabled:
        click.echo("The allowance rule is off: nothing to credit.")
        return
    done = 0
    for report in credit_due(at, commit=db.session.commit, again=again):
        done += 1
        click.echo(
            f"Period {report.period.code} (from {report.period.starts_on.isoformat()}): "
            f"{report.credited_households} households credited, {money(report.credited_cents)}; "
            f"{report.expired_households} unspent balances cut, {money(report.expired_cents)}; "
            f"{report.already} already credited; {report.batches} batches."
        )
    if not done:
        today = (at or utcnow()).astimezone(network_zone()).date()
        found = next_to_credit(rule, today)
        after = f" Next: period {found.period.code}, from {found.period.starts_on.isoformat()}." if found else ""
        click.echo(f"Nothing due: every period that has started was credited.{after}")
