"""The printable sign-off sheet (liste d'émargement): the paper fallback when the phones cannot be used.

One table row per member, about 30 to an A4 page, so a distribution of 50 fits on two or three sheets. A member whose
collection the phones already sent is marked "collected at 18:02" (from the one projection of the synced events), so a
volunteer working on paper does not hand the basket over a second time.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from server.admin import bp
from server.admin.log import _distribution, name_key
from server.auth.access import staff_required
from server.domain.events import distribution_events, projection_orders
from server.extensions import db
from server.memory import collector_paused
from server.models import Distribution, Household, Order, OrderLine
from sync import projection
from sync.manual_codes import display


@dataclass(frozen=True)
class Collected:
    """What the phones sent about an order: ``status`` is ``projection.COLLECTED`` or ``PARTIALLY_COLLECTED``,
    ``at`` the time of the hand-over that decided it (the phone's clock)."""

    status: str
    at: datetime


def collected_orders(distribution: Distribution) -> dict[int, Collected]:
    """The orders of ``distribution`` the synced events say were collected, in full or in part, by order id."""
    with collector_paused():
        events = [item.event for item in distribution_events(distribution.id)]
        state = projection.project(projection_orders(distribution.id), events)
    when = {event.id: event.device_time for event in events}
    return {
        order.order_id: Collected(order.status, when[order.decided_by])
        for order in state.orders
        if order.status != projection.NOT_COLLECTED and order.decided_by in when
    }


@bp.get("/distributions/<id:distribution_id>/sign-off")
@staff_required
def sign_off_sheet(distribution_id: int):
    distribution = _distribution(distribution_id)
    orders = db.session.scalars(
        select(Order)
        .where(Order.distribution_id == distribution.id)
        .options(
            joinedload(Order.household).joinedload(Household.tier),
            selectinload(Order.lines).joinedload(OrderLine.product),
        )
    ).all()
    orders = sorted(orders, key=lambda order: name_key(order.household))
    collected = collected_orders(distribution)
    rows = [
        (
            order,
            display(order.household.manual_code) if order.household.manual_code else "",
            ", ".join(f"{line.quantity} × {line.product.name}" for line in order.lines),
            collected.get(order.id),
        )
        for order in orders
    ]
    return render_template(
        "admin/sign_off.html",
        distribution=distribution,
        rows=rows,
        total_due=sum(order.due_cents for order in orders),
        collected_count=len(collected),
        partly=projection.PARTIALLY_COLLECTED,
    )
