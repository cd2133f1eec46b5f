"""What a member's page shows, gathered in one place: next order, amounts at their tier, what the phones recorded
about it (``server.members.collection``), the last basket once its distribution has ended, balances. Every query
names this household: no page reads another member's data."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.clock import utcnow
from server.domain.allowance_cycles import next_credit
from server.extensions import db
from server.members.collection import Collection, collection_of
from server.models import Account, AccountMovement, Distribution, Household, Order, OrderLine
from server.statements import last_movements

LAST_MOVEMENTS_SHOWN = 3  # per account, newest first: each links to its receipt when it has one
LAST_BASKET_SHOWN_FOR = timedelta(days=7)  # at most, after its distribution ended; less if the next one starts
# A basket handed over whole, or declined, is settled: from then on it is the last basket, even while its
# distribution runs (a partial hand-over stays the next basket until the end: the rest is still to collect).
DONE_OUTCOMES = ("all", "refused")


@dataclass(frozen=True)
class LastBasket:
    """The member's order at a distribution that has ended, or that is settled (``DONE_OUTCOMES``) while its
    distribution still runs, and what the phones recorded about it."""

    order: Order
    distribution: Distribution
    collection: Collection


@dataclass(frozen=True)
class MemberSummary:
    household: Household
    next_order: Order | None
    next_distribution: Distribution | None
    balances: dict[str, int]  # account kind → cents
    collection: Collection | None  # what the phones recorded about ``next_order`` (None: no order)
    last: LastBasket | None = None  # the last basket: settled today, or its distribution ended (``last_basket``)
    next_allowance: tuple[date, int] | None = None  # the next allowance credit: day and cents (``next_credit``)
    movements: dict[str, list[AccountMovement]] = field(default_factory=dict)  # kind → its last movements


def summarise(household: Household) -> MemberSummary:
    now = utcnow()
    upcoming = list(
        db.session.scalars(
            select(Order)
            .join(Order.distribution)
            .where(Order.household_id == household.id, Distribution.ends_at >= now)
            .order_by(Distribution.starts_at)
            .options(selectinload(Order.lines).selectinload(OrderLine.product))
            .limit(2)
        )
    )
    order = upcoming[0] if upcoming else None
    collection = collection_of(order) if order is not None else None
    last = None
    if order is not None and collection.outcome in DONE_OUTCOMES:
        # Today's basket is settled while its distribution still runs: it is the last one, the next is the next.
        last = LastBasket(order, order.distribution, collection)
        order = upcoming[1] if len(upcoming) > 1 else None
        collection = collection_of(order) if order is not None else None
    distribution = order.distribution if order else None
    if distribution is None and household.point_id is not None:
        later = [Distribution.point_id == household.point_id, Distribution.ends_at >= now]
        if last is not None:
            later.append(Distribution.starts_at > last.distribution.starts_at)
        distribution = db.session.scalar(select(Distribution).where(*later).order_by(Distribution.starts_at).limit(1))
    accounts = list(db.session.scalars(select(Account).where(Account.household_id == household.id)))
    balances = {account.kind: account.balance_cents for account in accounts}
    movements = {account.kind: last_movements(account, LAST_MOVEMENTS_SHOWN) for account in accounts}
    if last is None and (distribution is None or distribution.starts_at > now):
        last = last_basket(household, now)
    return MemberSummary(household, order, distribution, balances, collection, last, next_credit(household), movements)


def last_basket(household: Household, now: datetime) -> LastBasket | None:
    """The member's order at the distribution that ended last, if it ended less than ``LAST_BASKET_SHOWN_FOR`` ago.

    The caller asks only while the next distribution has not started: once it runs, the page is about that one. So
    a member who collects at 19:34 from a distribution that closed at 19:30 still reads what she took and paid, until
    next week's distribution opens (or for a week when none is planned). One indexed query (``orders.household_id``),
    then the phones' records of that one order (``collection_of``: by its distribution)."""
    order = db.session.scalar(
        select(Order)
        .join(Order.distribution)
        .where(
            Order.household_id == household.id,
            Distribution.ends_at < now,
            Distribution.ends_at >= now - LAST_BASKET_SHOWN_FOR,
        )
        .order_by(Distribution.ends_at.desc())
        .options(selectinload(Order.lines).selectinload(OrderLine.product))
        .limit(1)
    )
    if order is None:
        return None
    return LastBasket(order, order.distribution, collection_of(order))
