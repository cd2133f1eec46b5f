"""What the phones recorded about one member's order: collected or not, when, what was taken, what was paid and how.

The member page reads only this member's events, never its distribution's whole log: the hand-overs and payments of
the distribution that name this order (or, for a payment, this household), then the undos that name those events
(and the undos of those undos). Each query is bounded by ``events.distribution_id`` (indexed) and filters on the
payload in the database, so a page costs the same at the first and at the 20,000th event of a day. The figures
come from the one projection (``sync.projection.project``) run on those events alone: a hand-over or payment
counts, is undone or restored exactly as on the admin's log.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from sqlalchemy import or_, select

from server.extensions import db
from server.models import Device, Order, SyncedEvent
from sync import membership as rules
from sync import projection
from sync.events import SERVER_DEVICE_ID, Event, HandoverEvent, PaymentEvent, TopUpEvent, stored_event
from sync.pricing import line_due_cents

MAX_VOID_DEPTH = 10  # undo of an undo of…: phones never go that deep; bounded so a forged loop cannot spin


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int


@dataclass(frozen=True)
class Paid:
    method: str  # a payment method code (``sync.vocabulary.PAYMENT_METHODS``), accounts included
    cents: int


@dataclass(frozen=True)
class Fee:
    """A payment at the distribution that was not for the basket (a membership fee, a contribution): shown on its
    own line, never among the basket's payments. ``season`` is the membership season it is for (``2026–2027``)."""

    purpose: str
    season: str
    method: str
    cents: int


@dataclass(frozen=True)
class Collection:
    """An order as the member reads it after the phones synced. ``status`` is the projection's; ``at`` is when the
    deciding hand-over was recorded (None: nobody handed anything over yet)."""

    status: str
    outcome: str | None  # "all", "partial", "refused", None
    at: datetime | None
    received: tuple[Line, ...]
    still_to_collect: tuple[Line, ...]
    paid: tuple[Paid, ...]  # by method, in the order the methods were used
    paid_cents: int
    due_cents: int  # for what was taken (all of it, or the part taken)
    credited: tuple[Paid, ...] = ()  # credited to the prepaid account at this distribution, by method (top-ups)
    fees: tuple[Fee, ...] = ()  # the household's payments at this distribution for something else than the basket

    @property
    def handed_over(self) -> bool:
        return self.outcome in ("all", "partial")

    @property
    def still_due_cents(self) -> int:
        return max(0, self.due_cents - self.paid_cents)


def collection_of(order: Order) -> Collection:
    """The state of ``order`` after its member's synced events (``order.lines`` with their products loaded)."""
    events = member_events(order)
    lines = tuple(
        projection.OrderLine(
            line.product_id,
            line.quantity,
            _line_due(order, line.quantity, line.unit_price_cents),
            line.unit_price_cents,
            order.share_percent,
        )
        for line in order.lines
    )
    mine = projection.Order(order.id, order.household_id, lines, sum(line.due_cents for line in lines))
    state = projection.project([mine], events)
    (order_state,) = state.orders
    voided = set(state.voided)
    by_id = {event.id: event for event in events}
    decider = by_id.get(order_state.decided_by) if order_state.decided_by else None

    names = {line.product_id: line.product.name for line in order.lines}
    received = dict(order_state.received)
    taken = tuple(Line(names.get(product, "?"), quantity) for product, quantity in received.items() if quantity > 0)
    left = tuple(
        Line(line.product.name, line.quantity - received.get(line.product_id, 0))
        for line in order.lines
        if line.quantity > received.get(line.product_id, 0)
    )
    due = order_state.due_cents if order_state.outcome in ("all", "partial") else 0

    paid: dict[str, int] = {}
    for event in events:
        if isinstance(event, PaymentEvent) and event.id not in voided and _is_for(event, order):
            payment = event.payload
            for method, cents in (
                (payment.method, payment.rest_cents),
                ("prepaid", payment.from_prepaid_cents),
                ("allowance", payment.from_allowance_cents),
            ):
                if cents:
                    paid[method] = paid.get(method, 0) + cents
    handed = order_state.outcome in ("all", "partial")
    return Collection(
        status=order_state.status,
        outcome=order_state.outcome,
        at=decider.device_time if isinstance(decider, HandoverEvent) else None,
        received=taken,
        still_to_collect=left if handed else (),
        paid=tuple(Paid(method, cents) for method, cents in paid.items()),
        paid_cents=sum(paid.values()),
        due_cents=due,
        credited=_credited(events, voided, order.household_id),
        fees=_fees(events, voided, order.household_id),
    )


def _fees(events: list[Event], voided: set[str], household_id: int) -> tuple[Fee, ...]:
    """The household's payments at the distribution for something else than an order (not undone), by purpose,
    season and method (the part from each account apart), in the order they were used."""
    tz = ZoneInfo(str(get_timezone()))
    fees: dict[tuple[str, str, str], int] = {}
    for event in events:
        if not isinstance(event, PaymentEvent) or event.id in voided or event.payload.purpose == "order":
            continue
        payment = event.payload
        if payment.household_id != household_id:
            continue
        season = rules.season_label(rules.season_end(event.device_time.astimezone(tz).date()))
        for method, cents in (
            (payment.method, payment.rest_cents),
            ("prepaid", payment.from_prepaid_cents),
            ("allowance", payment.from_allowance_cents),
        ):
            if cents:
                key = (payment.purpose, season, method)
                fees[key] = fees.get(key, 0) + cents
    return tuple(Fee(purpose, season, method, cents) for (purpose, season, method), cents in fees.items())


def _credited(events: list[Event], voided: set[str], household_id: int) -> tuple[Paid, ...]:
    """The household's top-ups at the distribution not undone, by method in the order they were used."""
    credited: dict[str, int] = {}
    for event in events:
        if isinstance(event, TopUpEvent) and event.id not in voided and event.payload.household_id == household_id:
            credited[event.payload.method] = credited.get(event.payload.method, 0) + event.payload.amount_cents
    return tuple(Paid(method, cents) for method, cents in credited.items())


def _line_due(order: Order, quantity: int, unit_price_cents: int) -> int:
    return line_due_cents(quantity, unit_price_cents, order.share_percent)


def _is_for(event: PaymentEvent, order: Order) -> bool:
    """A payment for this order: naming it, or naming its household for the basket (a fee is not the basket's)."""
    payload = event.payload
    if payload.purpose != "order":
        return False
    if payload.order_id is not None:
        return payload.order_id == order.id
    return payload.household_id == order.household_id


def member_events(order: Order) -> list[Event]:
    """This order's hand-overs and payments (and its household's payments and top-ups at that distribution), and the
    undos and decisions that name them, read by their distribution and filtered in the database."""
    payload = SyncedEvent.payload
    in_distribution = SyncedEvent.distribution_id == order.distribution_id
    found = _read(
        in_distribution,
        SyncedEvent.type.in_(("handover", "payment", "top_up")),
        or_(
            payload["order_id"].as_integer() == order.id,
            SyncedEvent.type.in_(("payment", "top_up")) & (payload["household_id"].as_integer() == order.household_id),
        ),
    )
    named = [event.id for event in found]
    for _depth in range(MAX_VOID_DEPTH):
        if not named:
            break
        undos = _read(
            in_distribution,
            SyncedEvent.type.in_(("void", "conflict_resolved")),
            payload["event_id"].as_string().in_(named),
        )
        known = {event.id for event in found}
        undos = [event for event in undos if event.id not in known]
        found.extend(undos)
        named = [event.id for event in undos]
    return found


def _read(*conditions: Iterable) -> list[Event]:
    rows = db.session.execute(
        select(
            SyncedEvent.event_id,
            SyncedEvent.type,
            SyncedEvent.schema_version,
            Device.public_id,
            SyncedEvent.user_id,
            SyncedEvent.distribution_id,
            SyncedEvent.device_time,
            SyncedEvent.device_seq,
            SyncedEvent.prev_hash,
            SyncedEvent.payload,
        )
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(*conditions)
        .order_by(SyncedEvent.position)
    ).all()
    return [
        stored_event(
            {
                "id": row.event_id,
                "type": row.type,
                "schema_version": row.schema_version,
                "device_id": row.public_id or SERVER_DEVICE_ID,
                "volunteer_id": row.user_id,
                "distribution_id": row.distribution_id,
                "device_time": row.device_time,
                "seq": row.device_seq,
                "prev_hash": row.prev_hash,
                "payload": row.payload,
            }
        )
        for row in rows
    ]
