"""The one projection: a distribution's orders and synced events in, its state out.

``project`` is pure and deterministic: the events are deduplicated by id and put in canonical order
(``sync.chain.sort_key``) first, and every rule below reads them so that the same set of events, in any arrival order
and with any repeats, gives an equal state. The rules are written down in ``docs/sync-protocol.md``, "Projection".
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from sync.chain import unique
from sync.events import (
    CashCountEvent,
    ConflictResolvedEvent,
    Event,
    HandoverEvent,
    PaymentEvent,
    SaleEvent,
    ScanRefusedEvent,
    TopUpEvent,
    VoidEvent,
)
from sync.pricing import WEIGHED, line_due_cents
from sync.shortages import Short, credit_back
from sync.substitutions import Swap, adjust, at_handover, handover_swaps
from sync.vocabulary import PAYMENT_METHODS, TOP_UP_METHODS

COLLECTED: Final = "collected"
PARTIALLY_COLLECTED: Final = "partially_collected"
NOT_COLLECTED: Final = "not_collected"
ORDER_STATUSES: Final = (COLLECTED, PARTIALLY_COLLECTED, NOT_COLLECTED)

# Which hand-over decides an order's status when there are several: the highest outcome, then the earliest.
_OUTCOME_RANK: Final = {"refused": 1, "partial": 2, "all": 3}
_STATUS: Final = {"all": COLLECTED, "partial": PARTIALLY_COLLECTED, "refused": NOT_COLLECTED}


# What the server knows before the distribution


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int
    due_cents: int  # at the member's tier (``sync.pricing.line_due_cents``)
    unit_price_cents: int | None = None  # with ``share_percent``: what part of the line costs (a partial hand-over)
    share_percent: int | None = None
    sold_by: str = "piece"  # "kg": ``quantity`` is an estimate in grams, the hand-over's weight says what was taken
    paid_in_advance: bool = False  # due 0 at the point, whatever is taken (``sync.pricing``)
    by_product_id: int | None = None  # given as this product, at ``unit_price_cents`` (``sync.substitutions``)

    @property
    def weighed(self) -> bool:
        return self.sold_by == WEIGHED

    def due_for(self, taken: int) -> int:
        """What ``taken`` of the line costs: the pricing rule when the line says its price, else its share of the
        line's due (rounded down: never more than the phone asked). A weighed line may weigh more than its
        estimate: its weight is priced as it is."""
        taken = max(0, taken if self.weighed else min(taken, self.quantity))
        if self.paid_in_advance:
            return 0
        if taken == self.quantity:
            return self.due_cents
        if self.unit_price_cents is not None and self.share_percent is not None:
            return line_due_cents(taken, self.unit_price_cents, self.share_percent, self.sold_by)
        return self.due_cents * taken // self.quantity if self.quantity else 0


@dataclass(frozen=True)
class Order:
    order_id: int
    household_id: int
    lines: tuple[OrderLine, ...]
    total_due_cents: int


# What the events make of it


@dataclass(frozen=True)
class OrderState:
    """An order after the distribution: ``decided_by`` is the hand-over that set ``status`` (None: nobody came),
    ``received`` the (product id, quantity) pairs the member took."""

    order_id: int
    household_id: int
    status: str
    outcome: str | None
    decided_by: str | None
    received: tuple[tuple[int, int], ...]
    due_cents: int
    paid_cents: int
    handover_ids: tuple[str, ...]
    payment_ids: tuple[str, ...]
    shortages: tuple[Short, ...] = ()  # what shortages left it of each product short (``sync.shortages``)
    swaps: tuple[Swap, ...] = ()  # its lines given as another product, priced (``sync.substitutions``)


@dataclass(frozen=True)
class HouseholdMoves:
    """What a household paid, and what left its accounts, at this distribution."""

    household_id: int
    paid_cents: int
    prepaid_cents: int
    allowance_cents: int
    solidarity_cents: int
    topped_up_cents: int = 0  # credited to its prepaid account at the point (top-ups)


@dataclass(frozen=True)
class CashBox:
    """One device's cash box: expected = the last opening float + the cash payments and cash top-ups it recorded;
    counted = its last closing count. ``difference_cents`` is counted − expected (negative: missing money).

    What the device recorded after its closing count (in its own order) cannot be in that count:
    ``after_count_events`` lists those hand-overs, payments and top-ups, ``after_count_cents`` their cash, and the
    ``at_count`` figures compare the count with what was expected when it was made. The log and the phone's Caisse
    screen show these (the vectors hold both, for ``pwa/src/projection.js``)."""

    device_id: str
    opening_cents: int | None
    opening_event: str | None
    cash_payments_cents: int
    expected_cents: int
    counted_cents: int | None
    closing_event: str | None
    difference_cents: int | None
    after_count_cents: int = 0
    after_count_events: tuple[str, ...] = ()
    cash_top_ups_cents: int = 0  # cash handed over to credit a prepaid account (in expected_cents)

    @property
    def counted(self) -> bool:
        return self.counted_cents is not None

    @property
    def expected_at_count_cents(self) -> int:
        return self.expected_cents - self.after_count_cents

    @property
    def difference_at_count_cents(self) -> int | None:
        return self.counted_cents - self.expected_at_count_cents if self.counted_cents is not None else None


@dataclass(frozen=True)
class Totals:
    orders: int
    collected: int
    partially_collected: int
    not_collected: int
    due_cents: int
    paid_cents: int
    by_method: tuple[tuple[str, int], ...]  # every payment method, in the vocabulary's order
    prepaid_cents: int
    allowance_cents: int
    solidarity_cents: int
    cash_expected_cents: int  # over the counted boxes, when they were counted: comparable with the next one
    cash_counted_cents: int
    cash_not_counted_cents: int = 0  # expected in the boxes nobody counted
    cash_after_count_cents: int = 0  # cash recorded after a phone's closing count
    top_ups_cents: int = 0  # credited to prepaid accounts at the point: money in, not a payment (not in paid_cents)
    top_ups_by_method: tuple[tuple[str, int], ...] = ()  # every top-up method, in the vocabulary's order

    @property
    def cash_difference_cents(self) -> int:
        return self.cash_counted_cents - self.cash_expected_cents

    @property
    def collected_by_method(self) -> tuple[tuple[str, int], ...]:
        """The money that came in, by method: what payments left to a method plus the top-ups (the accounts'
        shares moved money already in, so they are not here)."""
        top_ups = dict(self.top_ups_by_method)
        return tuple(
            (method, cents + top_ups.get(method, 0)) for method, cents in self.by_method if method in TOP_UP_METHODS
        )


@dataclass(frozen=True)
class DistributionState:
    orders: tuple[OrderState, ...]  # by order id
    households: tuple[HouseholdMoves, ...]  # by household id
    cash: tuple[CashBox, ...]  # by device id
    totals: Totals
    scan_refusals: tuple[tuple[str, int], ...]  # reason, count
    voided: tuple[str, ...]  # ids of the events that are voided
    event_count: int  # distinct events, voided ones included


def void_target(event: Event) -> str | None:
    """The id of the event ``event`` voids, if it voids one: a void, or a resolution with the ``void_event``
    action."""
    if isinstance(event, VoidEvent):
        return event.payload.event_id
    if isinstance(event, ConflictResolvedEvent) and event.payload.action == "void_event":
        return event.payload.event_id
    return None


def voided_ids(events: Iterable[Event], resolutions: bool = True) -> frozenset[str]:
    """The ids of the events that are voided: an event is voided when a void that is not itself voided names it,
    so a void of a void restores. Voids that name each other in a circle (only forged events can) have no effect.
    With ``resolutions=False`` only the devices' voids count (what conflict detection reads)."""
    events = list(events)
    ids = {event.id for event in events}
    targets: dict[str, str] = {}
    for event in events:
        target = void_target(event)
        if target in ids and (resolutions or isinstance(event, VoidEvent)):
            targets[event.id] = target
    return voided_among(targets)


def voided_among(targets: Mapping[str, str]) -> frozenset[str]:
    """The ids voided, given each void's target (void id → the id it names, both among the events read): a void
    counts unless a void that counts names it, and voids that name each other in a circle have no effect. The
    projection reads it through ``voided_ids``; the ledger (``server/domain/ledger_events.py``) on a payment's own
    voids."""
    # Voids whose chain of targets comes back to them are inert.
    circular: set[str] = set()
    done: set[str] = set()
    for start in targets:
        path: dict[str, int] = {}  # node → its position on this walk
        node = start
        while node in targets and node not in done and node not in path:
            path[node] = len(path)
            node = targets[node]
        if node in path:
            circular.update(list(path)[path[node] :])
        done.update(path)
    voiders: dict[str, list[str]] = defaultdict(list)
    for void, target in targets.items():
        if void not in circular:
            voiders[target].append(void)
    # A void settles once every void naming it has: walk from the voids nobody voids. Only the events a void names
    # or that void one take part, so the walk is as long as the voids, not the log.
    involved = set(targets) | set(targets.values())
    waiting = {node: len(voiders.get(node, ())) for node in involved}
    ready = [node for node, count in waiting.items() if count == 0]
    voided: set[str] = set()
    while ready:
        node = ready.pop()
        target = targets.get(node)
        if target is None or node in circular:
            continue
        if node not in voided:
            voided.add(target)
        waiting[target] -= 1
        if waiting[target] == 0:
            ready.append(target)
    return frozenset(voided)


def project(orders: Iterable[Order], events: Iterable[Event], others: Iterable[Order] = ()) -> DistributionState:
    """The state of a distribution with ``orders`` after ``events`` (any order, any repeats). ``others``: orders of
    the distribution that are not projected but that its shortages are shared among too (one order's page)."""
    by_order = {order.order_id: order for order in orders}
    ordered = unique(events)
    voided = voided_ids(ordered)
    live = [event for event in ordered if event.id not in voided]

    deciders: dict[int, HandoverEvent] = {}
    handovers: dict[int, list[str]] = defaultdict(list)
    payments: dict[int, list[str]] = defaultdict(list)
    paid: dict[int, int] = defaultdict(int)
    moves: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_method: dict[str, int] = dict.fromkeys(PAYMENT_METHODS, 0)
    solidarity = 0
    cash_payments: dict[str, int] = defaultdict(int)
    recorded: dict[str, list[tuple[int, str, int]]] = defaultdict(
        list
    )  # device → (seq, id, cash) of its hand-overs and payments
    counts: dict[tuple[str, str], CashCountEvent] = {}
    refusals: dict[str, int] = defaultdict(int)
    top_ups = _TopUps()

    for event in live:
        if isinstance(event, HandoverEvent) and event.payload.order_id in by_order:
            order_id = event.payload.order_id
            handovers[order_id].append(event.id)
            recorded[event.device_id].append((event.seq, event.id, 0))
            current = deciders.get(order_id)
            if current is None or _OUTCOME_RANK[event.payload.outcome] > _OUTCOME_RANK[current.payload.outcome]:
                deciders[order_id] = event
        elif isinstance(event, PaymentEvent | SaleEvent):  # a sale of extras is paid as a payment is, no order
            payment = event.payload
            order = by_order.get(payment.order_id) if payment.order_id is not None else None
            if order is not None:
                payments[order.order_id].append(event.id)
                paid[order.order_id] += payment.amount_cents
            by_method[payment.method] += payment.rest_cents
            by_method["prepaid"] += payment.from_prepaid_cents
            by_method["allowance"] += payment.from_allowance_cents
            solidarity += payment.solidarity_cents
            if payment.method == "cash":
                cash_payments[event.device_id] += payment.rest_cents
            recorded[event.device_id].append(
                (event.seq, event.id, payment.rest_cents if payment.method == "cash" else 0)
            )
            household_id = payment.household_id or (order.household_id if order is not None else None)
            if household_id is not None:
                row = moves[household_id]
                row[0] += payment.amount_cents
                row[1] += payment.from_prepaid_cents
                row[2] += payment.from_allowance_cents
                row[3] += payment.solidarity_cents
        elif isinstance(event, CashCountEvent):
            slot = (event.device_id, event.payload.kind)
            current = counts.get(slot)
            if current is None or (event.seq, event.id) > (current.seq, current.id):
                counts[slot] = event  # the device's last count of this kind, in its own recording order
        elif isinstance(event, ScanRefusedEvent):
            refusals[event.payload.reason] += 1
        elif isinstance(event, TopUpEvent):
            top_ups.add(event, recorded)

    adjusted = adjust(by_order.values(), live, [o for o in others if o.order_id not in by_order])
    # What a shortage or a substitution gave back to the accounts that had paid for it is no longer paid, from them
    # or at all.
    for order_id, changed in adjusted.items():
        order = by_order[order_id]
        back = credit_back(order_id, changed.cut_ids, changed.order.total_due_cents, live)
        if not back:
            continue
        row = moves[order.household_id]
        for column, kind in ((1, "prepaid"), (2, "allowance")):
            cents = back.get(kind, 0)
            by_method[kind] -= cents
            paid[order_id] -= cents
            row[0] -= cents
            row[column] -= cents
    order_states = tuple(
        _order_state(
            adjusted[order.order_id].order if order.order_id in adjusted else order,
            deciders.get(order.order_id),
            handovers,
            payments,
            paid,
            adjusted[order.order_id].shorts if order.order_id in adjusted else (),
            adjusted[order.order_id].swaps if order.order_id in adjusted else (),
        )
        for order in sorted(by_order.values(), key=lambda order: order.order_id)
    )
    cash = tuple(
        _cash_box(device, counts, cash_payments, recorded.get(device, []), top_ups.cash.get(device, 0))
        for device in sorted({d for d, _ in counts} | set(cash_payments) | set(top_ups.cash))
    )
    statuses = [state.status for state in order_states]
    totals = Totals(
        orders=len(order_states),
        collected=statuses.count(COLLECTED),
        partially_collected=statuses.count(PARTIALLY_COLLECTED),
        not_collected=statuses.count(NOT_COLLECTED),
        due_cents=sum(state.due_cents for state in order_states),
        paid_cents=sum(by_method.values()),
        by_method=tuple(by_method.items()),
        prepaid_cents=by_method["prepaid"],
        allowance_cents=by_method["allowance"],
        solidarity_cents=solidarity,
        cash_expected_cents=sum(box.expected_at_count_cents for box in cash if box.counted),
        cash_counted_cents=sum(box.counted_cents or 0 for box in cash),
        cash_not_counted_cents=sum(box.expected_cents for box in cash if not box.counted),
        cash_after_count_cents=sum(box.after_count_cents for box in cash),
        top_ups_cents=sum(top_ups.by_method.values()),
        top_ups_by_method=tuple(top_ups.by_method.items()),
    )
    return DistributionState(
        orders=order_states,
        households=_households(moves, top_ups.households),
        cash=cash,
        totals=totals,
        scan_refusals=tuple(sorted(refusals.items())),
        voided=tuple(sorted(voided)),
        event_count=len(ordered),
    )


class _TopUps:
    """What the live top-ups add up to: by method, in each device's cash box, and per household."""

    def __init__(self) -> None:
        self.by_method: dict[str, int] = dict.fromkeys(TOP_UP_METHODS, 0)
        self.cash: dict[str, int] = defaultdict(int)
        self.households: dict[int, int] = defaultdict(int)

    def add(self, event: TopUpEvent, recorded: dict[str, list[tuple[int, str, int]]]) -> None:
        top_up = event.payload
        self.by_method[top_up.method] += top_up.amount_cents
        self.households[top_up.household_id] += top_up.amount_cents
        cash = top_up.amount_cents if top_up.method == "cash" else 0
        if cash:
            self.cash[event.device_id] += cash
        recorded[event.device_id].append((event.seq, event.id, cash))


def _households(moves: dict[int, list[int]], topped_up: dict[int, int]) -> tuple[HouseholdMoves, ...]:
    return tuple(
        HouseholdMoves(household, *moves.get(household, (0, 0, 0, 0)), topped_up_cents=topped_up.get(household, 0))
        for household in sorted(set(moves) | set(topped_up))
    )


def handover_received(order: Order, handover: HandoverEvent | None) -> tuple[tuple[int, int], ...]:
    """What a hand-over gave of ``order``, as (product id, quantity) pairs by product: every line for "all", the
    listed lines for "partial", nothing for a refusal or no hand-over; a weighed line counts the grams weighed; a
    line given as another product (``substituted``) counts what was given of it."""
    outcome = handover.payload.outcome if handover is not None else None
    if outcome == "all":
        received = {line.product_id: line.quantity for line in order.lines}
    elif outcome == "partial":
        received = {line.product_id: line.quantity_received for line in handover.payload.lines}
    else:
        return ()
    weighed = {line.product_id for line in order.lines if line.weighed}
    for product_id, grams in handover.payload.weights().items():
        if product_id in weighed and product_id in received:
            received[product_id] = grams
    held = {line.product_id for line in order.lines}
    for product_id, item in handover.payload.swaps().items():
        if product_id in held:
            received[product_id] = item.quantity
    return tuple(sorted(received.items()))


@dataclass(frozen=True)
class LineOutcome:
    """One line of an order after the distribution: ``ordered`` (grams for a weighed line: the estimate),
    ``received`` (grams weighed for a weighed line) and what the member owes for it at the order's share."""

    product_id: int
    ordered: int
    received: int
    due_cents: int
    sold_by: str = "piece"
    short_to: int | None = None  # a shortage left the order this much of the product (None: no shortage)
    by_product_id: int | None = None  # received as this product (a substitution; None: as ordered)
    unit_price_cents: int | None = None  # the substitute's full price, ``received`` is priced at (None: the line's)


def line_outcomes(order: Order, events: Iterable[Event], others: Iterable[Order] = ()) -> tuple[LineOutcome, ...]:
    """What each line of ``order`` gave and costs after the distribution's ``events`` (any order, any repeats;
    events of other orders are ignored), by the projection's rules: shortages, the deciding hand-over (none, a
    refusal: nothing received, nothing due), partial quantities and weights. The reports per producer read this.
    ``others``: the distribution's other orders a shortage is shared among too (with their hand-overs in
    ``events``); without them a shortage is shared as if ``order`` were the only one."""
    events = unique(events)
    others = [other for other in others if other.order_id != order.order_id]
    (state,) = project([order], events, others).orders
    decider = next((e for e in events if e.id == state.decided_by), None)
    handover = decider if isinstance(decider, HandoverEvent) else None
    voided = voided_ids(events)
    changed = adjust([order], [event for event in events if event.id not in voided], others).get(order.order_id)
    adjusted = at_handover(changed.order if changed is not None else order, handover)
    received = dict(handover_received(adjusted, handover))
    priced = {line.product_id: line for line in adjusted.lines}
    short = {item.product_id: item.receives for item in state.shortages}
    outcomes = []
    for line in order.lines:
        now = priced.get(line.product_id, line)
        taken = received.get(line.product_id, 0)
        outcomes.append(
            LineOutcome(
                line.product_id,
                line.quantity,
                taken,
                now.due_for(taken),
                line.sold_by,
                short.get(line.product_id),
                now.by_product_id,
                now.unit_price_cents if now.by_product_id else None,
            )
        )
    return tuple(outcomes)


def handover_due_cents(order: Order, handover: HandoverEvent | None) -> int:
    """What ``order`` costs after ``handover`` (None: nobody came yet, the whole order): the rule of ``_due``."""
    outcome = handover.payload.outcome if handover is not None else None
    order = at_handover(order, handover)
    return _due(order, outcome, handover_received(order, handover))


def _order_state(
    order: Order,
    decider: HandoverEvent | None,
    handovers: dict[int, list[str]],
    payments: dict[int, list[str]],
    paid: dict[int, int],
    shorts: tuple[Short, ...] = (),
    swaps: tuple[Swap, ...] = (),
) -> OrderState:
    """The state of ``order`` (with what shortages and substitutions left it, ``shorts`` and ``swaps``) after its
    deciding hand-over (whose own substitutions replace those of the day for its lines)."""
    outcome = decider.payload.outcome if decider is not None else None
    at_point = handover_swaps(order, decider)
    if at_point:
        mine = {swap.product_id for swap in at_point}
        swaps = (*(swap for swap in swaps if swap.product_id not in mine), *at_point)
        order = at_handover(order, decider)
    received = handover_received(order, decider)
    return OrderState(
        order_id=order.order_id,
        household_id=order.household_id,
        status=_STATUS[outcome] if outcome is not None else NOT_COLLECTED,
        outcome=outcome,
        decided_by=decider.id if decider is not None else None,
        received=received,
        due_cents=_due(order, outcome, received),
        paid_cents=paid.get(order.order_id, 0),
        handover_ids=tuple(handovers.get(order.order_id, ())),
        payment_ids=tuple(payments.get(order.order_id, ())),
        shortages=shorts,
        swaps=tuple(sorted(swaps, key=lambda swap: swap.product_id)),
    )


def _due(order: Order, outcome: str | None, received: tuple[tuple[int, int], ...]) -> int:
    """What the order costs: all of it, but for a partial hand-over only what was handed over, and for a weighed
    line the weight handed over (``sync.pricing``)."""
    taken = dict(received)
    whole = all(taken.get(line.product_id) == line.quantity for line in order.lines)
    if outcome not in ("all", "partial") or (outcome == "all" and whole):
        return order.total_due_cents
    return sum(line.due_for(taken.get(line.product_id, 0)) for line in order.lines)


def _cash_box(
    device_id: str,
    counts: dict[tuple[str, str], CashCountEvent],
    cash_payments: dict[str, int],
    recorded: list[tuple[int, str, int]],
    cash_top_ups: int = 0,
) -> CashBox:
    opening = counts.get((device_id, "opening"))
    closing = counts.get((device_id, "closing"))
    opening_cents = opening.payload.total_cents if opening is not None else None
    expected = (opening_cents or 0) + cash_payments.get(device_id, 0) + cash_top_ups
    counted = closing.payload.total_cents if closing is not None else None
    after = [item for item in recorded if closing is not None and item[:2] > (closing.seq, closing.id)]
    return CashBox(
        device_id=device_id,
        opening_cents=opening_cents,
        opening_event=opening.id if opening is not None else None,
        cash_payments_cents=cash_payments.get(device_id, 0),
        expected_cents=expected,
        counted_cents=counted,
        closing_event=closing.id if closing is not None else None,
        difference_cents=counted - expected if counted is not None else None,
        after_count_cents=sum(cents for _seq, _id, cents in after),
        after_count_events=tuple(event_id for _seq, event_id, _cents in sorted(after)),
        cash_top_ups_cents=cash_top_ups,
    )
