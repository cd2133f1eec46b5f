"""What a member's page shows, gathered in one place: next order, amounts at their tier, what the phones recorded
about it (``server.members.collection``), balances. Every query names this household: no page reads another
member's data."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.clock import utcnow
from server.extensions import db
from server.members.collection import Collection, collection_of
from server.models import Account, AccountMovement, Distribution, Household, Order, OrderLine


@dataclass(frozen=True)
class MemberSummary:
    household: Household
    next_order: Order | None
    next_distribution: Distribution | None
    balances: dict[str, int]  # account kind → cents
    collection: Collection | None  # what the phones recorded about ``next_order`` (None: no order)


def summarise(household: Household) -> MemberSummary:
    now = utcnow()
    order = db.session.scalar(
        select(Order)
        .join(Order.distribution)
        .where(Order.household_id == household.id, Distribution.ends_at >= now)
        .order_by(Distribution.starts_at)
        .options(selectinload(Order.lines).selectinload(OrderLine.product))
        .limit(1)
    )
    distribution = order.distribution if order else None
    if distribution is None and household.point_id is not None:
        distribution = db.session.scalar(
            select(Distribution)
            .where(Distribution.point_id == household.point_id, Distribution.ends_at >= now)
            .order_by(Distribution.starts_at)
            .limit(1)
        )
    balances = dict(
        db.session.execute(
            select(Account.kind, func.coalesce(func.sum(AccountMovement.amount_cents), 0))
            .outerjoin(AccountMovement, AccountMovement.account_id == Account.id)
            .where(Account.household_id == household.id)
            .group_by(Account.kind)
        ).all()
    )
    collection = collection_of(order) if order is not None else None
    return MemberSummary(household, order, distribution, balances, collection)
