"""Reading amounts people type ("12,50", "12.50 €", "1 234,5") into exact integer cents."""

import re

_AMOUNT = re.compile(r"^(?P<units>\d{1,7})(?:[.,](?P<cents>\d{1,2}))?$")


def parse_cents(text: str) -> int:
    """Euros as typed by a French or English speaker, to cents; ``ValueError`` with a short reason otherwise."""
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValueError("not an amount in euros")
    cents = match.group("cents") or "0"
    return int(match.group("units")) * 100 + int(cents.ljust(2, "0"))


def format_cents_plain(cents: int) -> str:
    """Cents as a form shows them back for editing ("12,50")."""
    return f"{cents // 100},{cents % 100:02d}"
