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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from server.audit import record
from server.domain.cheque_calendar import plan_contract
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

    def add(self, other: "Generated") -> "Generated":
        for name in ("created", "changed", "removed", "handed_over", "imported_kept", "cheques"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
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


def generate_distribution(distribution: Distribution, seasons: dict[int, list[int]] | None = None) -> Generated:
    """Make the contract lines of this distribution's orders what its contracts say (idempotent); flushes.

    ``seasons`` keeps each contract's deliveries (distribution ids, in order) across the distributions of one run,
    so a season's generation reads the season once per contract, not once per distribution."""
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
    wanted = _wanted(distribution, covering, {} if seasons is None else seasons)
    orders = {
        order.household_id: order
        for order in db.session.scalars(
            select(Order)
            .options(selectinload(Order.lines))
            .where(
                Order.distribution_id == distribution.id,
                or_(
                    Order.household_id.in_(list(wanted)),
                    Order.id.in_(
                        select(OrderLine.order_id).where(OrderLine.contract_id.in_(considered)).scalar_subquery()
                    ),
                ),
            )
        )
    }
    handed_orders, paid_households = _handed_over(distribution.id)
    shares = _tier_shares([h for h in wanted if h not in orders])
    for household_id in sorted(set(wanted) | set(orders)):
        order = orders.get(household_id)
        if order is not None and (order.id in handed_orders or household_id in paid_households):
            done.handed_over += 1
            continue
        _apply(distribution, household_id, order, wanted.get(household_id, {}), considered, shares, done)
    db.session.flush()
    if done.touched:
        record(
            "contract_orders.generate",
            target=f"distribution:{distribution.id}",
            created=done.created,
            changed=done.changed,
            removed=done.removed,
            handed_over=done.handed_over,
        )
    return done


def _wanted(
    distribution: Distribution, covering: list[Contract], seasons: dict[int, list[int]]
) -> dict[int, dict[int, Wanted]]:
    """Household id → product id → the line the contracts want at this distribution."""
    wanted: dict[int, dict[int, Wanted]] = defaultdict(dict)
    for contract in sorted(covering, key=lambda c: c.id):
        if contract.id not in seasons:
            seasons[contract.id] = [d.id for d in deliveries(contract)]
        delivered = seasons[contract.id]
        if distribution.id not in delivered:
            continue
        position = delivered.index(distribution.id)
        subscriptions = list(
            db.session.scalars(
                select(Subscription)
                .options(selectinload(Subscription.quantities))
                .where(Subscription.contract_id == contract.id)
                .order_by(Subscription.id)
            )
        )
        active = [s for s in subscriptions if s.status == "active"]
        waiting = [s.household_id for s in subscriptions if s.status == "waiting"]
        absences = {
            absence.subscription_id: absence
            for absence in db.session.scalars(
                select(Absence).where(
                    Absence.distribution_id == distribution.id,
                    Absence.subscription_id.in_([s.id for s in active]),
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
    households = db.session.scalars(
        select(Household).options(selectinload(Household.tier)).where(Household.id.in_(ids))
    )
    return {household.id: household.tier.share_percent for household in households}


def _apply(
    distribution: Distribution,
    household_id: int,
    order: Order | None,
    wanted: dict[int, Wanted],
    considered: set[int],
    shares: dict[int, int],
    done: Generated,
) -> None:
    """Replace the order's contract lines by ``wanted`` (creating or removing the order as needed)."""
    if order is None:
        if wanted:
            order = Order(distribution=distribution, household_id=household_id, share_percent=shares[household_id])
            order.lines = [_line(product_id, line) for product_id, line in sorted(wanted.items())]
            db.session.add(order)
            done.created += 1
        return
    imported = {line.product_id for line in order.lines if line.contract_id not in considered}
    kept_out = imported & set(wanted)
    done.imported_kept += len(kept_out)
    wanted = {product_id: line for product_id, line in wanted.items() if product_id not in kept_out}
    current = {
        line.product_id: Wanted(line.quantity, line.unit_price_cents, line.contract_id, line.paid_in_advance)
        for line in order.lines
        if line.contract_id in considered
    }
    if current == wanted:
        return
    if not wanted and not imported:
        db.session.execute(delete(Order).where(Order.id == order.id))
        db.session.expunge(order)
        done.removed += 1
        return
    for line in list(order.lines):
        if line.contract_id in considered and line.product_id not in wanted:
            order.lines.remove(line)
    db.session.flush()  # the removed lines go before a line of the same product comes back
    by_product = {line.product_id: line for line in order.lines}
    for product_id, line in sorted(wanted.items()):
        existing = by_product.get(product_id)
        if existing is None:
            order.lines.append(_line(product_id, line))
        else:
            existing.quantity = line.quantity
            existing.unit_price_cents = line.unit_price_cents
            existing.contract_id = line.contract_id
            existing.paid_in_advance = line.paid_in_advance
    done.changed += 1


def _line(product_id: int, line: Wanted) -> OrderLine:
    return OrderLine(
        product_id=product_id,
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        contract_id=line.contract_id,
        paid_in_advance=line.paid_in_advance,
    )


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
    seasons: dict[int, list[int]] = {}
    for distribution_id in sorted(distribution_ids):
        distribution = db.session.get(Distribution, distribution_id)
        if distribution is not None:
            done.add(generate_distribution(distribution, seasons))
    return done
