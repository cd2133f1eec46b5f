"""What the phones recorded about one order, read without its distribution's whole log.

The hand-overs and payments of the order's distribution that name this order (or, for a payment or a top-up, its
household), then the undos that name those events (``events.target_event_id``, indexed) and the undos of those
undos. Every query is bounded by ``events.distribution_id`` (indexed) and filters the rest in the database, so an
order's page or a member's page does not read the 2,000 other events of its day. Projected with the one projection
(``sync.projection.project``) these events give the order the status the distribution log gives it: an undo counts,
or is itself undone, exactly as there.
"""

from sqlalchemy import or_, select

from server.domain.events import StoredEvent, projection_orders, stored_events_where
from server.extensions import db
from server.models import Order, OrderLine, SyncedEvent
from sync import projection
from sync.events import Event, ShortageEvent

MAX_VOID_DEPTH = 10  # undo of an undo of…: phones never go that deep; bounded so a forged loop cannot spin


def order_events(order: Order) -> list[StoredEvent]:
    """This order's hand-overs and payments (and its household's payments and top-ups at that distribution), and the
    undos and decisions that name them, in arrival order."""
    payload = SyncedEvent.payload
    in_distribution = SyncedEvent.distribution_id == order.distribution_id
    products = sorted({line.product_id for line in order.lines})
    found = stored_events_where(
        in_distribution,
        SyncedEvent.type.in_(("handover", "payment", "top_up", "shortage", "substitution")),
        or_(
            payload["order_id"].as_integer() == order.id,
            SyncedEvent.type.in_(("payment", "top_up")) & (payload["household_id"].as_integer() == order.household_id),
            SyncedEvent.type.in_(("shortage", "substitution")) & payload["product_id"].as_integer().in_(products),
        ),
    )
    return with_undos(found, in_distribution)


def with_undos(found: list[StoredEvent], in_distribution) -> list[StoredEvent]:
    """``found`` and the undos that name them, and the undos of those."""
    known = {item.event.id for item in found}
    named = sorted(known)
    for _depth in range(MAX_VOID_DEPTH):
        if not named:
            break
        undos = [
            item
            for item in stored_events_where(in_distribution, SyncedEvent.target_event_id.in_(named))
            if item.event.id not in known
        ]
        found.extend(undos)
        known.update(item.event.id for item in undos)
        named = [item.event.id for item in undos]
    return found


def shortage_context(order: Order, events: list[Event]) -> tuple[list[projection.Order], list[Event]]:
    """What the shortage rule needs besides ``order``'s own events (``order_events``) to share a shortage of one of
    its products: the other orders of the distribution holding a product short, and their hand-overs (and undos).
    Nothing to read when no shortage names the order's products; else queries bounded by the distribution, for the
    orders of those products only."""
    products = sorted({event.payload.product_id for event in events if isinstance(event, ShortageEvent)})
    if not products:
        return [], []
    ids = set(
        db.session.scalars(
            select(OrderLine.order_id)
            .join(Order, OrderLine.order_id == Order.id)
            .where(Order.distribution_id == order.distribution_id, OrderLine.product_id.in_(products))
        )
    ) - {order.id}
    if not ids:
        return [], []
    in_distribution = SyncedEvent.distribution_id == order.distribution_id
    handovers = stored_events_where(
        in_distribution,
        SyncedEvent.type == "handover",
        SyncedEvent.payload["order_id"].as_integer().in_(sorted(ids)),
    )
    stored = with_undos(handovers, in_distribution)
    return projection_orders(order.distribution_id, ids), [item.event for item in stored]
