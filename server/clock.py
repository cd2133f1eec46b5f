"""The one clock: everything on the server that needs "now" asks here.

Tests set the time with ``time-machine`` (``tests/clock.py``) instead of writing a date the test will outlive, and
``make test`` runs what runs on SQLite a year ahead so a date bomb fails the day it is written, and sets the time of
day of every lane it can (``Makefile``) so a test depending on the hour it runs at fails on every run.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def today(tz: ZoneInfo) -> date:
    """Today's date in ``tz`` (the network's timezone)."""
    return utcnow().astimezone(tz).date()
