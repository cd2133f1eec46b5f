"""The catalogue of extras of a distribution: what the point sells without a pre-order, and how many (docs/extras.md).

Admins and the coordinators of the distribution's point set it until the distribution is closed. The price is the
product's (the pack reads it when a phone downloads it); a stock of None sells without a limit. The phones sell
offline, so a stock is what they count down, not a bar: a sale beyond it is kept as an ``oversold`` conflict.
"""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union

from server.audit import record
from server.domain import DomainError
from server.domain.points import require_manager
from server.extensions import db
from server.models import Distribution, Extra, Order, OrderLine, Product, User
from sync.events import Event, SaleEvent

MAX_STOCK = 100_000


def set_extra(distribution: Distribution, product_id: int | None, stock: int | None, *, actor: User | None) -> Extra:
    """Offer ``product_id`` at ``distribution`` with ``stock`` (None: no limit), or change the stock it has."""
    require_manager(actor, distribution.point_id, field=None)
    _require_open(distribution)
    product = db.session.get(Product, product_id) if product_id is not None else None
    if product is None or not product.active:
        raise DomainError(_l("Choose a product from the list."), field="product_id")
    if stock is not None and (not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK):
        raise DomainError(
            _l("The stock is a whole number from 0 to %(max)d, or empty for no limit.", max=MAX_STOCK), field="stock"
        )
    extra = db.session.scalar(
        select(Extra).where(Extra.distribution_id == distribution.id, Extra.product_id == product.id)
    )
    if extra is None:
        extra = Extra(distribution_id=distribution.id, product_id=product.id, stock=stock)
        db.session.add(extra)
        db.session.flush()
        record("extra.create", target=f"distribution:{distribution.id}", product_id=product.id, stock=stock)
    elif extra.stock != stock:
        record(
            "extra.update", target=f"distribution:{distribution.id}", product_id=product.id, stock=[extra.stock, stock]
        )
        extra.stock = stock
        db.session.flush()
    return extra


def remove_extra(extra: Extra, *, actor: User | None) -> None:
    """Stop offering an extra (the sales already made stay in the log)."""
    require_manager(actor, extra.distribution.point_id, field=None)
    _require_open(extra.distribution)
    record("extra.remove", target=f"distribution:{extra.distribution_id}", product_id=extra.product_id)
    db.session.delete(extra)
    db.session.flush()


def distribution_extras(distribution_id: int) -> list[Extra]:
    """The extras of a distribution with their products, by product name (a catalogue is a few dozen lines)."""
    return list(
        db.session.scalars(
            select(Extra)
            .join(Extra.product)
            .where(Extra.distribution_id == distribution_id)
            .order_by(Product.name, Product.id)
        )
    )


def limited_stock(distribution_id: int) -> dict[int, int]:
    """Product id → stock, for the extras of the distribution that have one (what ``sync.conflicts`` checks)."""
    rows = db.session.execute(
        select(Extra.product_id, Extra.stock).where(Extra.distribution_id == distribution_id, Extra.stock.is_not(None))
    ).tuples()
    return {product_id: stock for product_id, stock in rows}


def not_allowance_eligible(distribution_id: int, events: Iterable[Event]) -> frozenset[int]:
    """The products an allowance may not pay for, among those the distribution's orders, extras and ``events``' sales
    name (what ``sync.conflicts`` checks the allowance's parts against)."""
    sold = {line.product_id for event in events if isinstance(event, SaleEvent) for line in event.payload.lines}
    named = union(
        select(OrderLine.product_id)
        .join(Order, OrderLine.order_id == Order.id)
        .where(Order.distribution_id == distribution_id),
        select(Extra.product_id).where(Extra.distribution_id == distribution_id),
    ).subquery()
    query = select(Product.id).where(Product.allowance_eligible.is_(False))
    in_distribution = db.session.scalars(query.where(Product.id.in_(select(named.c.product_id)))).all()
    in_sales = db.session.scalars(query.where(Product.id.in_(sorted(sold)))).all() if sold else []
    return frozenset(in_distribution) | frozenset(in_sales)


def _require_open(distribution: Distribution) -> None:
    if distribution.status == "closed":
        raise DomainError(_l("This distribution is closed: its extras can no longer be changed."))
