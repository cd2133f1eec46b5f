"""Shortages: a product delivered short, or not at all, for a whole distribution (``docs/point-adjustments.md``).

One pure rule, the same on the phone (``pwa/src/shortages.js``) and the server, held to ``sync/vectors/shortages.json``:

1. For each product, the shortage that counts is the last live ``shortage`` event naming it in canonical order (a
   later one corrects it; a void undoes it), unless a later substitution of it (``sync.substitutions``) replaces it.
2. It touches the orders with a line of that product that no hand-over giving something (``all`` or ``partial``)
   decided before it in canonical order: a member who had already collected keeps what they took and owes.
3. ``delivered`` is shared among the touched orders in proportion to what they ordered, each rounded down, and the
   units left over go one by one to the largest remainders, ties to the smaller order id. Enough for everyone:
   nobody is short.
4. A touched order's line is then the quantity it receives, priced by ``sync.pricing`` like a partial line; a line
   that receives nothing leaves the order. The order's total follows.
5. Credit-back (``credit_back``): what live payments of a touched order recorded before the last shortage (or
   substitution) touching it
   took from the household's accounts comes back to them, up to what they paid beyond the total after the shortages,
   account by account in ``ACCOUNT_KINDS`` order (prepaid, then allowance). What is beyond that was paid otherwise
   (cash, cheque…) and stays an overpayment for a coordinator to give back.

Deterministic and order-free: it reads only the set of events, through the canonical order.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sync.chain import sort_key
from sync.events import Event, HandoverEvent, PaymentEvent, ShortageEvent, SubstitutionEvent
from sync.vocabulary import ACCOUNT_KINDS


@dataclass(frozen=True)
class Short:
    """What a shortage left one order of a product: ``ordered``, and ``receives`` (less, maybe 0)."""

    product_id: int
    ordered: int
    receives: int
    shortage_id: str


def share(delivered: int, ordered: dict[int, int]) -> dict[int, int]:
    """``delivered`` units shared among orders (order id → quantity ordered), in proportion, largest remainders
    first, ties to the smaller order id; never more than ordered."""
    total = sum(ordered.values())
    if delivered >= total:
        return dict(ordered)
    given = {order_id: quantity * delivered // total for order_id, quantity in ordered.items()}
    left = delivered - sum(given.values())
    by_remainder = sorted(ordered, key=lambda order_id: (-(ordered[order_id] * delivered % total), order_id))
    for order_id in by_remainder[:left]:
        given[order_id] += 1
    return given


def last_adjustments(live: Iterable[Event]) -> dict[int, Event]:
    """Product id → the last live shortage or substitution naming it, in canonical order: it is the one that counts."""
    last: dict[int, Event] = {}
    for event in sorted((e for e in live if isinstance(e, ShortageEvent | SubstitutionEvent)), key=sort_key):
        last[event.payload.product_id] = event
    return last


def first_given(live: Iterable[Event]) -> dict[int, tuple]:
    """Order id → the sort key of its first hand-over that gave something."""
    found: dict[int, tuple] = {}
    for event in live:
        if isinstance(event, HandoverEvent) and event.payload.outcome != "refused":
            key = sort_key(event)
            order_id = event.payload.order_id
            if order_id not in found or key < found[order_id]:
                found[order_id] = key
    return found


def shortages(orders: Iterable, live: list[Event]) -> dict[int, tuple[Short, ...]]:
    """Order id → what the shortages leave it, for the orders they touch. ``orders`` are ``sync.projection.Order``
    (anything with ``order_id`` and ``lines`` of ``product_id``, ``quantity``); ``live``: the events not voided."""
    last = {
        product_id: event for product_id, event in last_adjustments(live).items() if isinstance(event, ShortageEvent)
    }
    if not last:
        return {}
    given = first_given(live)
    found: dict[int, list[Short]] = {}
    for product_id, shortage in sorted(last.items()):
        cut = sort_key(shortage)
        ordered = {
            order.order_id: line.quantity
            for order in orders
            for line in order.lines
            if line.product_id == product_id and given.get(order.order_id, cut) >= cut
        }
        for order_id, receives in share(shortage.payload.delivered, ordered).items():
            if receives < ordered[order_id]:
                found.setdefault(order_id, []).append(Short(product_id, ordered[order_id], receives, shortage.id))
    return {order_id: tuple(shorts) for order_id, shorts in found.items()}


def shorted(order, shorts: tuple[Short, ...]):
    """``order`` (a ``sync.projection.Order``) with the quantities its shortages leave it, each line priced by its
    ``due_for``; lines left with nothing are dropped."""
    receives = {short.product_id: short.receives for short in shorts}
    lines = []
    for line in order.lines:
        if line.product_id not in receives:
            lines.append(line)
        elif receives[line.product_id] > 0:
            quantity = receives[line.product_id]
            lines.append(replace(line, quantity=quantity, due_cents=line.due_for(quantity)))
    return replace(order, lines=tuple(lines), total_due_cents=sum(line.due_cents for line in lines))


def credit_back(order_id: int, cut_ids: Iterable[str], total_after_cents: int, live: list[Event]) -> dict[str, int]:
    """Account kind → cents the shortages and substitutions give back to the accounts of the order ``order_id``
    (only kinds with something): the live payments for it recorded before the last of ``cut_ids`` (the shortages and
    substitutions that touch it) paid ``before`` in all, ``taken[kind]`` of it from the accounts; ``before −
    total_after_cents`` (when positive) is more than it owes now, given back to the accounts in ``ACCOUNT_KINDS``
    order, never more than each gave. ``live``: the events not voided, any order."""
    wanted = set(cut_ids)
    cuts = [
        sort_key(event) for event in live if event.id in wanted and isinstance(event, ShortageEvent | SubstitutionEvent)
    ]
    if not cuts:
        return {}
    cut = max(cuts)
    before = 0
    taken = dict.fromkeys(ACCOUNT_KINDS, 0)
    for event in {event.id: event for event in live}.values():
        if not isinstance(event, PaymentEvent) or event.payload.order_id != order_id or sort_key(event) >= cut:
            continue
        payment = event.payload
        before += payment.amount_cents
        taken["prepaid"] += payment.from_prepaid_cents
        taken["allowance"] += payment.from_allowance_cents
    excess = before - total_after_cents
    credits = {}
    for kind in ACCOUNT_KINDS:
        cents = min(max(excess, 0), taken[kind])
        if cents > 0:
            credits[kind] = cents
            excess -= cents
    return credits
