"""The one rule for what a member pays: the full price times their tier's share, in integer cents.

A tier pays ``share_percent`` of the full price (100 = tarif plein, 70 or 40 = tarifs solidaires); the rest is
the solidarity share, carried by the network. The share applies line by line and each line rounds half up to
the cent, so every amount on a receipt can be recomputed from its line alone.

A line of a product sold by weight (``sold_by`` "kg") counts grams and its price is per kg: its full price is
grams × price per kg / 1000, rounded half up to the cent, before the share (``docs/point-adjustments.md``). Any
other line (a piece, a litre) is quantity × unit price.

A line paid in advance (a season contract paid by cheques, docs/contracts.md) is due 0 at the point and carries no
solidarity share there: what it cost was settled before the day.

An order's lines are tuples ``(quantity, unit_price_cents[, sold_by[, paid_in_advance]])``: a pair is a line sold by
the piece and paid at the point.
"""

import math
import re
from collections.abc import Iterable

WEIGHED = "kg"
MAX_TYPED_GRAMS = 1_000_000  # the most a weight typed at the point (or an event) holds: 1 000 kg

Line = tuple[int, int] | tuple[int, int, str] | tuple[int, int, str, bool]


def line_full_cents(quantity: int, unit_price_cents: int, sold_by: str = "piece") -> int:
    """Full price of an order line: ``quantity`` grams at a price per kg when ``sold_by`` is "kg"."""
    if quantity < 0 or unit_price_cents < 0:
        raise ValueError("quantity and unit price must not be negative")
    if sold_by == WEIGHED:
        return (quantity * unit_price_cents + 500) // 1000
    return quantity * unit_price_cents


def line_due_cents(
    quantity: int, unit_price_cents: int, share_percent: int, sold_by: str = "piece", paid_in_advance: bool = False
) -> int:
    """What a member of a tier paying ``share_percent`` owes for a line at the point, rounded half up to the cent
    (0 for a line paid in advance)."""
    if not 0 <= share_percent <= 100:
        raise ValueError("share_percent must be between 0 and 100")
    full = line_full_cents(quantity, unit_price_cents, sold_by)
    return 0 if paid_in_advance else (full * share_percent + 50) // 100


def _parts(line: Line) -> tuple[int, int, str, bool]:
    quantity, price, *rest = line
    sold_by = rest[0] if rest else "piece"
    return quantity, price, sold_by, bool(rest[1:] and rest[1])


def order_due_cents(lines: Iterable[Line], share_percent: int) -> int:
    """Sum of the lines' dues at the point."""
    return sum(line_due_cents(q, price, share_percent, sold_by, paid) for q, price, sold_by, paid in map(_parts, lines))


def order_full_cents(lines: Iterable[Line]) -> int:
    """Sum of the lines' full prices (lines paid in advance included: the producer is owed them all the same)."""
    return sum(line_full_cents(q, price, sold_by) for q, price, sold_by, _paid in map(_parts, lines))


def solidarity_share_cents(lines: Iterable[Line], share_percent: int) -> int:
    """The part of the full price the network covers for this member at the point (lines paid in advance aside)."""
    at_point = [(q, price, sold_by) for q, price, sold_by, paid in map(_parts, lines) if not paid]
    return order_full_cents(at_point) - order_due_cents(at_point, share_percent)


_TYPED_WEIGHT = re.compile(r"\s*([0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)\s*(g|gr|grammes?|kg|kilos?)?\s*", re.IGNORECASE)


def parse_grams(text: str | None) -> int | None:
    """A weight as typed on the phone or a form, in grams: "480", "480 g", "0,48 kg", "1.25kg"; a bare number with a
    decimal comma or point is in kg ("1,2" is 1 200 g), a bare whole number in grams. None when it is no weight, or
    not between 1 g and 1 000 kg. The phone's ``parseGrams`` (``pwa/src/pricing.js``), to the same vectors: the
    same float arithmetic, rounded half up as JavaScript's ``Math.round``."""
    match = _TYPED_WEIGHT.fullmatch(text or "")
    if match is None:
        return None
    number, unit = match.groups()
    value = float(number.replace(",", "."))
    if not math.isfinite(value):
        return None
    in_kg = unit[0].lower() == "k" if unit else ("." in number or "," in number)
    if not in_kg and not value.is_integer():
        return None
    grams = math.floor((value * 1000 if in_kg else value) + 0.5)
    return grams if 1 <= grams <= MAX_TYPED_GRAMS else None
