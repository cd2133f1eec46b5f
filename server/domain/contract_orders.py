"""The orders season contracts generate, distribution by distribution (docs/contracts.md, "Generation").

``generate_distribution`` makes the contract lines of one distribution's orders what its point's contracts say,
and is idempotent: run twice, the second run changes nothing. It reads one distribution's contracts, their
subscriptions and absences, its orders and its hand-over and payment events, never the network. An order the phones
already handed over or took a payment for is left alone, whatever the contracts say now; a closed distribution too.
Only the contracts' own lines change (``OrderLine.contract_id``): an imported line stays, and a contract line for a
product the order already has from the import is not added. An order left with no line is removed.

``regenerate_contract`` runs it on every distribution a contract delivers at, or has lines in (after a change of
its dates, products, frequency or subscribers); ``regenerate_calendar`` on the deliveries of the contracts a new or
moved distribution falls in (a fortnightly contract or a shared basket counts its deliveries).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from server.audit import record
from server.clock import utcnow
from server.domain.cheque_calendar import plan_contract
from server.domain.orders_close import closes_at, orders_closed
from server.extensions import db
from server.models import (
    Absence,
    Contract,
    Distribution,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Subscription,
    SyncedEvent,
    Tier,
    contract_dates,
)

# The contracts whose lines are due 0 at the point: paid by cheques before the season, or debited from the prepaid
# account for what is handed over (``server.domain.contract_debits``).
ADVANCE = ("cheques", "prepaid")


class Wanted(NamedTuple):
    """One line a contract wants on a household's order."""

    quantity: int
    unit_price_cents: int
    contract_id: int
    paid_in_advance: bool


@dataclass
class Generated:
    """What a generation did, in orders: created, changed, removed (no line left), left alone because already
    handed over or paid at the point, and lines not added because the order has the product from the import."""

    created: int = 0
    changed: int = 0
    removed: int = 0
    handed_over: int = 0
    imported_kept: int = 0
    cheques: int = 0  # expected cheques of the season's calendar created, changed or removed
    # The distributions whose orders had closed and changed all the same (an admin's change: the producer's order
    # form was already sent).
    after_close: list[int] = field(default_factory=list)

    def add(self, other: "Generated") -> "Generated":
        for name in ("created", "changed", "removed", "handed_over", "imported_kept", "cheques"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.after_close += other.after_close
        return self

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.removed


# The calendar ----------------------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(NetworkSettings.current().timezone)


def local_day(distribution: Distribution) -> date:
    """The distribution's date where the network is (a contract's dates are local)."""
    return distribution.starts_at.astimezone(_zone()).date()


def _bounds(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    zone = _zone()
    return (
        datetime.combine(starts_on, time(), zone),
        datetime.combine(ends_on + timedelta(days=1), time(), zone),
    )


def season_distributions(point_id: int, starts_on: date, ends_on: date) -> list[Distribution]:
    """The point's distributions from ``starts_on`` to ``ends_on`` (local dates, included), by start (indexed)."""
    low, high = _bounds(starts_on, ends_on)
    return list(
        db.session.scalars(
            select(Distribution)
            .where(Distribution.point_id == point_id, Distribution.starts_at >= low, Distribution.starts_at < high)
            .order_by(Distribution.starts_at, Distribution.id)
        )
    )


def deliveries(contract: Contract) -> list[Distribution]:
    """The distributions the contract delivers at, in order: every one of its point within its dates, every other
    week counted from the week of ``starts_on`` (fortnightly), or the chosen ones within its dates."""
    season = season_distributions(contract.point_id, contract.starts_on, contract.ends_on)
    if contract.frequency == "chosen":
        chosen = set(
            db.session.scalars(
                select(contract_dates.c.distribution_id).where(contract_dates.c.contract_id == contract.id)
            )
        )
        return [d for d in season if d.id in chosen]
    if contract.frequency == "fortnightly":
        first_monday = contract.starts_on - timedelta(days=contract.starts_on.weekday())
        return [d for d in season if (local_day(d) - first_monday).days // 7 % 2 == 0]
    return season


# One distribution ------------------------------------------------------------------------------------------------


class RunCache:
    """What one run reads once for all the distributions it goes through: each contract's deliveries (distribution
    ids, in order) and its subscriptions with their quantities (a season's generation reads them once per contract,
    not once per distribution)."""

    def __init__(self) -> None:
        self.seasons: dict[int, list[int]] = {}
        self.subscriptions: dict[int, list[Subscription]] = {}

    def deliveries(self, contract: Contract) -> list[int]:
        if contract.id not in self.seasons:
            self.seasons[contract.id] = [d.id for d in deliveries(contract)]
        return self.seasons[contract.id]

    def subscribers(self, contract: Contract) -> list[Subscription]:
        if contract.id not in self.subscriptions:
            self.subscriptions[contract.id] = list(
                db.session.scalars(
                    select(Subscription)
                    .options(selectinload(Subscription.quantities))
                    .where(Subscription.contract_id == contract.id)
                    .order_by(Subscription.id)
                )
            )
        return self.subscriptions[contract.id]


class Held(NamedTuple):
    """A line an order holds now."""

    line_id: int
    quantity: int
    unit_price_cents: int
    contract_id: int | None
    paid_in_advance: bool

    def as_wanted(self) -> Wanted:
        return Wanted(self.quantity, self.unit_price_cents, self.contract_id or 0, self.paid_in_advance)


@dataclass
class Plan:
    """The writes one distribution's generation makes, in a few statements."""

    new_orders: dict[int, dict[int, Wanted]] = field(default_factory=dict)  # household id → its lines
    removed_orders: list[int] = field(default_factory=list)
    removed_lines: list[int] = field(default_factory=list)
    changed_lines: list[dict] = field(default_factory=list)
    new_lines: list[dict] = field(default_factory=list)
    touched_orders: set[int] = field(default_factory=set)


def generate_distribution(distribution: Distribution, cache: RunCache | None = None) -> Generated:
    """Make the contract lines of this distribution's orders what its contracts say (idempotent); flushes.

    ``cache`` keeps each contract's deliveries and subscriptions across the distributions of one run. The orders
    are compared as plain rows and only what differs is written, in bulk statements."""
    done = Generated()
    if distribution.status == "closed":
        return done
    day = local_day(distribution)
    covering = list(
        db.session.scalars(
            select(Contract).where(
                Contract.point_id == distribution.point_id, Contract.starts_on <= day, Contract.ends_on >= day
            )
        )
    )
    with_lines = set(
        db.session.scalars(
            select(OrderLine.contract_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.distribution_id == distribution.id, OrderLine.contract_id.is_not(None))
            .distinct()
        )
    )
    considered = {contract.id for contract in covering} | with_lines
    if not considered:
        return done
    wanted = _wanted(distribution, covering, cache or RunCache())
    held = _held(distribution.id, list(wanted), considered)
    handed_orders, paid_households = _handed_over(distribution.id)
    plan = Plan()
    for household_id in sorted(set(wanted) | set(held)):
        order = held.get(household_id)
        if order is not None and (order[0] in handed_orders or household_id in paid_households):
            done.handed_over += 1
            continue
        _plan(household_id, order, wanted.get(household_id, {}), considered, plan, done)
    _write(distribution, plan)
    if done.touched:
        if orders_closed(distribution):
            done.after_close.append(distribution.id)
        record(
            "contract_orders.generate",
            target=f"distribution:{distribution.id}",
            created=done.created,
            changed=done.changed,
            removed=done.removed,
            handed_over=done.handed_over,
        )
    return done


def _wanted(distribution: Distribution, covering: list[Contract], cache: RunCache) -> dict[int, dict[int, Wanted]]:
    """Household id → product id → the line the contracts want at this distribution."""
    wanted: dict[int, dict[int, Wanted]] = defaultdict(dict)
    closing = closes_at(distribution)
    for contract in sorted(covering, key=lambda c: c.id):
        delivered = cache.deliveries(contract)
        if distribution.id not in delivered:
            continue
        position = delivered.index(distribution.id)
        # A member's own subscription delivers where orders were still open when they subscribed.
        subscriptions = [s for s in cache.subscribers(contract) if s.orders_from is None or closing > s.orders_from]
        active = [s for s in subscriptions if s.status == "active"]
        waiting = [s.household_id for s in subscriptions if s.status == "waiting"]
        absences = {
            absence.subscription_id: absence
            for absence in db.session.scalars(
                select(Absence).where(
                    Absence.distribution_id == distribution.id,
                    Absence.subscription_id.in_(
                        select(Subscription.id).where(Subscription.contract_id == contract.id).scalar_subquery()
                    ),
                )
            )
        }
        prices = {p.id: (p.product_id, p.unit_price_cents) for p in contract.products}
        receiving: list[tuple[int, Subscription]] = []
        offered: list[Subscription] = []
        for subscription in active:
            absence = absences.get(subscription.id)
            if absence is None:
                receiving.append((_turn(subscription, position), subscription))
            elif absence.kind == "given":
                receiving.append((absence.given_to_id, subscription))
            elif absence.kind == "offered":
                offered.append(subscription)
        taken = {household for household, _ in receiving}
        queue = iter(h for h in waiting if h not in taken)
        for subscription in offered:  # the first household waiting gets the first basket offered, and so on
            household = next(queue, None)
            if household is not None:
                receiving.append((household, subscription))
        for household, subscription in receiving:
            lines = wanted[household]
            for quantity in subscription.quantities:
                if quantity.contract_product_id not in prices:
                    continue
                product_id, price = prices[quantity.contract_product_id]
                before = lines.get(product_id)
                lines[product_id] = Wanted(
                    quantity.quantity + (before.quantity if before else 0),
                    price,
                    contract.id,
                    contract.payment in ADVANCE,
                )
    return {household: lines for household, lines in wanted.items() if lines}


def turns(subscription: Subscription) -> list[tuple[Distribution, int]]:
    """Each delivery of the subscription's contract and the household whose turn it is (a shared basket's two
    households alternate; without a partner, every turn is the subscriber's)."""
    return [(d, _turn(subscription, position)) for position, d in enumerate(deliveries(subscription.contract))]


def _turn(subscription: Subscription, position: int) -> int:
    """Who of a shared basket's two households takes the delivery at ``position`` (0: the season's first)."""
    if subscription.partner_id is None:
        return subscription.household_id
    partner_turn = (position % 2 == 0) == subscription.partner_starts
    return subscription.partner_id if partner_turn else subscription.household_id


def _held(distribution_id: int, households: list[int], considered: set[int]) -> dict[int, tuple[int, dict[int, Held]]]:
    """Household id → (order id, product id → line) for the distribution's orders of ``households`` or holding a
    line of the ``considered`` contracts: plain rows, one statement."""
    contract_line = aliased(OrderLine)
    has_contract_line = (
        select(contract_line.id)
        .where(contract_line.order_id == Order.id, contract_line.contract_id.in_(sorted(considered)))
        .correlate(Order)
        .exists()
    )
    rows = db.session.execute(
        select(
            Order.id,
            Order.household_id,
            OrderLine.id,
            OrderLine.product_id,
            OrderLine.quantity,
            OrderLine.unit_price_cents,
            OrderLine.contract_id,
            OrderLine.paid_in_advance,
        )
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.distribution_id == distribution_id, or_(Order.household_id.in_(households), has_contract_line))
    )
    held: dict[int, tuple[int, dict[int, Held]]] = {}
    for order_id, household_id, line_id, product_id, quantity, price, contract_id, paid in rows:
        lines = held.setdefault(household_id, (order_id, {}))[1]
        if line_id is not None:
            lines[product_id] = Held(line_id, quantity, price, contract_id, bool(paid))
    return held


def _handed_over(distribution_id: int) -> tuple[set[int], set[int]]:
    """The orders a phone recorded a hand-over of, and the households it recorded a payment of, at this
    distribution (undone or not: once something happened at the point, generation keeps off the order)."""
    orders: set[int] = set()
    households: set[int] = set()
    rows = db.session.execute(
        select(SyncedEvent.type, SyncedEvent.payload).where(
            SyncedEvent.distribution_id == distribution_id, SyncedEvent.type.in_(("handover", "payment"))
        )
    )
    for kind, payload in rows:
        if payload.get("order_id") is not None:
            orders.add(int(payload["order_id"]))
        if kind == "payment" and payload.get("household_id") is not None:
            households.add(int(payload["household_id"]))
    return orders, households


def _tier_shares(household_ids: Iterable[int]) -> dict[int, int]:
    ids = list(household_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Household.id, Tier.share_percent).join(Tier, Tier.id == Household.tier_id).where(Household.id.in_(ids))
    )
    return dict(rows.all())


def _plan(
    household_id: int,
    order: tuple[int, dict[int, Held]] | None,
    wanted: dict[int, Wanted],
    considered: set[int],
    plan: Plan,
    done: Generated,
) -> None:
    """What replacing the order's contract lines by ``wanted`` writes (creating or removing the order as needed)."""
    if order is None:
        if wanted:
            plan.new_orders[household_id] = wanted
            done.created += 1
        return
    order_id, lines = order
    imported = {product_id for product_id, line in lines.items() if line.contract_id not in considered}
    kept_out = imported & set(wanted)
    done.imported_kept += len(kept_out)
    wanted = {product_id: line for product_id, line in wanted.items() if product_id not in kept_out}
    current = {p: line.as_wanted() for p, line in lines.items() if line.contract_id in considered}
    if current == wanted:
        return
    plan.touched_orders.add(order_id)
    if not wanted and not imported:
        plan.removed_orders.append(order_id)
        done.removed += 1
        return
    done.changed += 1
    for product_id, line in lines.items():
        if line.contract_id in considered and product_id not in wanted:
            plan.removed_lines.append(line.line_id)
    for product_id, line in sorted(wanted.items()):
        existing = lines.get(product_id)
        if existing is None:
            plan.new_lines.append({"order_id": order_id, "product_id": product_id, **line._asdict()})
        elif existing.as_wanted() != line:
            plan.changed_lines.append({"id": existing.line_id, **line._asdict()})


def _write(distribution: Distribution, plan: Plan) -> None:
    """The plan's writes, in bulk; then the orders and lines the session holds of them are read again."""
    db.session.flush()
    if plan.removed_orders:
        db.session.execute(delete(OrderLine).where(OrderLine.order_id.in_(plan.removed_orders)))
        db.session.execute(delete(Order).where(Order.id.in_(plan.removed_orders)))
    if plan.removed_lines:  # before a line of the same product comes back
        db.session.execute(delete(OrderLine).where(OrderLine.id.in_(plan.removed_lines)))
    if plan.changed_lines:
        db.session.execute(update(OrderLine), plan.changed_lines)
    new_lines = list(plan.new_lines)
    if plan.new_orders:
        shares = _tier_shares(plan.new_orders)
        now = utcnow()
        households = sorted(plan.new_orders)
        ids = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True),
            [
                {
                    "distribution_id": distribution.id,
                    "household_id": household_id,
                    "share_percent": shares[household_id],
                    "created_at": now,
                }
                for household_id in households
            ],
        ).all()
        for order_id, household_id in zip(ids, households, strict=True):
            for product_id, line in sorted(plan.new_orders[household_id].items()):
                new_lines.append({"order_id": order_id, "product_id": product_id, **line._asdict()})
    if new_lines:
        db.session.execute(insert(OrderLine), new_lines)
    _forget(distribution, plan)


def _forget(distribution: Distribution, plan: Plan) -> None:
    """The bulk statements bypassed the session: the orders and lines it holds of the plan are read again (or
    dropped, when removed)."""
    if not (plan.new_orders or plan.touched_orders):
        return
    removed = set(plan.removed_orders)
    removed_lines = set(plan.removed_lines)
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Order) and instance.id in plan.touched_orders:
            (db.session.expunge if instance.id in removed else db.session.expire)(instance)
        elif isinstance(instance, OrderLine) and instance.order_id in plan.touched_orders:
            gone = instance.order_id in removed or instance.id in removed_lines
            (db.session.expunge if gone else db.session.expire)(instance)
    db.session.expire(distribution, ["orders"])


# Many distributions ----------------------------------------------------------------------------------------------


def regenerate_contract(contract: Contract) -> Generated:
    """Generate every distribution the contract delivers at now or has lines in (its season's, one by one), then
    plan its cheque calendar again (``server.domain.cheque_calendar``)."""
    ids = {d.id for d in season_distributions(contract.point_id, contract.starts_on, contract.ends_on)}
    ids |= set(
        db.session.scalars(
            select(Order.distribution_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.contract_id == contract.id)
            .distinct()
        )
    )
    done = _generate_all(ids)
    done.cheques = plan_contract(contract, len(deliveries(contract))).touched
    return done


def regenerate_calendar(point_id: int, days: Iterable[date]) -> Generated:
    """After a distribution was created or moved: the contracts whose season holds one of ``days`` at the point
    (a fortnightly contract or a shared basket counts its deliveries, so the whole season is looked at again)."""
    done = Generated()
    seen: set[int] = set()
    for day in sorted(set(days)):
        contracts = db.session.scalars(
            select(Contract)
            .where(Contract.point_id == point_id, Contract.starts_on <= day, Contract.ends_on >= day)
            .order_by(Contract.id)
        )
        for contract in contracts:
            if contract.id not in seen:
                seen.add(contract.id)
                done.add(regenerate_contract(contract))
    return done


def _generate_all(distribution_ids: Iterable[int]) -> Generated:
    done = Generated()
    cache = RunCache()
    distributions = db.session.scalars(
        select(Distribution).where(Distribution.id.in_(sorted(distribution_ids))).order_by(Distribution.id)
    )
    for distribution in distributions:
        done.add(generate_distribution(distribution, cache))
    return done
