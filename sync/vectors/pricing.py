"""The pricing test vectors: what a member owes, by ``sync.pricing``, for the phone's ``pwa/src/pricing.js``.

The phone prices a partial hand-over itself (the pack gives the dues of whole lines only), so it repeats the one rule:
a line at ``share_percent`` of its full price, rounded half up to the cent. ``lines`` is a grid of quantities,
prices and shares that lands on every rounding case (exact, just under, just over and exactly half a cent) plus the
largest line an order import accepts; ``handovers`` are orders as the pack writes them with what a member received
(all, refused, partial in several ways) and what they owe for it: ``order_due_cents`` and ``solidarity_share_cents``
over the (quantity received, unit price) pairs. A line may be paid in advance (a season contract paid by cheques):
the pack marks it ``paid_in_advance`` and it is due 0 at the point, however much of it is received.

Lines sold by weight (``sold_by`` "kg") count grams at a price per kg: ``weighed_lines`` is their grid, and the
orders holding one give, for some hand-overs, the grams ``weighed`` (product id → grams), which replace the
estimate of those lines (``sync.projection.handover_received``). A hand-over may give a line as another product
(``substituted``: product id → (substitute, quantity given, its full price)): that line is priced at the substitute's
price, at the order's share, for the quantity given (``sync.substitutions.at_handover``).
"""

from itertools import product
from typing import Any

from sync.pricing import line_due_cents, line_full_cents, order_due_cents, parse_grams, solidarity_share_cents

QUANTITIES = (0, 1, 2, 3, 7, 12)
UNIT_PRICES = (1, 5, 99, 135, 249, 270, 333, 1499, 1500)
SHARES = (0, 1, 33, 40, 49, 50, 51, 67, 70, 99, 100)
# The largest line of an order import (server/domain/order_import.py: 99 units of at most 10 000 €).
LARGEST = [(99, 1_000_000, share) for share in (1, 33, 70, 99)]
# Weighed lines: grams (a few, half a cent, a round kilo, the most an event holds) at prices per kg.
GRAMS = (0, 1, 5, 125, 480, 500, 999, 1000, 1250, 2345, 1_000_000)
PRICES_PER_KG = (1, 250, 1200, 1999, 2450, 3333)
WEIGHED_SHARES = (0, 40, 50, 70, 100)

# (description, share_percent, [(product_id, quantity, unit_price_cents[, sold_by[, paid_in_advance]])],
#  [(outcome, {product_id: received}[, {product_id: grams weighed}])])
ORDERS: list[tuple[str, int, list[tuple], list[tuple]]] = [
    (
        "solidarity tier at 70 %: a basket and two boxes of eggs (the pack's own example)",
        70,
        [(12, 1, 1500), (17, 2, 270)],
        [
            ("all", {}),
            ("refused", {}),
            ("partial", {12: 1, 17: 1}),  # one box of eggs of two: re-priced at the tier, rounded
            ("partial", {12: 0, 17: 2}),  # the whole line of eggs only: the pack's due for it
            ("partial", {12: 1}),  # a line left out of the map counts as nothing received
        ],
    ),
    (
        "tier at 40 %, three lines that each round half up",
        40,
        [(3, 3, 333), (5, 1, 135), (8, 7, 249)],
        [("all", {}), ("partial", {3: 1, 5: 1, 8: 6}), ("partial", {3: 2, 5: 0, 8: 1}), ("partial", {8: 7})],
    ),
    (
        "full price: no solidarity share, whatever is received",
        100,
        [(1, 2, 1499), (2, 1, 99)],
        [("all", {}), ("partial", {1: 1, 2: 1}), ("refused", {})],
    ),
    (
        "tier at 0 %: the network carries everything",
        0,
        [(4, 4, 270), (9, 1, 1500)],
        [("all", {}), ("partial", {4: 3})],
    ),
    (
        "tier at 33 %: thirds that never land on a cent",
        33,
        [(21, 12, 5), (22, 7, 1), (23, 1, 249)],
        [("all", {}), ("partial", {21: 11, 22: 7, 23: 0}), ("partial", {21: 1, 22: 1, 23: 1})],
    ),
    (
        "the largest line of an order import, at 67 %",
        67,
        [(5, 99, 1_000_000), (6, 1, 1)],
        [("all", {}), ("partial", {5: 98, 6: 1})],
    ),
    (
        "a season basket paid in advance by cheques, and eggs paid at the point, at 70 %",
        70,
        [(31, 1, 1500, "piece", True), (32, 3, 270)],
        [("all", {}), ("partial", {31: 1, 32: 1}), ("partial", {31: 1}), ("refused", {})],
    ),
    (
        "tier at 70 %: a basket and about 500 g of cheese at 24,50 €/kg, weighed at the hand-over",
        70,
        [(12, 1, 1500), (31, 500, 2450, "kg")],
        [
            ("all", {}),  # not weighed: the estimate
            ("all", {}, {31: 480}),  # lighter than the estimate
            ("all", {}, {31: 535}),  # heavier: priced as weighed
            ("partial", {31: 500}, {31: 1250}),  # only the cheese, a big piece
            ("partial", {12: 1}),
            ("refused", {}),
        ],
    ),
    (
        "full price: two weighed lines, half cents on the kg price",
        100,
        [(31, 333, 1999, "kg"), (32, 1000, 250, "kg"), (7, 2, 99)],
        [("all", {}), ("all", {}, {31: 999, 32: 2}), ("partial", {7: 1, 32: 1000}, {32: 1001})],
    ),
    (
        "tier at 70 %: no Comté left for her, Brie at 22,00 €/kg weighed instead; organic eggs for the eggs",
        70,
        [(12, 1, 1500), (31, 500, 2450, "kg"), (17, 2, 270)],
        [
            ("all", {}, {}, {31: (33, 480, 2200)}),
            ("partial", {12: 1}, {}, {17: (18, 2, 320)}),
            ("all", {}, {}, {31: (33, 535, 2200), 17: (18, 1, 320)}),
            ("partial", {17: 2}, {}, {31: (33, 250, 2200)}),
        ],
    ),
]


# Weights as people type them (a hand-over's weight on the phone, a season contract's weight per delivery on a form):
# grams, kilograms, a bare number either way, spaces and capitals, and what is no weight.
TYPED_WEIGHTS = (
    "480",
    "480 g",
    "480g",
    "480 gr",
    "480 grammes",
    "0,48 kg",
    "0.48kg",
    "1,25 kg",
    "1.25 KG",
    "2 kilos",
    "1 kilo",
    " 500 ",
    "0,5",
    "1,2",
    "1.",
    ",5",
    "5,",
    "1",
    "1000000",
    "1000001",
    "1000 kg",
    "1000,001 kg",
    "0,0005",
    "0,0004",
    "1,0005",
    "0,4505 kg",
    "12,5 g",
    "0",
    "0 g",
    "",
    "   ",
    "abc",
    "-500",
    "1 000 g",
    "1,2,3",
    "kg",
    "500 lb",
    "9" * 400,
    "9" * 400 + ",5",
)


def _sold_by(line: tuple) -> str:
    return line[3] if len(line) > 3 else "piece"


def _paid(line: tuple) -> bool:
    return len(line) > 4 and line[4]


def _pack_order(order_id: int, share: int, lines: list[tuple]) -> dict[str, Any]:
    """The order as ``sync.pack.member`` writes it (the fields the phone's pricing reads)."""
    parts = [(line[1], line[2], _sold_by(line), _paid(line)) for line in lines]
    return {
        "id": order_id,
        "share_percent": share,
        "lines": [
            {
                "product_id": line[0],
                "quantity": line[1],
                "unit_price_cents": line[2],
                "due_cents": line_due_cents(line[1], line[2], share, _sold_by(line), _paid(line)),
                **({"sold_by": _sold_by(line)} if _sold_by(line) != "piece" else {}),
                **({"paid_in_advance": True} if _paid(line) else {}),
            }
            for line in lines
        ],
        "total_due_cents": order_due_cents(parts, share),
        "solidarity_share_cents": solidarity_share_cents(parts, share),
    }


def _owed(
    outcome: str,
    share: int,
    lines: list[tuple],
    received: dict[int, int],
    weighed: dict[int, int],
    substituted: dict[int, tuple[int, int, int]],
) -> dict:
    """What the projection makes of the hand-over (``handover_due_cents``), and the solidarity share of it."""
    if outcome == "refused":
        return {"due_cents": 0, "solidarity_cents": 0}
    taken = {line[0]: line[1] for line in lines} if outcome == "all" else dict(received)
    for product_id, grams in weighed.items():
        if taken.get(product_id):
            taken[product_id] = grams
    price = {line[0]: line[2] for line in lines}
    for product_id, (_by, quantity, unit_price) in substituted.items():
        taken[product_id], price[product_id] = quantity, unit_price
    parts = [(taken[line[0]], price[line[0]], _sold_by(line), _paid(line)) for line in lines if taken.get(line[0])]
    return {"due_cents": order_due_cents(parts, share), "solidarity_cents": solidarity_share_cents(parts, share)}


def build() -> dict[str, Any]:
    lines = [
        [quantity, price, share, line_full_cents(quantity, price), line_due_cents(quantity, price, share)]
        for quantity, price, share in [*product(QUANTITIES, UNIT_PRICES, SHARES), *LARGEST]
    ]
    orders = []
    for number, (description, share, order_lines, handovers) in enumerate(ORDERS, start=1):
        orders.append(
            {
                "description": description,
                "order": _pack_order(9000 + number, share, order_lines),
                "handovers": [
                    {
                        "outcome": handover[0],
                        "received": [[product_id, quantity] for product_id, quantity in handover[1].items()],
                        **({"weighed": [[p, g] for p, g in handover[2].items()]} if len(handover) > 2 else {}),
                        **(
                            {"substituted": [[p, *item] for p, item in handover[3].items()]}
                            if len(handover) > 3
                            else {}
                        ),
                        **_owed(
                            handover[0],
                            share,
                            order_lines,
                            handover[1],
                            handover[2] if len(handover) > 2 else {},
                            handover[3] if len(handover) > 3 else {},
                        ),
                    }
                    for handover in handovers
                ],
            }
        )
    weighed_lines = [
        [grams, price, share, line_full_cents(grams, price, "kg"), line_due_cents(grams, price, share, "kg")]
        for grams, price, share in product(GRAMS, PRICES_PER_KG, WEIGHED_SHARES)
    ]
    return {
        "description": (
            "Comptoir pricing test vectors (sync/pricing.py): lines as [quantity, unit_price_cents, share_percent, "
            "full_cents, due_cents], weighed_lines as [grams, price_per_kg_cents, share_percent, full_cents, "
            "due_cents], orders as the pack writes them with what a member owes for what they received (and "
            "weighed), and typed_weights as [text, grams or null] (parse_grams); see docs/sync-protocol.md, 'Pricing'."
        ),
        "lines": lines,
        "weighed_lines": weighed_lines,
        "orders": orders,
        "typed_weights": [[text, parse_grams(text)] for text in TYPED_WEIGHTS],
    }
