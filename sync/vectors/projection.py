"""The projection test vectors: distributions' orders and events, and what ``sync.projection.project`` makes of them.

The phone (``pwa/src/projection.js``) repeats the rules a screen needs at the point: each order's status, outcome,
deciding hand-over, hand-overs and payments, what was paid for it, the voids, and one device's cash box. Each case
is a day as it happens: hand-overs all, partial (with a substitution note) and refused, orders nobody came for,
several payments and several of one method for an order, accounts riding on a payment, solidarity shares rounded at
the tier, voids, a void of a void, an admin's resolution that voids, voids in a circle (forged), two phones handing
over the same basket, cash counts recounted and voided, payments on account or for an order not in the
distribution; the events come in any order, some twice, as a phone gathers them from its outbox and its pulls.

Events are written as the server sends them (every default filled in, times in their one written form); ``expected``
holds, per order of the distribution, per device that counted or took cash, and for the voids, what ``project``
says.
"""

import json
import random
from dataclasses import dataclass, field
from typing import Any

from sync.chain import canonical_json, event_hash
from sync.events import SERVER_DEVICE_ID, Event, parse_event
from sync.pricing import line_due_cents, solidarity_share_cents
from sync.projection import CashBox, DistributionState, Order, OrderLine, OrderState, project

PHONE = "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f"
OTHER_PHONE = "8d0e4b1a-2c3f-4e5d-9a6b-7c8d9e0f1a2b"

BASKET, EGGS, APPLES = 12, 17, 23
PRICES = {BASKET: 1500, EGGS: 270, APPLES: 335}


def _order(order_id: int, household_id: int, share: int, lines: list[tuple[int, int]]) -> Order:
    priced = tuple(OrderLine(p, q, line_due_cents(q, PRICES[p], share)) for p, q in lines)
    return Order(order_id, household_id, priced, sum(line.due_cents for line in priced))


def _solidarity(share: int, lines: list[tuple[int, int]]) -> int:
    return solidarity_share_cents([(q, PRICES[p]) for p, q in lines], share)


@dataclass
class Day:
    """Builds one case's events: each device's chain (seq, prev_hash) follows the order they are added in."""

    case: int
    events: list[Event] = field(default_factory=list)
    chains: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    def add(self, device: str, time: str, kind: str, payload: dict[str, Any]) -> str:
        seq, prev_hash = self.chains.get(device, (0, None))
        number = len(self.events) + 1
        event = parse_event(
            {
                "id": f"01956a3a-{self.case:04x}-7000-8000-{number:012x}",
                "type": kind,
                "schema_version": 1,
                "device_id": device,
                "volunteer_id": 7 if device == PHONE else 8,
                "distribution_id": 42,
                "device_time": f"2025-03-04T{time}Z",
                "seq": seq + 1,
                "prev_hash": prev_hash,
                "payload": payload,
            }
        )
        self.chains[device] = (seq + 1, event_hash(event))
        self.events.append(event)
        return event.id

    def next_id(self, ahead: int = 1) -> str:
        """The id the event added ``ahead`` events from now will have (for forged voids that name each other)."""
        return f"01956a3a-{self.case:04x}-7000-8000-{len(self.events) + ahead:012x}"


def quiet_day() -> tuple[str, list[Order], list[Event]]:
    orders = [
        _order(9001, 4001, 70, [(BASKET, 1), (EGGS, 2)]),
        _order(9002, 4002, 100, [(BASKET, 1), (EGGS, 2)]),
        _order(9003, 4003, 40, [(BASKET, 2), (APPLES, 3)]),
        _order(9004, 4004, 70, [(EGGS, 1)]),
    ]
    day = Day(1)
    day.add(PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 5000})
    day.add(PHONE, "16:05:12.345", "handover", {"order_id": 9001, "outcome": "all"})
    due = orders[0].total_due_cents
    day.add(
        PHONE,
        "16:05:12.345",
        "payment",
        {
            "order_id": 9001,
            "amount_cents": due,
            "method": "cash",
            "solidarity_cents": _solidarity(70, [(BASKET, 1), (EGGS, 2)]),
        },
    )
    # Awa takes her basket and one box of eggs of two; apples instead; half by card, half by cheque.
    day.add(
        PHONE,
        "16:10:00.000",
        "handover",
        {
            "order_id": 9002,
            "outcome": "partial",
            "lines": [{"product_id": BASKET, "quantity_received": 1}, {"product_id": EGGS, "quantity_received": 1}],
            "substitution_note": "Pommes à la place d’une boîte d’œufs",
        },
    )
    day.add(PHONE, "16:10:00.000", "payment", {"order_id": 9002, "amount_cents": 1000, "method": "card"})
    day.add(
        PHONE,
        "16:10:00.000",
        "payment",
        {"order_id": 9002, "amount_cents": 770, "method": "cheque", "method_details": "0001234"},
    )
    day.add(PHONE, "16:20:00.000", "handover", {"order_id": 9003, "outcome": "refused"})
    day.add(PHONE, "16:30:00.000", "scan_refused", {"reason": "revoked", "member_id": 4004})
    day.add(PHONE, "16:31:00.000", "note", {"text": "Pluie : file d’attente dehors"})
    day.add(PHONE, "18:30:00.000", "cash_count", {"kind": "closing", "total_cents": 6400})
    # 9004: nobody came.
    description = "a quiet day: all, partial with a note and two methods, refused, nobody came; the cash box"
    return description, orders, day.events


def split_payments() -> tuple[str, list[Order], list[Event]]:
    lines = [(BASKET, 1), (EGGS, 2), (APPLES, 1)]
    orders = [_order(9101, 4101, 70, lines), _order(9102, 4102, 40, lines)]
    day = Day(2)
    solidarity = _solidarity(70, lines)
    day.add(PHONE, "16:00:00.000", "handover", {"order_id": 9101, "outcome": "all"})
    # Accounts ride on the first cheque; a second cheque; the rest in cash in two goes (the member came back).
    day.add(
        PHONE,
        "16:00:00.000",
        "payment",
        {
            "order_id": 9101,
            "amount_cents": 900,
            "method": "cheque",
            "method_details": "0000001",
            "from_prepaid_cents": 300,
            "from_allowance_cents": 200,
            "solidarity_cents": solidarity,
        },
    )
    day.add(
        PHONE,
        "16:00:00.000",
        "payment",
        {"order_id": 9101, "amount_cents": 500, "method": "cheque", "method_details": "0000002"},
    )
    day.add(PHONE, "16:00:00.000", "payment", {"order_id": 9101, "amount_cents": 200, "method": "cash"})
    day.add(PHONE, "17:45:00.000", "payment", {"order_id": 9101, "amount_cents": 34, "method": "cash"})
    # Accounts alone: the method names the account.
    day.add(PHONE, "16:40:00.000", "handover", {"order_id": 9102, "outcome": "all"})
    day.add(
        PHONE,
        "16:40:00.000",
        "payment",
        {
            "order_id": 9102,
            "amount_cents": orders[1].total_due_cents,
            "method": "allowance",
            "from_prepaid_cents": 100,
            "from_allowance_cents": orders[1].total_due_cents - 100,
            "solidarity_cents": _solidarity(40, lines),
        },
    )
    # Cash partly from the prepaid account: only the rest is cash in the box.
    day.add(
        PHONE,
        "17:00:00.000",
        "payment",
        {"household_id": 4102, "amount_cents": 1000, "method": "cash", "from_prepaid_cents": 400},
    )
    description = "several payments for one order, two of one method, accounts riding on a payment"
    return description, orders, day.events


def voids() -> tuple[str, list[Order], list[Event]]:
    lines = [(BASKET, 1), (EGGS, 2)]
    orders = [_order(9201 + i, 4201 + i, 70, lines) for i in range(5)]
    day = Day(3)
    # Handed over to the wrong member, undone, then handed over again as partial.
    wrong = day.add(PHONE, "16:00:00.000", "handover", {"order_id": 9201, "outcome": "all"})
    paid = {"order_id": 9201, "amount_cents": 1428, "method": "cash"}
    wrong_payment = day.add(PHONE, "16:00:00.000", "payment", paid)
    day.add(PHONE, "16:01:00.000", "void", {"event_id": wrong_payment, "reason": "Mauvais membre"})
    day.add(PHONE, "16:01:00.000", "void", {"event_id": wrong})
    day.add(
        PHONE,
        "16:02:00.000",
        "handover",
        {"order_id": 9201, "outcome": "partial", "lines": [{"product_id": BASKET, "quantity_received": 1}]},
    )
    # A void of a void restores the hand-over.
    restored = day.add(PHONE, "16:10:00.000", "handover", {"order_id": 9202, "outcome": "all"})
    undo = day.add(PHONE, "16:11:00.000", "void", {"event_id": restored})
    day.add(PHONE, "16:12:00.000", "void", {"event_id": undo, "reason": "Annulé par erreur"})
    # An admin's resolution voids the second phone's double hand-over; the first phone's stands.
    day.add(PHONE, "16:20:00.000", "handover", {"order_id": 9203, "outcome": "all"})
    double = day.add(OTHER_PHONE, "16:25:00.000", "handover", {"order_id": 9203, "outcome": "all"})
    day.add(OTHER_PHONE, "16:25:00.000", "payment", {"order_id": 9203, "amount_cents": 1428, "method": "cash"})
    day.add(
        SERVER_DEVICE_ID,
        "19:00:00.000",
        "conflict_resolved",
        {
            "conflict_key": f"double_handover:9203:{double}",
            "action": "void_event",
            "comment": "Doublon : remis une seule fois.",
            "event_id": double,
        },
    )
    # A resolution that does not void changes nothing.
    day.add(
        SERVER_DEVICE_ID,
        "19:01:00.000",
        "conflict_resolved",
        {"conflict_key": "overpayment:9203:x", "action": "adjust", "comment": "Remboursé."},
    )
    # Voids naming each other in a circle (only forged ids can): inert, the hand-over stands.
    day.add(PHONE, "16:30:00.000", "handover", {"order_id": 9204, "outcome": "refused"})
    first, second = day.next_id(1), day.next_id(2)
    day.add(PHONE, "16:31:00.000", "void", {"event_id": second})
    day.add(PHONE, "16:31:00.000", "void", {"event_id": first})
    # A void of an event nobody has: no effect.
    day.add(PHONE, "16:40:00.000", "void", {"event_id": "01956a3a-ffff-7000-8000-000000000001"})
    description = "voids: undone and redone, a void of a void, an admin's resolution, a circle, an unknown id"
    return description, orders, day.events


def two_phones() -> tuple[str, list[Order], list[Event]]:
    lines = [(BASKET, 1), (APPLES, 2)]
    orders = [_order(9301 + i, 4301 + i, 70, lines) for i in range(4)]
    day = Day(4)
    # The best outcome wins whatever the clocks say: a partial then an all, an all then a refused.
    day.add(
        OTHER_PHONE,
        "16:00:00.000",
        "handover",
        {"order_id": 9301, "outcome": "partial", "lines": [{"product_id": APPLES, "quantity_received": 2}]},
    )
    day.add(PHONE, "16:05:00.000", "handover", {"order_id": 9301, "outcome": "all"})
    day.add(PHONE, "16:06:00.000", "handover", {"order_id": 9302, "outcome": "all"})
    day.add(OTHER_PHONE, "16:01:00.000", "handover", {"order_id": 9302, "outcome": "refused"})
    # Equal outcomes at the same instant: the earliest in canonical order (device id, then seq) decides.
    day.add(PHONE, "16:10:00.000", "handover", {"order_id": 9303, "outcome": "all"})
    day.add(OTHER_PHONE, "16:10:00.000", "handover", {"order_id": 9303, "outcome": "all"})
    # Payments on both phones for one order; cash on both.
    day.add(PHONE, "16:10:00.000", "payment", {"order_id": 9303, "amount_cents": 500, "method": "cash"})
    day.add(OTHER_PHONE, "16:10:00.000", "payment", {"order_id": 9303, "amount_cents": 1070, "method": "cash"})
    # A hand-over and a payment for an order of another distribution: no order changes, the cash still counts.
    day.add(OTHER_PHONE, "16:20:00.000", "handover", {"order_id": 9999, "outcome": "all"})
    day.add(OTHER_PHONE, "16:20:00.000", "payment", {"order_id": 9999, "amount_cents": 250, "method": "cash"})
    # Cash counts: the last in the device's own order (seq), not by clock; a voided closing falls back.
    day.add(PHONE, "15:50:00.000", "cash_count", {"kind": "opening", "total_cents": 3000})
    day.add(PHONE, "15:40:00.000", "cash_count", {"kind": "opening", "total_cents": 3500})  # recounted, clock behind
    day.add(PHONE, "18:00:00.000", "cash_count", {"kind": "closing", "total_cents": 4000})
    mistyped = day.add(PHONE, "18:01:00.000", "cash_count", {"kind": "closing", "total_cents": 400})
    day.add(PHONE, "18:02:00.000", "void", {"event_id": mistyped, "reason": "Faute de frappe"})
    day.add(
        OTHER_PHONE,
        "18:05:00.000",
        "cash_count",
        {"kind": "closing", "total_cents": 1320, "denominations": {"500": 2, "200": 1, "100": 1, "20": 1}},
    )
    # 9304: nobody came.
    description = "two phones: the best outcome wins, ties by canonical order, two cash boxes, counts redone"
    return description, orders, day.events


def after_the_count() -> tuple[str, list[Order], list[Event]]:
    """Cash taken after a phone's closing count: not in that count, so the gap compares the count with what was
    expected when it was made; "after" is in the phone's own recording order (seq), not by its clock."""
    lines = [(BASKET, 1), (EGGS, 1)]
    orders = [_order(9401 + i, 4401 + i, 100, lines) for i in range(4)]  # 17,70 € each
    day = Day(6)
    day.add(PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 3000})
    day.add(PHONE, "16:05:00.000", "handover", {"order_id": 9401, "outcome": "all"})
    day.add(PHONE, "16:05:00.000", "payment", {"order_id": 9401, "amount_cents": 1770, "method": "cash"})
    day.add(PHONE, "18:00:00.000", "cash_count", {"kind": "closing", "total_cents": 4762})  # 0,08 € missing
    # After the count, the clock behind: a hand-over paid 17,70 € in cash, then 1,06 € in cash on account (18,76 €);
    # a cheque (no cash), and cash taken by mistake then undone.
    day.add(PHONE, "17:58:00.000", "handover", {"order_id": 9402, "outcome": "all"})
    day.add(PHONE, "17:58:00.000", "payment", {"order_id": 9402, "amount_cents": 1770, "method": "cash"})
    day.add(PHONE, "18:03:00.000", "payment", {"household_id": 4402, "amount_cents": 106, "method": "cash"})
    day.add(PHONE, "18:04:00.000", "payment", {"order_id": 9403, "amount_cents": 1770, "method": "cheque"})
    wrong = day.add(PHONE, "18:05:00.000", "payment", {"order_id": 9403, "amount_cents": 900, "method": "cash"})
    day.add(PHONE, "18:06:00.000", "void", {"event_id": wrong, "reason": "Déjà payé par chèque"})
    # The other phone counts, takes 17,70 € more, and counts again: the new count replaces the first.
    day.add(OTHER_PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 1000})
    day.add(OTHER_PHONE, "18:00:00.000", "cash_count", {"kind": "closing", "total_cents": 1000})
    day.add(OTHER_PHONE, "18:10:00.000", "handover", {"order_id": 9404, "outcome": "all"})
    day.add(OTHER_PHONE, "18:10:00.000", "payment", {"order_id": 9404, "amount_cents": 1770, "method": "cash"})
    day.add(OTHER_PHONE, "18:15:00.000", "cash_count", {"kind": "closing", "total_cents": 2770})
    description = "cash after the closing count: not in the count (own order, not clock), a recount replaces it"
    return description, orders, day.events


def busy_day() -> tuple[str, list[Order], list[Event]]:
    """Many events from a fixed seed: what no hand-written case thinks of (voids of voids of voids, recounts, the
    same basket on three devices, clocks that disagree)."""
    rng = random.Random(20250304)
    orders = [
        _order(9401 + i, 4401 + i, rng.choice((40, 70, 100)), [(BASKET, 1), (EGGS, rng.randint(1, 3))])
        for i in range(12)
    ]
    day = Day(5)
    devices = [PHONE, OTHER_PHONE, "Tel_du-Luzard.3"]
    skew = {PHONE: 0, OTHER_PHONE: -7, "Tel_du-Luzard.3": 3}  # minutes: the phones' clocks disagree
    ids: list[str] = []
    for minute in range(150):
        device = rng.choice(devices)
        at = 16 * 60 + minute // 2 + skew[device]
        time = f"{at // 60:02d}:{at % 60:02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}"
        order = rng.choice(orders)
        roll = rng.random()
        if roll < 0.3:
            outcome = rng.choice(("all", "all", "partial", "refused"))
            lines = [{"product_id": EGGS, "quantity_received": 1}] if outcome == "partial" else []
            payload: dict[str, Any] = {"order_id": order.order_id, "outcome": outcome, "lines": lines}
            ids.append(day.add(device, time, "handover", payload))
        elif roll < 0.6:
            amount = rng.randint(1, order.total_due_cents)
            prepaid = rng.choice((0, 0, min(amount, 150)))
            method = rng.choice(("cash", "cash", "cheque", "card")) if amount > prepaid else "prepaid"
            payload = {"order_id": order.order_id, "amount_cents": amount, "method": method}
            payload["from_prepaid_cents"] = prepaid
            ids.append(day.add(device, time, "payment", payload))
        elif roll < 0.85 and ids:
            ids.append(day.add(device, time, "void", {"event_id": rng.choice(ids)}))
        else:
            kind = rng.choice(("opening", "closing"))
            ids.append(day.add(device, time, "cash_count", {"kind": kind, "total_cents": rng.randint(0, 20000)}))
    description = "a busy day from a fixed seed: three phones, clocks that disagree, voids of voids, recounts"
    return description, orders, day.events


def top_ups() -> tuple[str, list[Order], list[Event]]:
    """Credits paid at the point: cash ones are in the box that took them (after a count too), every one counts by
    method and for its household, a voided one not at all, and a void of that void restores it."""
    lines = [(BASKET, 1)]
    orders = [_order(9501 + i, 4501 + i, 100, lines) for i in range(3)]
    day = Day(7)
    day.add(PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 2000})
    # Awa credits 20 € in cash, then her basket comes out of the prepaid account.
    day.add(PHONE, "16:05:00.000", "top_up", {"household_id": 4501, "amount_cents": 2000, "method": "cash"})
    day.add(PHONE, "16:05:00.000", "handover", {"order_id": 9501, "outcome": "all"})
    day.add(
        PHONE,
        "16:05:00.000",
        "payment",
        {"order_id": 9501, "amount_cents": 1500, "method": "prepaid", "from_prepaid_cents": 1500},
    )
    # A cheque with its number, and a card top-up recorded by mistake then undone.
    day.add(
        PHONE,
        "16:10:00.000",
        "top_up",
        {"household_id": 4502, "amount_cents": 5000, "method": "cheque", "method_details": "0004567"},
    )
    wrong = day.add(PHONE, "16:11:00.000", "top_up", {"household_id": 4502, "amount_cents": 1000, "method": "card"})
    day.add(PHONE, "16:12:00.000", "void", {"event_id": wrong, "reason": "Mauvais membre"})
    # Undone then restored: it counts.
    restored = day.add(
        OTHER_PHONE, "16:20:00.000", "top_up", {"household_id": 4503, "amount_cents": 1500, "method": "cash"}
    )
    undo = day.add(OTHER_PHONE, "16:21:00.000", "void", {"event_id": restored})
    day.add(OTHER_PHONE, "16:22:00.000", "void", {"event_id": undo, "reason": "Annulé par erreur"})
    day.add(
        OTHER_PHONE,
        "16:25:00.000",
        "top_up",
        {"household_id": 4503, "amount_cents": 700, "method": "transfer", "method_details": "VIR-2025-03"},
    )
    day.add(
        OTHER_PHONE,
        "16:26:00.000",
        "top_up",
        {"household_id": 4503, "amount_cents": 300, "method": "local_currency", "account": "prepaid"},
    )
    # The closing count, then 5 € more in cash after it (the clock behind).
    day.add(PHONE, "18:00:00.000", "cash_count", {"kind": "closing", "total_cents": 4000})
    day.add(PHONE, "17:59:00.000", "top_up", {"household_id": 4501, "amount_cents": 500, "method": "cash"})
    description = "credits paid at the point: cash in the box, by method, per household, voided and restored"
    return description, orders, day.events


def membership_fees() -> tuple[str, list[Order], list[Event]]:
    orders = [_order(9501, 4501, 100, [(BASKET, 1)]), _order(9502, 4502, 100, [(EGGS, 1)])]
    day = Day(7)
    day.add(PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 2000})
    day.add(PHONE, "16:05:00.000", "handover", {"order_id": 9501, "outcome": "all"})
    due = orders[0].total_due_cents
    day.add(PHONE, "16:05:00.000", "payment", {"order_id": 9501, "amount_cents": due, "method": "cash"})
    # The fee is money collected and cash in the box, never part of what an order was paid.
    fee = {"household_id": 4501, "amount_cents": 1500, "method": "cash", "purpose": "membership"}
    day.add(PHONE, "16:06:00.000", "payment", fee)
    wrong = day.add(PHONE, "16:07:00.000", "payment", {**fee, "household_id": 4502})
    day.add(PHONE, "16:08:00.000", "void", {"event_id": wrong, "reason": "Adhésion déjà payée"})
    cheque = {"household_id": 4502, "amount_cents": 2000, "method": "cheque", "method_details": "0004321"}
    day.add(PHONE, "16:09:00.000", "payment", {**cheque, "purpose": "contribution"})
    day.add(PHONE, "18:30:00.000", "cash_count", {"kind": "closing", "total_cents": 2000 + due + 1500})
    description = "membership fees: cash in the box and not in an order's payments; a voided fee; a contribution"
    return description, orders, day.events


def extras_sales() -> tuple[str, list[Order], list[Event]]:
    orders = [_order(9601, 4601, 70, [(BASKET, 1)])]
    day = Day(8)
    day.add(PHONE, "16:00:00.000", "cash_count", {"kind": "opening", "total_cents": 1000})
    # An anonymous buyer: two jars of honey at the full price, in cash (in the box, in no order's payments).
    jars = [{"product_id": 31, "quantity": 2, "unit_price_cents": 650}]
    day.add(PHONE, "16:10:00.000", "sale", {"lines": jars, "amount_cents": 1300, "method": "cash"})
    # A member at 70 %: 3 × 1.25 € of bread is 2.63 €, from the allowance 1.00 €, the rest in cash.
    bread = [{"product_id": 32, "quantity": 3, "unit_price_cents": 125}]
    member = {"household_id": 4601, "lines": bread, "share_percent": 70, "amount_cents": 263}
    day.add(PHONE, "16:12:00.000", "sale", {**member, "method": "cash", "from_allowance_cents": 100})
    # Another phone sells one jar by card; a sale recorded by mistake is voided.
    day.add(
        OTHER_PHONE,
        "16:15:00.000",
        "sale",
        {"lines": [{**jars[0], "quantity": 1}], "amount_cents": 650, "method": "card"},
    )
    wrong = day.add(PHONE, "16:20:00.000", "sale", {"lines": jars, "amount_cents": 1300, "method": "cash"})
    day.add(PHONE, "16:21:00.000", "void", {"event_id": wrong, "reason": "Vendu deux fois"})
    day.add(PHONE, "18:30:00.000", "cash_count", {"kind": "closing", "total_cents": 1000 + 1300 + 163})
    description = "sales of extras: anonymous and member buyers, cash in the box, an allowance part, a voided sale"
    return description, orders, day.events


CASES = [
    quiet_day,
    split_payments,
    voids,
    two_phones,
    after_the_count,
    busy_day,
    top_ups,
    membership_fees,
    extras_sales,
]


def _as_sent(event: Event) -> dict[str, Any]:
    """The event as the server sends it: every field, defaults filled in, the time in its one written form."""
    return json.loads(canonical_json(event))


def _gathered(events: list[Event]) -> list[Event]:
    """As a phone gathers them: pulled and own events interleaved (reversed in pairs), some twice."""
    shuffled = [event for pair in zip(events[1::2], events[::2], strict=False) for event in pair]
    if len(events) % 2:
        shuffled.append(events[-1])
    return [*shuffled, *events[::3]]


def _order_json(state: OrderState) -> dict[str, Any]:
    return {
        "order_id": state.order_id,
        "status": state.status,
        "outcome": state.outcome,
        "decided_by": state.decided_by,
        "handover_ids": list(state.handover_ids),
        "payment_ids": list(state.payment_ids),
        "paid_cents": state.paid_cents,
    }


def _cash_json(box: CashBox) -> dict[str, Any]:
    return {
        "device_id": box.device_id,
        "opening_cents": box.opening_cents,
        "cash_payments_cents": box.cash_payments_cents,
        "expected_cents": box.expected_cents,
        "counted_cents": box.counted_cents,
        "difference_cents": box.difference_cents,
        "after_count_cents": box.after_count_cents,
        "expected_at_count_cents": box.expected_at_count_cents,
        "difference_at_count_cents": box.difference_at_count_cents,
        "cash_top_ups_cents": box.cash_top_ups_cents,
    }


def _top_ups_json(state: DistributionState) -> dict[str, Any]:
    """The credits paid at the point: per household that made one, and by method (every top-up method)."""
    return {
        "top_ups": [
            {"household_id": moves.household_id, "topped_up_cents": moves.topped_up_cents}
            for moves in state.households
            if moves.topped_up_cents
        ],
        "top_ups_by_method": dict(state.totals.top_ups_by_method),
    }


def build() -> dict[str, Any]:
    cases = []
    for make in CASES:
        description, orders, events = make()
        state = project(orders, events)
        cases.append(
            {
                "description": description,
                "orders": [order.order_id for order in orders],
                "events": [_as_sent(event) for event in _gathered(events)],
                "expected": {
                    "orders": [_order_json(order) for order in state.orders],
                    "voided": list(state.voided),
                    "cash": [_cash_json(box) for box in state.cash],
                    **_top_ups_json(state),
                },
            }
        )
    return {
        "description": (
            "Comptoir projection test vectors (sync/projection.py): a distribution's orders and events, in the "
            "order a phone gathers them (some twice), and the state the projection gives per order, per cash box, "
            "for the voids and for the credits paid at the point; see docs/sync-protocol.md, 'Projection'."
        ),
        "cases": cases,
    }
