"""The event test vectors: events of every type, as a phone would send them, with their canonical encoding and hash.

The phone (``pwa/src/events.js``) must build the same canonical text and hash for each, so the vectors cover what
is easy to get wrong outside Python: every optional field left out (the defaults the server fills in), times written
with an offset or without milliseconds, keys that look like numbers (cash denominations), non-ASCII text and the
characters JSON escapes, the largest integers, and chains (``prev_hash`` is the hash of the event before).
"""

from typing import Any

from sync.chain import canonical_json, event_hash
from sync.events import EVENT_TYPES, SERVER_DEVICE_ID, parse_event

PHONE = "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f"
OTHER_PHONE = "Tel_du-Luzard.2"

# (description, device, distribution, device_time, type, payload); ids are fixed UUIDv7s, chains follow the order.
EVENTS: list[tuple[str, str, int, str, str, dict[str, Any]]] = [
    (
        "cash count of docs/sync-protocol.md: numeric-looking keys, a time with an offset",
        PHONE,
        42,
        "2025-03-04T17:20:00+01:00",
        "cash_count",
        {"kind": "opening", "total_cents": 5250, "denominations": {"5": 10, "200": 1, "5000": 1}},
    ),
    (
        "payment with only its required fields (six defaults filled in)",
        PHONE,
        42,
        "2025-03-04T16:21:07.5Z",
        "payment",
        {"order_id": 9001, "amount_cents": 1428, "method": "cash"},
    ),
    (
        "hand-over of the whole order, optional fields left out",
        PHONE,
        42,
        "2025-03-04T16:21:09.012Z",
        "handover",
        {"order_id": 9001, "outcome": "all"},
    ),
    (
        "partial hand-over with a substitution note in French",
        PHONE,
        42,
        "2025-03-04T16:25:00.000Z",
        "handover",
        {
            "order_id": 9002,
            "outcome": "partial",
            "lines": [{"product_id": 17, "quantity_received": 1}, {"product_id": 12, "quantity_received": 0}],
            "substitution_note": "Œufs ×6 remplacés par « pommes bio » — 1 kg, à 2,70 €",
        },
    ),
    (
        "refused hand-over with every field written",
        PHONE,
        42,
        "2025-03-04T16:26:00.000Z",
        "handover",
        {"order_id": 9003, "outcome": "refused", "lines": [], "substitution_note": None},
    ),
    (
        "payment: prepaid account and cheque, solidarity share, non-ASCII details",
        PHONE,
        42,
        "2025-03-04T16:27:30.250Z",
        "payment",
        {
            "order_id": 9002,
            "household_id": 4243,
            "amount_cents": 1500,
            "method": "cheque",
            "method_details": "Chèque n° 0001234 — Crédit Agricole d'Île-de-France",
            "from_prepaid_cents": 500,
            "solidarity_cents": 643,
        },
    ),
    (
        "payment on account entirely from the solidarity allowance",
        PHONE,
        42,
        "2025-03-04T16:28:00.000Z",
        "payment",
        {"household_id": 4244, "amount_cents": 3000, "method": "allowance", "from_allowance_cents": 3000},
    ),
    (
        "void with its reason left out",
        PHONE,
        42,
        "2025-03-04T16:29:00.000Z",
        "void",
        {"event_id": "01956a3a-1c02-7000-8000-000000000003"},
    ),
    (
        "void whose reason holds quotes, a backslash, controls JSON escapes, an emoji and U+2028",
        PHONE,
        42,
        "2025-03-04T16:29:30.000Z",
        "void",
        {
            "event_id": "01956a3a-1c07-7000-8000-000000000008",
            "reason": 'Erreur "de saisie" \\ ligne\nsuivante\ttabulée\r 😀 fin\u2028de paragraphe',
        },
    ),
    (
        "refused scan with the member id left out",
        PHONE,
        42,
        "2025-03-04T16:30:00.000Z",
        "scan_refused",
        {"reason": "bad_signature"},
    ),
    (
        "refused scan of a revoked ticket",
        PHONE,
        42,
        "2025-03-04T16:31:00.000Z",
        "scan_refused",
        {"reason": "revoked", "member_id": 4242},
    ),
    (
        "note in several scripts: accents, ß, Arabic, Chinese, combining marks, a ZWJ emoji sequence",
        PHONE,
        42,
        "2025-03-04T16:32:00.000Z",
        "note",
        {"text": "Mme Ngô a dit : « merci » — Straße, مرحبا, 你好, e\u0301te\u0301, 👩\u200d🌾"},
    ),
    (
        "closing cash count with every denomination (keys sorted as strings: 1, 10, 100, 1000, 10000, 2, 20…)",
        PHONE,
        42,
        "2025-03-04T18:35:00.999Z",
        "cash_count",
        {
            "kind": "closing",
            "total_cents": 38888,
            "denominations": {
                "1": 1,
                "2": 1,
                "5": 1,
                "10": 1,
                "20": 1,
                "50": 1,
                "100": 1,
                "200": 1,
                "500": 1,
                "1000": 1,
                "2000": 1,
                "5000": 1,
                "10000": 1,
                "20000": 1,
            },
        },
    ),
    (
        "cash count without denominations (left out: null)",
        PHONE,
        7,
        "2025-03-05T08:00:00Z",
        "cash_count",
        {"kind": "opening", "total_cents": 0},
    ),
    (
        "largest values (ids, amounts), the first event of another phone's chain",
        OTHER_PHONE,
        2_147_483_647,
        "8999-12-31T23:59:59.999Z",
        "payment",
        {
            "order_id": 2_147_483_647,
            "household_id": 2_147_483_647,
            "amount_cents": 1_000_000_000,
            "method": "local_currency",
            "from_prepaid_cents": 999_999_999,
            "solidarity_cents": 1_000_000_000,
        },
    ),
    (
        "an admin's resolution (written by the server), event id left out",
        SERVER_DEVICE_ID,
        42,
        "2025-03-06T09:00:00.000+00:00",
        "conflict_resolved",
        {"conflict_key": "overpayment:9002:0123456789abcdef", "action": "adjust", "comment": "Remboursé 2 €."},
    ),
    (
        "an admin's resolution that voids an event",
        SERVER_DEVICE_ID,
        42,
        "2025-03-06T09:01:00.000Z",
        "conflict_resolved",
        {
            "conflict_key": "double_handover:9001:01956a3a-1c02-7000-8000-000000000003:x",
            "action": "void_event",
            "comment": "Doublon : le panier n'a été remis qu'une fois.",
            "event_id": "01956a3a-1c02-7000-8000-000000000003",
        },
    ),
    (
        "a credit paid at the point in cash, optional fields left out (the account is the prepaid one)",
        PHONE,
        42,
        "2025-03-04T17:30:00.000Z",
        "top_up",
        {"household_id": 4002, "amount_cents": 2000, "method": "cash"},
    ),
    (
        "a credit paid at the point by cheque, every field written",
        PHONE,
        42,
        "2025-03-04T17:31:00.000Z",
        "top_up",
        {
            "household_id": 4003,
            "amount_cents": 5000,
            "method": "cheque",
            "method_details": "0004567",
            "account": "prepaid",
        },
    ),
    (
        "the void of a credit paid at the point",
        PHONE,
        42,
        "2025-03-04T17:32:00.000Z",
        "void",
        {"event_id": "01956a3a-1c11-7000-8000-000000000012", "reason": "Mauvais membre"},
    ),
    (
        "membership fee (adhésion) taken in cash at the point: purpose written",
        PHONE,
        43,
        "2026-12-04T16:40:00.000Z",
        "payment",
        {"household_id": 4245, "amount_cents": 1500, "method": "cash", "purpose": "membership"},
    ),
    (
        "member's contribution to the solidarity scheme by cheque",
        PHONE,
        43,
        "2026-12-04T16:41:00.000Z",
        "payment",
        {
            "household_id": 4245,
            "amount_cents": 2000,
            "method": "cheque",
            "method_details": "Chèque n° 0004321",
            "purpose": "contribution",
        },
    ),
    (
        "purpose 'order' written: the default is left out of the canonical encoding (the hash of an older event)",
        PHONE,
        43,
        "2026-12-04T16:42:00.000Z",
        "payment",
        {"order_id": 9005, "amount_cents": 990, "method": "card", "purpose": "order"},
    ),
    (
        "cheque made out to a producer: payee_producer_id written (one cheque per producer)",
        PHONE,
        43,
        "2026-12-04T16:43:00.000Z",
        "payment",
        {
            "order_id": 9006,
            "household_id": 4246,
            "amount_cents": 1200,
            "method": "cheque",
            "method_details": "0007712",
            "payee_producer_id": 3,
        },
    ),
    (
        "payee_producer_id null: left out of the canonical encoding (the hash of an older event)",
        PHONE,
        43,
        "2026-12-04T16:44:00.000Z",
        "payment",
        {"order_id": 9006, "amount_cents": 450, "method": "cheque", "payee_producer_id": None},
    ),
    (
        "sale of extras to an anonymous buyer, paid in cash: optional fields left out (full price, no account)",
        PHONE,
        43,
        "2026-12-04T16:50:00.000Z",
        "sale",
        {"lines": [{"product_id": 31, "quantity": 2, "unit_price_cents": 350}], "amount_cents": 700, "method": "cash"},
    ),
    (
        "sale of extras to a member at 70 %: the eligible line from the allowance, the rest by cheque, every field",
        PHONE,
        43,
        "2026-12-04T16:51:00.000Z",
        "sale",
        {
            "household_id": 4245,
            "lines": [
                {"product_id": 31, "quantity": 1, "unit_price_cents": 350},
                {"product_id": 32, "quantity": 3, "unit_price_cents": 125},
            ],
            "share_percent": 70,
            "amount_cents": 508,
            "method": "cheque",
            "method_details": "Chèque n° 0004322",
            "from_prepaid_cents": 0,
            "from_allowance_cents": 245,
            "payee_producer_id": 7,
        },
    ),
    (
        "hand-over of the whole order with a weighed line: 480 g of cheese for an estimate of 500 g",
        PHONE,
        43,
        "2026-12-04T16:43:00.000Z",
        "handover",
        {"order_id": 9006, "outcome": "all", "weighed": [{"product_id": 31, "grams": 480}]},
    ),
    (
        "partial hand-over weighing one of its lines",
        PHONE,
        43,
        "2026-12-04T16:44:00.000Z",
        "handover",
        {
            "order_id": 9007,
            "outcome": "partial",
            "lines": [{"product_id": 31, "quantity_received": 500}, {"product_id": 12, "quantity_received": 0}],
            "weighed": [{"product_id": 31, "grams": 1250}],
        },
    ),
    (
        "weighed written empty: left out of the canonical encoding (the hash of an older event)",
        PHONE,
        43,
        "2026-12-04T16:45:00.000Z",
        "handover",
        {"order_id": 9008, "outcome": "all", "lines": [], "weighed": []},
    ),
    (
        "shortage: no Comté delivered at all, delivered left out",
        PHONE,
        43,
        "2026-12-04T16:30:00.000Z",
        "shortage",
        {"product_id": 31},
    ),
    (
        "shortage: three loaves delivered for the orders not handed over yet",
        OTHER_PHONE,
        43,
        "2026-12-04T16:31:00.000Z",
        "shortage",
        {"product_id": 40, "delivered": 3},
    ),
    (
        "sale of extras by weight to a member at 70 %: 480 g of cheese at 24,50 €/kg (one weighed piece, its grams) "
        "and 2 loaves; the loaves' line leaves grams out",
        PHONE,
        43,
        "2026-12-04T16:52:00.000Z",
        "sale",
        {
            "household_id": 4245,
            "lines": [
                {"product_id": 31, "quantity": 1, "unit_price_cents": 2450, "grams": 480},
                {"product_id": 32, "quantity": 2, "unit_price_cents": 125},
            ],
            "share_percent": 70,
            "amount_cents": 998,
            "method": "cash",
        },
    ),
    (
        "substitution: Brie at 22,00 €/kg for Comté, for the orders not handed over yet",
        OTHER_PHONE,
        43,
        "2026-12-04T16:32:00.000Z",
        "substitution",
        {"product_id": 31, "by_product_id": 33, "unit_price_cents": 2200},
    ),
    (
        "hand-over of the whole order, Comté given as 480 g of Brie at 22,00 €/kg",
        PHONE,
        43,
        "2026-12-04T16:50:00.000Z",
        "handover",
        {
            "order_id": 9009,
            "outcome": "all",
            "substituted": [{"product_id": 31, "by_product_id": 33, "quantity": 480, "unit_price_cents": 2200}],
        },
    ),
    (
        "substituted written empty: left out of the canonical encoding (the hash of an older event)",
        PHONE,
        43,
        "2026-12-04T16:51:00.000Z",
        "handover",
        {"order_id": 9010, "outcome": "all", "substituted": []},
    ),
]


def _event_id(number: int) -> str:
    """A fixed UUIDv7 (time 0x01956a3a1c00 + number ms, made-up random bits) for vector ``number``."""
    return f"01956a3a-1c{number:02x}-7000-8000-{number + 1:012x}"


def build() -> dict[str, Any]:
    chains: dict[tuple[str, int], tuple[int, str | None]] = {}
    vectors = []
    for number, (description, device, distribution, device_time, kind, payload) in enumerate(EVENTS):
        seq, prev_hash = chains.get((device, distribution), (0, None))
        event = {
            "id": "01956a3a-1c00-7def-8123-456789abcdef" if number == 0 else _event_id(number),
            "type": kind,
            "schema_version": 1,
            "device_id": device,
            "volunteer_id": 12 if device != OTHER_PHONE else 2_147_483_647,
            "distribution_id": distribution,
            "device_time": device_time,
            "seq": seq + 1,
            "prev_hash": prev_hash,
            "payload": payload,
        }
        parsed = parse_event(event)
        digest = event_hash(parsed)
        chains[device, distribution] = (seq + 1, digest)
        vectors.append(
            {
                "description": description,
                "event": event,
                "canonical": canonical_json(parsed).decode("utf-8"),
                "hash": digest,
            }
        )
    return {
        "description": (
            "Comptoir event test vectors: each event as sent, its canonical encoding (UTF-8 text) and its hash "
            "(SHA-256 hex); see docs/sync-protocol.md, 'Hash chain'."
        ),
        "schema_version": 1,
        "event_types": list(EVENT_TYPES),
        "vectors": vectors,
    }
