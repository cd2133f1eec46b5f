"""The one rule for what a member pays: the full price times their tier's share, in integer cents.

A tier pays ``share_percent`` of the full price (100 = tarif plein, 70 or 40 = tarifs solidaires); the rest is
the solidarity share, carried by the network. The share applies line by line and each line rounds half up to
the cent, so every amount on a receipt can be recomputed from its line alone.

A line paid in advance (a season contract paid by cheques, docs/contracts.md) is due 0 at the point and carries no
solidarity share there: what it cost was settled before the day. An order's lines are ``(quantity,
unit_price_cents)`` pairs or ``(quantity, unit_price_cents, paid_in_advance)`` triples.
"""

from collections.abc import Sequence

Line = tuple[int, int] | tuple[int, int, bool]


def line_full_cents(quantity: int, unit_price_cents: int) -> int:
    """Full price of an order line."""
    if quantity < 0 or unit_price_cents < 0:
        raise ValueError("quantity and unit price must not be negative")
    return quantity * unit_price_cents


def line_due_cents(quantity: int, unit_price_cents: int, share_percent: int, paid_in_advance: bool = False) -> int:
    """What a member of a tier paying ``share_percent`` owes for a line at the point, rounded half up to the cent
    (0 for a line paid in advance)."""
    if not 0 <= share_percent <= 100:
        raise ValueError("share_percent must be between 0 and 100")
    full = line_full_cents(quantity, unit_price_cents)
    return 0 if paid_in_advance else (full * share_percent + 50) // 100


def _parts(line: Line) -> tuple[int, int, bool]:
    quantity, price, *paid = line
    return quantity, price, bool(paid and paid[0])


def order_due_cents(lines: Sequence[Line], share_percent: int) -> int:
    """Sum of the lines' dues at the point."""
    return sum(line_due_cents(q, price, share_percent, paid) for q, price, paid in map(_parts, lines))


def solidarity_share_cents(lines: Sequence[Line], share_percent: int) -> int:
    """The part of the full price the network covers for this member at the point (lines paid in advance aside)."""
    at_point = [(q, price) for q, price, paid in map(_parts, lines) if not paid]
    full = sum(line_full_cents(q, price) for q, price in at_point)
    return full - order_due_cents(at_point, share_percent)
