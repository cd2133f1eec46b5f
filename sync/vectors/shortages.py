"""The shortage test vectors: what ``sync.shortages`` leaves each order, for the phone's ``pwa/src/shortages.js``.

Each case is a distribution's orders as the pack writes them (``sync.pack.member``'s ``order``) and events as a phone
gathers them (out of order, some twice, voids); ``expected`` gives, for every order, the lines it is to receive
(product id, quantity, due) and its total once the shortages are applied, and what each shortage left it
(product id, ordered, receives). See ``docs/point-adjustments.md``, "Shortage".
"""

from typing import Any

from sync.chain import unique
from sync.events import Event, format_time
from sync.pricing import line_due_cents, order_due_cents, solidarity_share_cents
from sync.projection import Order, OrderLine
from sync.shortages import credit_back
from sync.substitutions import adjust
from sync.vectors.projection import OTHER_PHONE, PHONE, Day

BASKET, EGGS, CHEESE, BREAD, BRIE, ORGANIC_EGGS, RYE = 12, 17, 31, 40, 33, 18, 41
PRICES = {BASKET: 1500, EGGS: 270, CHEESE: 2450, BREAD: 350, BRIE: 2200, ORGANIC_EGGS: 320, RYE: 300}
SOLD_BY = {CHEESE: "kg", BRIE: "kg"}


def _order(order_id: int, share: int, lines: list[tuple[int, int]]) -> Order:
    priced = tuple(
        OrderLine(
            product,
            quantity,
            line_due_cents(quantity, PRICES[product], share, SOLD_BY.get(product, "piece")),
            PRICES[product],
            share,
            SOLD_BY.get(product, "piece"),
        )
        for product, quantity in lines
    )
    return Order(order_id, 4000 + order_id, priced, sum(line.due_cents for line in priced))


def _pack_order(order: Order) -> dict[str, Any]:
    share = order.lines[0].share_percent if order.lines else 100
    triples = [(line.quantity, line.unit_price_cents, line.sold_by) for line in order.lines]
    return {
        "id": order.order_id,
        "share_percent": share,
        "lines": [
            {
                "product_id": line.product_id,
                "product_name": f"Produit {line.product_id}",
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "due_cents": line.due_cents,
                **({"sold_by": line.sold_by} if line.sold_by != "piece" else {}),
            }
            for line in order.lines
        ],
        "total_due_cents": order_due_cents(triples, share),
        "solidarity_share_cents": solidarity_share_cents(triples, share),
    }


def _cases() -> list[tuple[str, list[Order], list[Event]]]:
    cases = []
    # 1. No eggs at all, recorded at opening: every order loses its eggs.
    day = Day(101)
    orders = [_order(1, 100, [(BASKET, 1), (EGGS, 2)]), _order(2, 70, [(EGGS, 1)]), _order(3, 40, [(BASKET, 1)])]
    day.add(PHONE, "17:30:00.000", "shortage", {"product_id": EGGS})
    cases.append(
        (
            "no eggs delivered at all: every order loses its eggs; one that ordered only eggs owes nothing",
            orders,
            day.events,
        )
    )

    # 2. Five loaves for eight ordered by four orders, Alice collected before: shared among the three others.
    day = Day(102)
    orders = [
        _order(1, 100, [(BREAD, 2)]),
        _order(2, 70, [(BREAD, 3), (BASKET, 1)]),
        _order(3, 100, [(BREAD, 1)]),
        _order(4, 40, [(BREAD, 2)]),
    ]
    day.add(PHONE, "17:31:00.000", "handover", {"order_id": 1, "outcome": "all"})
    day.add(OTHER_PHONE, "17:35:00.000", "shortage", {"product_id": BREAD, "delivered": 3})
    day.add(PHONE, "17:40:00.000", "handover", {"order_id": 2, "outcome": "all"})
    cases.append(
        (
            "three loaves left for six ordered: shared in proportion, largest remainders; collected before: untouched",
            orders,
            day.events,
        )
    )

    # 3. Corrected: first none, then 2; a void of a third one; a refusal before does not protect.
    day = Day(103)
    orders = [_order(1, 100, [(EGGS, 2)]), _order(2, 70, [(EGGS, 2), (BREAD, 1)]), _order(3, 100, [(EGGS, 1)])]
    day.add(PHONE, "17:30:00.000", "handover", {"order_id": 3, "outcome": "refused"})
    day.add(PHONE, "17:32:00.000", "shortage", {"product_id": EGGS, "delivered": 0})
    day.add(OTHER_PHONE, "17:33:00.000", "shortage", {"product_id": EGGS, "delivered": 2})
    wrong = day.add(OTHER_PHONE, "17:34:00.000", "shortage", {"product_id": BREAD, "delivered": 0})
    day.add(OTHER_PHONE, "17:35:00.000", "void", {"event_id": wrong, "reason": "erreur"})
    cases.append(
        ("a shortage corrected by a later one, another voided; a refusal before it is touched", orders, day.events)
    )

    # 4. Weighed: 1 kg of cheese for 1,5 kg ordered; enough bread.
    day = Day(104)
    orders = [
        _order(1, 70, [(CHEESE, 500), (BASKET, 1)]),
        _order(2, 100, [(CHEESE, 1000)]),
        _order(3, 100, [(BREAD, 1)]),
    ]
    day.add(PHONE, "17:30:00.000", "shortage", {"product_id": CHEESE, "delivered": 1000})
    day.add(PHONE, "17:31:00.000", "shortage", {"product_id": BREAD, "delivered": 5})
    cases.append(
        ("a weighed product short in grams; a shortage with enough for everyone changes nothing", orders, day.events)
    )
    # 5. Paid before the shortage: the accounts get back what the order no longer owes (prepaid first).
    day = Day(105)
    orders = [
        _order(1, 100, [(BASKET, 1), (EGGS, 2)]),
        _order(2, 100, [(EGGS, 2)]),
        _order(3, 100, [(EGGS, 1)]),
        _order(4, 100, [(EGGS, 1)]),
        _order(5, 100, [(EGGS, 1)]),
    ]
    prepaid = {"method": "prepaid"}
    day.add(
        PHONE, "17:20:00.000", "payment", {"order_id": 1, "amount_cents": 2040, **prepaid, "from_prepaid_cents": 2040}
    )
    mixed = {"order_id": 2, "amount_cents": 540, "method": "cash", "from_prepaid_cents": 100}
    day.add(PHONE, "17:21:00.000", "payment", {**mixed, "from_allowance_cents": 300})
    voided = day.add(
        PHONE, "17:22:00.000", "payment", {"order_id": 4, "amount_cents": 270, **prepaid, "from_prepaid_cents": 270}
    )
    day.add(PHONE, "17:23:00.000", "void", {"event_id": voided, "reason": "erreur"})
    day.add(OTHER_PHONE, "17:30:00.000", "shortage", {"product_id": EGGS, "delivered": 0})
    day.add(
        PHONE, "17:40:00.000", "payment", {"order_id": 3, "amount_cents": 270, **prepaid, "from_prepaid_cents": 270}
    )
    day.add(PHONE, "17:41:00.000", "handover", {"order_id": 1, "outcome": "all"})
    cases.append(
        (
            "paid from the accounts before the shortage: credited back, prepaid first, never more than each gave; "
            "paid after it or voided: nothing",
            orders,
            day.events,
        )
    )
    # 6. Substitutions: Brie instead of Comté for the orders not collected, corrected once; a shortage of Brie
    # touches who ordered Brie, not who receives it in place of Comté.
    day = Day(106)
    orders = [
        _order(1, 70, [(BASKET, 1), (CHEESE, 500)]),
        _order(2, 100, [(CHEESE, 250), (BREAD, 1)]),
        _order(3, 100, [(CHEESE, 500)]),
        _order(4, 100, [(BRIE, 300)]),
    ]
    day.add(PHONE, "17:20:00.000", "handover", {"order_id": 3, "outcome": "all"})
    day.add(
        OTHER_PHONE,
        "17:25:00.000",
        "substitution",
        {"product_id": CHEESE, "by_product_id": BRIE, "unit_price_cents": 2100},
    )
    day.add(
        PHONE, "17:26:00.000", "substitution", {"product_id": CHEESE, "by_product_id": BRIE, "unit_price_cents": 2200}
    )
    day.add(PHONE, "17:27:00.000", "shortage", {"product_id": BRIE, "delivered": 0})
    cases.append(
        (
            "Brie at 22,00 €/kg for Comté, corrected by a later substitution, priced at each tier; collected before: "
            "Comté; no Brie delivered: only who ordered Brie loses it",
            orders,
            day.events,
        )
    )
    # 7. Money: a cheaper substitute after a payment from the accounts comes back; a dearer one leaves more to pay;
    # a shortage after a substitution of the same product replaces it; a voided substitution is nothing.
    day = Day(107)
    orders = [
        _order(1, 100, [(EGGS, 2)]),
        _order(2, 100, [(BREAD, 3)]),
        _order(3, 70, [(BASKET, 1), (CHEESE, 500)]),
        _order(4, 100, [(BASKET, 1)]),
    ]
    prepaid = {"method": "prepaid"}
    day.add(
        PHONE, "17:05:00.000", "payment", {"order_id": 1, "amount_cents": 540, **prepaid, "from_prepaid_cents": 540}
    )
    day.add(
        PHONE, "17:06:00.000", "payment", {"order_id": 2, "amount_cents": 1050, **prepaid, "from_prepaid_cents": 1050}
    )
    day.add(
        PHONE, "17:07:00.000", "payment", {"order_id": 3, "amount_cents": 1908, **prepaid, "from_prepaid_cents": 1908}
    )
    day.add(
        OTHER_PHONE,
        "17:10:00.000",
        "substitution",
        {"product_id": EGGS, "by_product_id": ORGANIC_EGGS, "unit_price_cents": 250},
    )
    day.add(
        OTHER_PHONE,
        "17:11:00.000",
        "substitution",
        {"product_id": BREAD, "by_product_id": RYE, "unit_price_cents": 300},
    )
    day.add(OTHER_PHONE, "17:12:00.000", "shortage", {"product_id": BREAD, "delivered": 0})
    day.add(
        OTHER_PHONE,
        "17:13:00.000",
        "substitution",
        {"product_id": CHEESE, "by_product_id": BRIE, "unit_price_cents": 2600},
    )
    wrong = day.add(
        PHONE, "17:14:00.000", "substitution", {"product_id": BASKET, "by_product_id": RYE, "unit_price_cents": 300}
    )
    day.add(PHONE, "17:15:00.000", "void", {"event_id": wrong, "reason": "erreur"})
    cases.append(
        (
            "a cheaper substitute after a payment from the accounts: credited back; a dearer one: more to pay; a "
            "shortage after a substitution replaces it; a voided substitution changes nothing",
            orders,
            day.events,
        )
    )
    return cases


def _expected(orders: list[Order], events: list[Event]) -> dict[str, Any]:
    from sync.projection import voided_ids

    ordered = unique(events)
    voided = voided_ids(ordered)
    live = [event for event in ordered if event.id not in voided]
    changed = adjust(orders, live)
    result = {}
    for order in orders:
        found = changed.get(order.order_id)
        adjusted = found.order if found is not None else order
        result[str(order.order_id)] = {
            "lines": [
                [line.product_id, line.quantity, line.due_cents, *([line.by_product_id] if line.by_product_id else [])]
                for line in adjusted.lines
            ],
            "total_due_cents": adjusted.total_due_cents,
            "shorts": [[s.product_id, s.ordered, s.receives] for s in (found.shorts if found else ())],
            "swaps": [[w.product_id, w.by_product_id, w.unit_price_cents] for w in (found.swaps if found else ())],
            "credits": credit_back(order.order_id, found.cut_ids if found else (), adjusted.total_due_cents, live),
        }
    return result


def build() -> dict[str, Any]:
    cases = []
    for description, orders, events in _cases():
        shuffled = [*events[::-1], events[0]]  # out of order, the first twice
        cases.append(
            {
                "description": description,
                "orders": [_pack_order(order) for order in orders],
                "events": [
                    {**event.model_dump(mode="json"), "device_time": format_time(event.device_time)}
                    for event in shuffled
                ],
                "expected": _expected(orders, events),
            }
        )
    return {
        "description": (
            "Comptoir shortage test vectors (sync/shortages.py): orders as the pack writes them, events as a phone "
            "gathers them, what each order is to receive and owe once the shortages apply, and what comes back to the "
            "accounts that paid it before (credits); substitutions (sync/substitutions.py) too: a line given as "
            "another product says it fourth, swaps are [product, by product, full price]; see "
            "docs/point-adjustments.md, 'Shortage' and 'Substitution'."
        ),
        "cases": cases,
    }
