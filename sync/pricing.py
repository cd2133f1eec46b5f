"""The one rule for what a member pays: the full price times their tier's share, in integer cents.

A tier pays ``share_percent`` of the full price (100 = tarif plein, 70 or 40 = tarifs solidaires); the rest is
the solidarity share, carried by the network. The share applies line by line and each line rounds half up to
the cent, so every amount on a receipt can be recomputed from its line alone.

A line of a product sold by weight (``sold_by`` "kg") counts grams and its price is per kg: its full price is
grams × price per kg / 1000, rounded half up to the cent, before the share (``docs/point-adjustments.md``). Any
other line (a piece, a litre) is quantity × unit price.
"""

from collections.abc import Iterable

WEIGHED = "kg"

# (quantity, unit_price_cents) or (quantity, unit_price_cents, sold_by): a pair is a line sold by the piece.
Line = tuple[int, int] | tuple[int, int, str]


def line_full_cents(quantity: int, unit_price_cents: int, sold_by: str = "piece") -> int:
    """Full price of an order line: ``quantity`` grams at a price per kg when ``sold_by`` is "kg"."""
    if quantity < 0 or unit_price_cents < 0:
        raise ValueError("quantity and unit price must not be negative")
    if sold_by == WEIGHED:
        return (quantity * unit_price_cents + 500) // 1000
    return quantity * unit_price_cents


def line_due_cents(quantity: int, unit_price_cents: int, share_percent: int, sold_by: str = "piece") -> int:
    """What a member of a tier paying ``share_percent`` owes for a line, rounded half up to the cent."""
    if not 0 <= share_percent <= 100:
        raise ValueError("share_percent must be between 0 and 100")
    return (line_full_cents(quantity, unit_price_cents, sold_by) * share_percent + 50) // 100


def order_due_cents(lines: Iterable[Line], share_percent: int) -> int:
    """Sum of the lines' dues; ``lines`` holds ``(quantity, unit_price_cents[, sold_by])`` tuples."""
    return sum(line_due_cents(*line[:2], share_percent, *line[2:]) for line in lines)


def order_full_cents(lines: Iterable[Line]) -> int:
    """Sum of the lines' full prices."""
    return sum(line_full_cents(*line) for line in lines)


def solidarity_share_cents(lines: Iterable[Line], share_percent: int) -> int:
    """The part of the full price the network covers for this member."""
    lines = list(lines)
    return order_full_cents(lines) - order_due_cents(lines, share_percent)
