"""The one rule for what a member pays: the full price times their tier's share, in integer cents.

A tier pays ``share_percent`` of the full price (100 = tarif plein, 70 or 40 = tarifs solidaires); the rest is
the solidarity share, carried by the network. The share applies line by line and each line rounds half up to
the cent, so every amount on a receipt can be recomputed from its line alone.
"""


def line_full_cents(quantity: int, unit_price_cents: int) -> int:
    """Full price of an order line."""
    if quantity < 0 or unit_price_cents < 0:
        raise ValueError("quantity and unit price must not be negative")
    return quantity * unit_price_cents


def line_due_cents(quantity: int, unit_price_cents: int, share_percent: int) -> int:
    """What a member of a tier paying ``share_percent`` owes for a line, rounded half up to the cent."""
    if not 0 <= share_percent <= 100:
        raise ValueError("share_percent must be between 0 and 100")
    return (line_full_cents(quantity, unit_price_cents) * share_percent + 50) // 100


def order_due_cents(lines: list[tuple[int, int]], share_percent: int) -> int:
    """Sum of the lines' dues; ``lines`` holds ``(quantity, unit_price_cents)`` pairs."""
    return sum(line_due_cents(q, price, share_percent) for q, price in lines)


def solidarity_share_cents(lines: list[tuple[int, int]], share_percent: int) -> int:
    """The part of the full price the network covers for this member."""
    full = sum(line_full_cents(q, price) for q, price in lines)
    return full - order_due_cents(lines, share_percent)
