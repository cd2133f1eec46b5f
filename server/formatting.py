"""Jinja filters that show money, times and French words the way the network's users read them."""

import re
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_skeleton
from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_number, format_time, get_locale
from markupsafe import Markup

from sync.vocabulary import CURRENCY

# Times are always on 24 hours, in English too ("Dec 4, 2026, 18:05", never "6:05 PM").
_TIME_24H = {"short": "HH:mm", "medium": "HH:mm:ss"}

# French elision of "de" before a vowel or a mute h: "d'Inès", "d'octobre", "d'Hélène". Whether an h is mute cannot
# be told from its spelling ("de Haddad", "d'Hugo"), so only the words and names listed here elide.
_VOWEL = "aeiouàâäéèêëîïôöùûüœæ"
_MUTE_H = frozenset(
    {
        "habitant",
        "habitants",
        "heure",
        "heures",
        "hiver",
        "homme",
        "hommes",
        "hôtel",
        "hélène",
        "hugo",
        "hector",
        "hermine",
        "honoré",
        "hortense",
        "hippolyte",
        "huguette",
        "henriette",
    }
)
# "de" then a word, or then a link whose text starts with the word ("le compte de <a …>Inès</a>").
_DE_WORD = re.compile(r"\b([Dd])e ((?:<a [^>]*>)?)([^\W\d_][\w-]*)")


MINUS = "\u2212"  # the true minus sign: "−7,00 €", never the hyphen "-7,00 €"


def money(cents: int, currency: str = CURRENCY) -> str:
    """Integer cents as a localised amount ("12,50 €", a balance below zero "−7,00 €" with a true minus sign);
    exact, never through a float."""
    text = format_currency(Decimal(abs(cents)) / 100, currency)
    return f"{MINUS}{text}" if cents < 0 else text


def signed_money(cents: int) -> str:
    """ "+150,00 €", "−41,60 €": a movement's amount with its sign always shown."""
    return f"{MINUS if cents < 0 else '+'}{money(abs(cents))}"


def number(value: int) -> str:
    """A count as people read it: "2 000" in French, "2,000" in English."""
    return format_number(value)


def local_datetime(value: datetime, fmt: str = "medium") -> str:
    """A UTC datetime shown in the network's timezone (Babel's default timezone). The named formats ``short`` and
    ``medium`` keep the locale's date and order but always show the time on 24 hours."""
    if fmt not in _TIME_24H:
        return format_datetime(value, fmt)
    pattern = str(get_locale().datetime_formats[fmt])  # "{1}, {0}" in English, "{1} {0}" in French
    return pattern.replace("{1}", format_date(value, fmt)).replace("{0}", format_time(value, _TIME_24H[fmt]))


def local_date(value: date, fmt: str = "medium") -> str:
    """A calendar date in the page's language ("4 déc. 2026", "Dec 4, 2026")."""
    return format_date(value, fmt)


def day_month(value: date, year: bool = False) -> str:
    """A day as a sentence says it ("1er janvier", "15 mars", "January 1"; with ``year``: "1er janvier 2031"): the
    French first of the month is "1er"."""
    locale = get_locale()
    text = format_skeleton("yMMMMd" if year else "MMMMd", value, locale=locale or "en")
    if locale is not None and locale.language == "fr" and value.day == 1:
        text = re.sub(r"^1(?=\s)", "1er", text)
    return text


def _elided(match: re.Match) -> str:
    de, tag, word = match.groups()
    lower = word.lower()
    if lower[0] in _VOWEL or lower in _MUTE_H:
        return f"{de}'{tag}{word}"
    return match.group(0)


def elide(text: str) -> str:
    """``text`` with French elisions made where a name or a date was put after "de" ("Ticket de Inès" →
    "Ticket d'Inès", "de octobre" → "d'octobre"). Other languages are left as they are."""
    locale = get_locale()
    if locale is None or locale.language != "fr":
        return text
    elided = _DE_WORD.sub(_elided, str(text))
    return Markup(elided) if isinstance(text, Markup) else elided  # a page's markup stays markup, escaped once


def weight(grams: int) -> str:
    """Grams as people read a weight: "480 g" under a kilogram, "1,25 kg" from one."""
    if grams < 1000:
        return f"{format_number(grams)} g"
    return f"{format_number(Decimal(grams) / 1000)} kg"


def line_text(quantity: int, name: str, sold_by: str = "piece") -> str:
    """One line of an order or of what was taken: "3 × Pain", or for a product sold by weight "Comté (480 g)"."""
    if sold_by == "kg":
        return f"{name} ({weight(quantity)})"
    return f"{quantity} × {name}"


def unit_price(cents: int, sold_by: str = "piece") -> str:
    """A full price as a product is sold: "3,20 €", or per kg "22,00 €/kg"."""
    return f"{money(cents)}/kg" if sold_by == "kg" else money(cents)


def register_filters(app: Flask) -> None:
    app.add_template_filter(weight, "weight")
    app.add_template_global(line_text, "line_text")
    app.add_template_global(unit_price, "unit_price")
    app.add_template_filter(money, "money")
    app.add_template_filter(signed_money, "signed_money")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(day_month, "day_month")
    app.add_template_filter(elide, "elide")
    app.add_template_filter(number, "number")
