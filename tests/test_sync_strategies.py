"""Builders and hypothesis strategies for the sync tests: phones that record events with real hash chains, a small
distribution, and random sets of valid events. The tests at the end check the builders themselves."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.chain import event_hash
from sync.events import SERVER_DEVICE_ID, Event, format_time, new_event_id, parse_event
from sync.projection import Order, OrderLine
from sync.tickets import REASONS as TICKET_REASONS
from sync.vocabulary import PAYMENT_METHODS

DISTRIBUTION = 42
OPENS_AT = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # Tuesday 17:30 in Paris
CLOSED_AT = OPENS_AT + timedelta(hours=1, minutes=30)

# Household 11 pays the full price, 12 the solidarity tier (70 %); 13 has two orders.
ORDERS = (
    Order(301, 11, (OrderLine(1, 1, 1500), OrderLine(2, 6, 300)), 1800),
    Order(302, 12, (OrderLine(1, 1, 1050),), 1050),
    Order(303, 13, (OrderLine(3, 2, 400),), 400),
    Order(304, 13, (OrderLine(4, 1, 600),), 600),
)
UNKNOWN_ORDER = 999
UNKNOWN_HOUSEHOLD = 99


def envelope(kind: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid event as a device would send it (seq 1, so no previous hash), with ``fields`` replaced."""
    data = {
        "id": new_event_id(1_773_160_200_000, 1),
        "type": kind,
        "schema_version": 1,
        "device_id": "phone-a",
        "volunteer_id": 7,
        "distribution_id": DISTRIBUTION,
        "device_time": "2026-03-10T17:30:00.000+01:00",
        "seq": 1,
        "prev_hash": None,
        "payload": payload,
    }
    data.update(fields)
    return data


class Phone:
    """Records events as the volunteer app does: a UUIDv7 id, the next sequence number, the previous event's hash."""

    def __init__(self, device_id: str = "phone-a", *, start: datetime = OPENS_AT, volunteer_id: int = 7):
        self.device_id = device_id
        self.volunteer_id = volunteer_id
        self.clock = start
        self.seq = 0
        self.last_hash: str | None = None

    def record(self, kind: str, payload: dict[str, Any], *, at: datetime | None = None) -> Event:
        self.clock = at if at is not None else self.clock + timedelta(minutes=1)
        self.seq += 1
        seed = hashlib.sha256(f"{self.device_id}:{self.seq}:{self.last_hash}".encode()).digest()
        data = {
            "id": new_event_id(int(self.clock.timestamp() * 1000), int.from_bytes(seed[:10], "big")),
            "type": kind,
            "schema_version": 1,
            "device_id": self.device_id,
            "volunteer_id": self.volunteer_id,
            "distribution_id": DISTRIBUTION,
            "device_time": format_time(self.clock),
            "seq": self.seq,
            "prev_hash": self.last_hash,
            "payload": payload,
        }
        event = parse_event(data)
        self.last_hash = event_hash(event)
        return event

    def handover(self, order_id: int, outcome: str = "all", lines: dict[int, int] | None = None, **kw: Any) -> Event:
        received = [{"product_id": p, "quantity_received": q} for p, q in (lines or {}).items()]
        return self.record("handover", {"order_id": order_id, "outcome": outcome, "lines": received}, **kw)

    def payment(self, amount_cents: int, method: str = "cash", order_id: int | None = None, **fields: Any) -> Event:
        at = fields.pop("at", None)
        payload = {"order_id": order_id, "amount_cents": amount_cents, "method": method, **fields}
        return self.record("payment", payload, at=at)

    def void(self, event: Event | str, reason: str = "", **kw: Any) -> Event:
        target = event if isinstance(event, str) else event.id
        return self.record("void", {"event_id": target, "reason": reason}, **kw)

    def cash_count(self, kind: str, total_cents: int, **kw: Any) -> Event:
        return self.record("cash_count", {"kind": kind, "total_cents": total_cents}, **kw)

    def refusal(self, reason: str, member_id: int | None = None, **kw: Any) -> Event:
        return self.record("scan_refused", {"reason": reason, "member_id": member_id}, **kw)

    def top_up(self, household_id: int, amount_cents: int, method: str = "cash", **fields: Any) -> Event:
        at = fields.pop("at", None)
        payload = {"household_id": household_id, "amount_cents": amount_cents, "method": method, **fields}
        return self.record("top_up", payload, at=at)

    def note(self, text: str, **kw: Any) -> Event:
        return self.record("note", {"text": text}, **kw)

    def resolve(self, key: str, action: str = "accept", event: Event | None = None, **kw: Any) -> Event:
        payload = {"conflict_key": key, "action": action, "comment": "vu avec la coordinatrice"}
        payload["event_id"] = event.id if event is not None else None
        return self.record("conflict_resolved", payload, **kw)


def server() -> Phone:
    """The server's own chain, for the resolutions an admin records."""
    return Phone(SERVER_DEVICE_ID, start=CLOSED_AT + timedelta(days=1), volunteer_id=1)


# Random sets of valid events

ORDER_IDS = st.sampled_from([*(order.order_id for order in ORDERS), UNKNOWN_ORDER])
HOUSEHOLD_IDS = st.sampled_from([*sorted({order.household_id for order in ORDERS}), UNKNOWN_HOUSEHOLD])


@st.composite
def payment_payloads(draw: st.DrawFn) -> dict[str, Any]:
    amount = draw(st.integers(1, 3000))
    method = draw(st.sampled_from(PAYMENT_METHODS))
    if method == "prepaid":
        allowance = draw(st.integers(0, amount - 1))
        prepaid = amount - allowance
    elif method == "allowance":
        prepaid = draw(st.integers(0, amount - 1))
        allowance = amount - prepaid
    else:
        prepaid = draw(st.integers(0, amount - 1))
        allowance = draw(st.integers(0, amount - 1 - prepaid))
    order_id = draw(st.none() | ORDER_IDS)
    household_id = draw(HOUSEHOLD_IDS if order_id is None else st.none() | HOUSEHOLD_IDS)
    return {
        "order_id": order_id,
        "household_id": household_id,
        "amount_cents": amount,
        "method": method,
        "from_prepaid_cents": prepaid,
        "from_allowance_cents": allowance,
        "solidarity_cents": draw(st.integers(0, 1000)),
    }


@st.composite
def handover_payloads(draw: st.DrawFn) -> dict[str, Any]:
    outcome = draw(st.sampled_from(["all", "partial", "refused"]))
    lines = []
    if outcome == "partial":
        products = draw(st.lists(st.sampled_from([1, 2, 3, 4, 9]), min_size=1, max_size=3, unique=True))
        lines = [{"product_id": p, "quantity_received": draw(st.integers(0, 6))} for p in products]
    return {"order_id": draw(ORDER_IDS), "outcome": outcome, "lines": lines}


@st.composite
def event_sets(draw: st.DrawFn, max_events: int = 30) -> list[Event]:
    """Events of three phones (clocks apart, sometimes going back) and of the server, with voids of voids, unknown
    targets, resolutions, and a few events dropped so that chains have gaps."""
    phones = [Phone(name, start=OPENS_AT + timedelta(minutes=draw(st.integers(-60, 60)))) for name in "abc"]
    admin = server()
    events: list[Event] = []
    for _ in range(draw(st.integers(0, max_events))):
        kind = draw(st.sampled_from(["handover", "handover", "payment", "payment", "void", "cash_count", "other"]))
        phone = draw(st.sampled_from(phones))
        at = phone.clock + timedelta(seconds=draw(st.integers(-1800, 900)))
        ids = [event.id for event in events]
        if kind == "handover":
            events.append(phone.record("handover", draw(handover_payloads()), at=at))
        elif kind == "payment":
            events.append(phone.record("payment", draw(payment_payloads()), at=at))
        elif kind == "void":
            target = draw(st.sampled_from(ids)) if ids and draw(st.integers(0, 4)) else new_event_id(1, len(ids))
            events.append(phone.void(target, at=at))
        elif kind == "cash_count":
            kind_ = draw(st.sampled_from(["opening", "closing"]))
            events.append(phone.cash_count(kind_, draw(st.integers(0, 20_000)), at=at))
        elif draw(st.booleans()):
            reason = draw(st.sampled_from([*TICKET_REASONS, "unknown_member", "not_expected"]))
            events.append(phone.refusal(reason, draw(st.none() | HOUSEHOLD_IDS), at=at))
        elif ids:
            target = draw(st.sampled_from(events))
            key = draw(st.sampled_from(["unknown_order", "late_event", "revoked_ticket", "unknown_void"]))
            action = draw(st.sampled_from(["accept", "void_event", "adjust", "dismiss"]))
            events.append(admin.resolve(f"{key}:{target.id}", action, target))
    for _ in range(draw(st.integers(0, 2))) if events else ():
        # A fork: another event with the same place in a chain (a restored backup, a cloned app).
        original = draw(st.sampled_from(events))
        forked = {**original.model_dump(mode="json"), "id": new_event_id(1, 1000 + len(events))}
        events.append(parse_event(forked))
    dropped = draw(st.sets(st.integers(0, max(len(events) - 1, 0)), max_size=2)) if events else set()
    return [event for index, event in enumerate(events) if index not in dropped]


@st.composite
def shuffled_with_repeats(draw: st.DrawFn, events: list[Event]) -> list[Event]:
    repeats = draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    return draw(st.permutations(events + repeats))


@given(event_sets())
def test_generated_events_survive_a_round_trip_through_json(events):
    for event in events:
        again = parse_event(event.model_dump(mode="json"))
        assert again == event
        assert event_hash(again) == event_hash(event)


def test_a_phone_links_its_events():
    phone = Phone()
    first, second = phone.cash_count("opening", 5000), phone.handover(301)
    assert (first.seq, first.prev_hash) == (1, None)
    assert (second.seq, second.prev_hash) == (2, event_hash(first))
