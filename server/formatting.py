"""Jinja filters that show money and times the way the network's users read them."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime

from sync.vocabulary import CURRENCY


def money(cents: int, currency: str = CURRENCY) -> str:
    """Integer cents as a localised amount ("12,50 €"); exact, never through a float."""
    return format_currency(Decimal(cents) / 100, currency)


def local_datetime(value: datetime, fmt: str = "medium") -> str:
    """A UTC datetime shown in the network's timezone (Babel's default timezone)."""
    return format_datetime(value, fmt)


def local_date(value: date, fmt: str = "medium") -> str:
    """A calendar date in the page's language ("4 déc. 2026", "Dec 4, 2026")."""
    return format_date(value, fmt)


def register_filters(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
