"""What the phones recorded about one member's order: collected or not, when, what was taken, what was paid and how.

The member page reads only this member's events, never its distribution's whole log: the hand-overs and payments of
the distribution that name this order (or, for a payment, this household), then the undos that name those events
(and the undos of those undos). Each query is bounded by ``events.distribution_id`` (indexed) and filters on the
payload in the database, so a page costs the same at the first and at the 20,000th event of a day. The figures
come from the one projection (``sync.projection.project``) run on those events alone: a hand-over or payment
counts, is undone or restored exactly as on the admin's log.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from sqlalchemy import func, select

from server.domain.events import projection_order
from server.domain.order_events import order_events, shortage_context
from server.extensions import db
from server.formatting import line_text, unit_price, weight
from server.models import Account, AccountMovement, Order, Product
from sync import membership as rules
from sync import projection
from sync.events import Event, HandoverEvent, PaymentEvent, TopUpEvent

# An order's pick-up as the admin names it (``Collection.pickup``): the projection's status, a refusal told apart
# from nobody coming, and "pending" while the distribution has not ended.
PICKUP_STATUSES: Final = ("collected", "partial", "refused", "not_collected", "pending")


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    sold_by: str = "piece"

    @property
    def text(self) -> str:
        return line_text(self.quantity, self.name, self.sold_by)


@dataclass(frozen=True)
class ShortLine:
    """What a shortage left the order of a product."""

    name: str
    ordered: int
    receives: int
    sold_by: str = "piece"

    @property
    def amounts(self) -> tuple[str, str]:
        """(receives, ordered) in words: "2", "3", or weights."""
        if self.sold_by == "kg":
            return weight(self.receives), weight(self.ordered)
        return str(self.receives), str(self.ordered)


@dataclass(frozen=True)
class SwapLine:
    """A line given as another product, at its price (``sync.substitutions``)."""

    name: str
    by_name: str
    unit_price_cents: int
    sold_by: str = "piece"

    @property
    def price(self) -> str:
        return unit_price(self.unit_price_cents, self.sold_by)


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
    shortages: tuple[ShortLine, ...] = ()  # products a shortage left the order less of (``sync.shortages``)
    expected_due_cents: int = 0  # what the order owes now, before any hand-over: after its shortages
    swaps: tuple[SwapLine, ...] = ()  # lines given as another product (``sync.substitutions``)
    contract_debit_cents: int = 0  # what season contracts paid from the prepaid account took for this basket

    @property
    def adjusted(self) -> bool:
        """A shortage or a substitution changed what the order owes before any hand-over."""
        return bool(self.shortages or self.swaps)

    @property
    def weighed(self) -> bool:
        """A line sold by weight was weighed: what is due is no longer the order's estimate."""
        return any(line.sold_by == "kg" for line in self.received)

    @property
    def handed_over(self) -> bool:
        return self.outcome in ("all", "partial")

    @property
    def still_due_cents(self) -> int:
        return max(0, self.due_cents - self.paid_cents)

    def pickup(self, ended: bool) -> str:
        """One of ``PICKUP_STATUSES``: what the order page and a household's pick-ups say (``ended``: the
        distribution has ended, so an order nobody handed over is not collected rather than pending)."""
        if self.outcome == "all":
            return "collected"
        if self.outcome in ("partial", "refused"):
            return self.outcome
        return "not_collected" if ended else "pending"


def collection_of(order: Order, events: list[Event] | None = None) -> Collection:
    """The state of ``order`` after its member's synced events (``order.lines`` with their products loaded);
    ``events``: those ``member_events`` gives, when the caller has read them already."""
    if events is None:
        events = member_events(order)
    others, context = shortage_context(order, events)
    state = projection.project([projection_order(order)], [*events, *context], others)
    (order_state,) = state.orders
    voided = set(state.voided)
    by_id = {event.id: event for event in events}
    decider = by_id.get(order_state.decided_by) if order_state.decided_by else None

    products = {line.product_id: line.product for line in order.lines}
    given = {swap.product_id: swap.by_product_id for swap in order_state.swaps}
    substitutes = {product_id: db.session.get(Product, product_id) for product_id in sorted(set(given.values()))}
    received = dict(order_state.received)
    # A shortage left the order less of a product: what it did not leave is not "still to collect".
    expected = {line.product_id: line.quantity for line in order.lines} | {
        short.product_id: short.receives for short in order_state.shortages
    }
    named = products | {product: substitutes[by] for product, by in given.items() if substitutes[by] is not None}
    taken = tuple(
        Line(named[product].name, quantity, products[product].sold_by) if product in products else Line("?", quantity)
        for product, quantity in received.items()
        if quantity > 0
    )
    # A weighed line taken is taken, whatever its weight against the estimate.
    left = tuple(
        Line(line.product.name, expected[line.product_id] - received.get(line.product_id, 0), line.product.sold_by)
        for line in order.lines
        if expected[line.product_id] > received.get(line.product_id, 0)
        and not (line.product.sold_by == "kg" and received.get(line.product_id, 0) > 0)
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
        shortages=tuple(
            ShortLine(products[s.product_id].name, s.ordered, s.receives, products[s.product_id].sold_by)
            for s in order_state.shortages
            if s.product_id in products
        ),
        expected_due_cents=order_state.due_cents,
        contract_debit_cents=_contract_debit(order),
        swaps=tuple(
            SwapLine(
                products[w.product_id].name, named[w.product_id].name, w.unit_price_cents, named[w.product_id].sold_by
            )
            for w in order_state.swaps
            if w.product_id in products
        ),
    )


def _contract_debit(order: Order) -> int:
    """What the household's prepaid account was debited at the order's distribution for its season contracts paid
    from it (``server.domain.contract_debits``: posted after sync, for what was handed over); one indexed read."""
    return -int(
        db.session.scalar(
            select(func.coalesce(func.sum(AccountMovement.amount_cents), 0))
            .join(Account, Account.id == AccountMovement.account_id)
            .where(
                AccountMovement.distribution_id == order.distribution_id,
                AccountMovement.kind == "contract_debit",
                Account.household_id == order.household_id,
            )
        )
        or 0
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
    undos and decisions that name them (``server.domain.order_events``)."""
    return [item.event for item in order_events(order)]
