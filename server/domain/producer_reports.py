"""Per-producer reports: what to deliver, what was handed over or refused, what is owed to each producer and the
solidarity share the network paid, for one distribution or a period (``docs/producers.md``, "Reports").

A distribution's report reads its orders (the "bon de commande": ready as soon as orders close, before the day) and
its synced events, projected once by ``sync.projection`` as the distribution log is, so a hand-over voided at the
point, or a partial one, counts as the log says; so do the extras sold at the point (``sale`` events that are not
voided), counted apart as "sold as extras". Every product of the report is priced by the order line's own unit
price (the price agreed when the order was taken) and by ``sync.pricing``, the one rule: what the producer is owed is
the full price of what was handed over; the network's solidarity share is that full price less what the members
owed for it at their orders' share. A period's report reads its distributions one by one, never the whole network.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.domain.events import distribution_events, projection_orders
from server.extensions import db
from server.models import Distribution, Extra, Order, OrderLine, Point, Producer, Product
from sync import projection
from sync.events import Event, Sale, SaleEvent
from sync.pricing import line_due_cents, line_full_cents

MAX_PERIOD_DAYS = 93  # a quarter: a producer's season report, read distribution by distribution


@dataclass
class ProductFigures:
    """One product at one distribution (or summed over a period). Quantities in the order's unit (grams for a
    product sold by weight)."""

    product_id: int
    code: str
    name: str
    unit: str
    sold_by: str
    ordered: int = 0
    ordered_cents: int = 0  # the full price of what was ordered: the "bon de commande"'s amount
    handed_over: int = 0
    short: int = 0  # not delivered by the producer (a shortage recorded at the point): neither handed nor owed
    refused: int = 0  # refused at the point, or left in a partial hand-over
    waiting: int = 0  # no hand-over recorded (yet): not collected
    sold_extra: int = 0  # pieces sold at the point as extras (sale events), outside the orders
    substituted_in: int = 0  # given in place of another product ordered (a substitution): beyond ``ordered``
    due_cents: int = 0  # owed to the producer: the full price of what was handed over and sold as extras
    solidarity_cents: int = 0  # the part of that full price the network paid for its members

    def add(self, other: "ProductFigures") -> None:
        for name in (
            "ordered",
            "ordered_cents",
            "handed_over",
            "short",
            "refused",
            "waiting",
            "sold_extra",
            "substituted_in",
            "due_cents",
            "solidarity_cents",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ProducerReport:
    """One producer's figures: by product, and their totals."""

    producer_id: int | None
    products: dict[int, ProductFigures] = field(default_factory=dict)

    def rows(self) -> list[ProductFigures]:
        return sorted(self.products.values(), key=lambda row: (row.name.lower(), row.product_id))

    def total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.products.values())


@dataclass
class DistributionReport:
    distribution: Distribution
    producers: dict[int | None, ProducerReport]  # producer id (None: products without a producer) → report
    orders: int


def distribution_report(distribution: Distribution) -> DistributionReport:
    """Every producer's figures at ``distribution``: its orders, its events read once and projected once, the
    products named (four queries)."""
    orders = projection_orders(distribution.id)
    events = [item.event for item in distribution_events(distribution.id, keep=False)]
    state = projection.project(orders, events)
    by_order = {order.order_id: order for order in orders}
    product_ids = {line.product_id for order in orders for line in order.lines}
    product_ids |= {product_id for order_state in state.orders for product_id, _quantity in order_state.received}
    product_ids |= {swap.by_product_id for order_state in state.orders for swap in order_state.swaps}
    sales = _unique_sales(events, frozenset(state.voided))
    product_ids |= {line.product_id for sale in sales for line in sale.lines}
    products = (
        {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(sorted(product_ids))))}
        if product_ids
        else {}
    )
    reports: dict[int | None, ProducerReport] = {}

    def figures(product_id: int) -> ProductFigures:
        product = products[product_id]
        report = reports.setdefault(product.producer_id, ProducerReport(product.producer_id))
        if product_id not in report.products:
            report.products[product_id] = ProductFigures(
                product_id, product.code, product.name, product.unit, product.sold_by
            )
        return report.products[product_id]

    for order_state in state.orders:
        order = by_order[order_state.order_id]
        received = dict(order_state.received)
        shorts = {item.product_id: item.receives for item in order_state.shortages}
        swaps = {swap.product_id: swap for swap in order_state.swaps}
        shares = {line.share_percent for line in order.lines if line.share_percent is not None}
        share = shares.pop() if len(shares) == 1 else 100
        for line in order.lines:
            row = figures(line.product_id)
            price = (
                line.unit_price_cents
                if line.unit_price_cents is not None
                else products[line.product_id].unit_price_cents
            )
            row.ordered += line.quantity
            row.ordered_cents += line_full_cents(line.quantity, price, line.sold_by)
            expected = shorts.get(line.product_id, line.quantity)  # what the producer delivered for this order
            row.short += line.quantity - expected
            swap = swaps.get(line.product_id)
            if swap is not None:  # given as another product: not delivered by this producer, owed to the other
                row.short += expected
                row = figures(swap.by_product_id)
                row.substituted_in += expected
                price = swap.unit_price_cents
            if order_state.decided_by is None:
                row.waiting += expected
                continue
            taken = received.get(line.product_id, 0)
            line_share = line.share_percent if line.share_percent is not None else share
            _handed(row, taken, price, line_share, line.sold_by)
            # A weighed line handed over is not "left" for weighing less than its estimate.
            row.refused += (0 if taken else expected) if line.sold_by == "kg" else max(0, expected - taken)
        ordered_ids = {line.product_id for line in order.lines}
        for product_id, taken in received.items():  # listed though not ordered (a note, older phones)
            if product_id not in ordered_ids and product_id in products:
                product = products[product_id]
                _handed(figures(product_id), taken, product.unit_price_cents, share, product.sold_by)
    for sale in sales:
        for line in sale.lines:
            if line.product_id in products:
                _sold(figures(line.product_id), line.sold, line.unit_price_cents, sale.share_percent, line.sold_by)
    return DistributionReport(distribution, reports, len(orders))


def _unique_sales(events: Iterable[Event], voided: frozenset[str]) -> list[Sale]:
    """The live sales of extras among ``events``, each once (the projection's voids: a voided sale sold nothing)."""
    found: dict[str, Sale] = {}
    for event in events:
        if isinstance(event, SaleEvent) and event.id not in voided:
            found.setdefault(event.id, event.payload)
    return list(found.values())


def _sold(row: ProductFigures, quantity: int, price: int, share: int, sold_by: str = "piece") -> None:
    """Extras sold at the point are owed to the producer at their full price, like what was handed over; the
    network's solidarity share is what a member at a tier below 100 % did not pay of it (an anonymous buyer pays
    it all). A line sold by weight counts grams at a price per kg."""
    full = line_full_cents(quantity, price, sold_by)
    row.sold_extra += quantity
    row.due_cents += full
    row.solidarity_cents += full - line_due_cents(quantity, price, share, sold_by)


def _handed(row: ProductFigures, quantity: int, price: int, share: int, sold_by: str = "piece") -> None:
    """What was handed over is owed to the producer at its full price (a weighed line by its weight); the network's
    solidarity share is what the member's tier does not pay of it: at the point, or for a line paid in advance by
    the season's cheques, which pay the tier's share too (``server.domain.cheque_calendar``)."""
    full = line_full_cents(quantity, price, sold_by)
    row.handed_over += quantity
    row.due_cents += full
    row.solidarity_cents += full - line_due_cents(quantity, price, share, sold_by)


@dataclass
class PeriodRow:
    distribution: Distribution
    report: ProducerReport


@dataclass
class PeriodReport:
    producer: Producer
    start: date
    end: date
    rows: list[PeriodRow]  # one per distribution where the producer had orders, by date
    totals: ProducerReport


def period_report(
    producer: Producer, start: date, end: date, timezone: ZoneInfo, point_allowed: Callable[[object], object]
) -> PeriodReport:
    """``producer``'s figures at each distribution of ``start``–``end`` (local dates, included) where their products
    were ordered or offered as extras, among the points ``point_allowed`` (a SQL condition on a point id column) lets
    the reader see; at most ``MAX_PERIOD_DAYS`` days. One query finds the distributions (by the products' indexes),
    then each is read alone."""
    end = min(end, start + timedelta(days=MAX_PERIOD_DAYS - 1))
    since = datetime.combine(start, time.min, timezone)
    until = datetime.combine(end + timedelta(days=1), time.min, timezone)
    with_orders = (
        select(Order.distribution_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Product.producer_id == producer.id)
    )
    with_extras = (
        select(Extra.distribution_id)
        .join(Product, Product.id == Extra.product_id)
        .where(Product.producer_id == producer.id)
    )
    distributions = db.session.scalars(
        select(Distribution)
        .join(Point, Point.id == Distribution.point_id)
        .where(
            Distribution.starts_at >= since,
            Distribution.starts_at < until,
            Distribution.id.in_(with_orders) | Distribution.id.in_(with_extras),
            point_allowed(Distribution.point_id),
        )
        .order_by(Distribution.starts_at, Distribution.id)
    ).all()
    totals = ProducerReport(producer.id)
    rows = []
    for distribution in distributions:
        report = distribution_report(distribution).producers.get(producer.id, ProducerReport(producer.id))
        rows.append(PeriodRow(distribution, report))
        _sum_into(totals, report.products.values())
    return PeriodReport(producer, start, end, rows, totals)


def _sum_into(totals: ProducerReport, rows: Iterable[ProductFigures]) -> None:
    for row in rows:
        if row.product_id not in totals.products:
            totals.products[row.product_id] = ProductFigures(row.product_id, row.code, row.name, row.unit, row.sold_by)
        totals.products[row.product_id].add(row)


def producers_named(ids: Iterable[int | None]) -> dict[int, Producer]:
    wanted = sorted({i for i in ids if i is not None})
    return {p.id: p for p in db.session.scalars(select(Producer).where(Producer.id.in_(wanted)))} if wanted else {}
