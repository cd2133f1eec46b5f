"""Substitutions: a product replaced by another, priced (``docs/point-adjustments.md``, "Substitution").

One pure rule, the same on the phone (``pwa/src/substitutions.js``) and the server, held to
``sync/vectors/shortages.json``:

1. For each product, the adjustment that counts is the last live ``substitution`` or ``shortage`` event naming it in
   canonical order (``last_adjustments``): a later one corrects an earlier one, of either kind; a void undoes it.
2. A substitution touches the orders with a line of that product that no hand-over giving something decided before
   it (as a shortage does): a member who had already collected keeps what they took and owes.
3. A touched line keeps its product id (what was ordered, the key every hand-over names) and quantity, and says
   ``by_product_id``: it is now the substitute at the substitution's ``unit_price_cents`` (its full price, per kg
   for a line sold by weight, which stays by weight and is weighed at the hand-over), priced at the order's tier by
   ``sync.pricing``. The order's total follows, up or down.
4. At one hand-over, ``substituted`` items replace a line the same way for that hand-over only, the quantity being
   what was given of the substitute (``at_handover``).

Deterministic and order-free: it reads only the set of events, through the canonical order.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sync.chain import sort_key
from sync.events import Event, HandoverEvent, SubstitutionEvent
from sync.pricing import line_due_cents
from sync.shortages import Short, first_given, last_adjustments, shortages, shorted


@dataclass(frozen=True)
class Swap:
    """One line of ``product_id`` given as ``by_product_id`` at ``unit_price_cents`` (full price); ``event_id`` the
    substitution event (or the hand-over that gave it)."""

    product_id: int
    by_product_id: int
    unit_price_cents: int
    event_id: str


def substitutions(orders: Iterable, live: list[Event]) -> dict[int, tuple[Swap, ...]]:
    """Order id → the substitutions that replace its lines, for the orders they touch. ``orders`` are
    ``sync.projection.Order``; ``live``: the events not voided."""
    counting = [event for event in last_adjustments(live).values() if isinstance(event, SubstitutionEvent)]
    if not counting:
        return {}
    given = first_given(live)
    found: dict[int, list[Swap]] = {}
    for event in sorted(counting, key=lambda e: e.payload.product_id):
        cut = sort_key(event)
        sub = event.payload
        for order in orders:
            if given.get(order.order_id, cut) < cut:
                continue
            if any(line.product_id == sub.product_id for line in order.lines):
                swap = Swap(sub.product_id, sub.by_product_id, sub.unit_price_cents, event.id)
                found.setdefault(order.order_id, []).append(swap)
    return {order_id: tuple(swaps) for order_id, swaps in found.items()}


def swapped_line(line, swap: Swap, quantity: int | None = None):
    """``line`` (a ``sync.projection.OrderLine``) as the substitute: ``quantity`` of it (default: the line's), at the
    swap's price and the line's share (a line paid in advance stays due 0)."""
    quantity = line.quantity if quantity is None else quantity
    share = line.share_percent if line.share_percent is not None else 100
    due = line_due_cents(quantity, swap.unit_price_cents, share, line.sold_by, line.paid_in_advance)
    return replace(
        line,
        quantity=quantity,
        due_cents=due,
        unit_price_cents=swap.unit_price_cents,
        share_percent=share,
        by_product_id=swap.by_product_id,
    )


def substituted(order, swaps: tuple[Swap, ...]):
    """``order`` with its lines replaced by ``swaps``, the total following."""
    if not swaps:
        return order
    by_product = {swap.product_id: swap for swap in swaps}
    lines = tuple(
        swapped_line(line, by_product[line.product_id]) if line.product_id in by_product else line
        for line in order.lines
    )
    return replace(order, lines=lines, total_due_cents=sum(line.due_cents for line in lines))


def handover_swaps(order, handover: HandoverEvent | None) -> tuple[Swap, ...]:
    """The swaps a hand-over's ``substituted`` items make of ``order``'s lines (items naming no line are ignored)."""
    if handover is None or not handover.payload.substituted:
        return ()
    held = {line.product_id for line in order.lines}
    return tuple(
        Swap(item.product_id, item.by_product_id, item.unit_price_cents, handover.id)
        for item in handover.payload.substituted
        if item.product_id in held
    )


def at_handover(order, handover: HandoverEvent | None):
    """``order`` as the hand-over gave it: its ``substituted`` lines become the substitute, at the quantity given."""
    swaps = handover_swaps(order, handover)
    if not swaps:
        return order
    items = handover.payload.swaps()
    by_product = {swap.product_id: swap for swap in swaps}
    lines = []
    for line in order.lines:
        swap = by_product.get(line.product_id)
        lines.append(line if swap is None else swapped_line(line, swap, items[line.product_id].quantity))
    return replace(order, lines=tuple(lines), total_due_cents=sum(line.due_cents for line in lines))


@dataclass(frozen=True)
class Adjusted:
    """An order as the day's substitutions and shortages left it (before any hand-over), and what did it."""

    order: object  # a ``sync.projection.Order``
    swaps: tuple[Swap, ...]
    shorts: tuple[Short, ...]

    @property
    def cut_ids(self) -> tuple[str, ...]:
        """The events that changed it: the credit-back counts the payments recorded before the last of them."""
        return (*(short.shortage_id for short in self.shorts), *(swap.event_id for swap in self.swaps))


def adjust(orders: Iterable, live: list[Event], others: Iterable = ()) -> dict[int, Adjusted]:
    """Order id → the order after the substitutions and shortages, for the orders of ``orders`` they touch.
    ``others``: orders not asked for that a shortage is shared among too. A product has either a substitution or a
    shortage that counts (``last_adjustments``), never both, so the two apply in either order."""
    orders = list(orders)
    swaps = substitutions(orders, live)
    shorts = shortages([*orders, *others], live)
    found = {}
    for order in orders:
        mine, short = swaps.get(order.order_id, ()), shorts.get(order.order_id, ())
        if mine or short:
            found[order.order_id] = Adjusted(shorted(substituted(order, mine), short), mine, short)
    return found
