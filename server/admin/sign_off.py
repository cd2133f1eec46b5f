"""The printable sign-off sheet (liste d'émargement): the paper fallback when the phones cannot be used."""

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from server.admin import bp
from server.admin.log import _distribution, name_key
from server.auth.access import staff_required
from server.extensions import db
from server.models import Household, Order, OrderLine
from sync.manual_codes import display


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
    rows = [
        (
            order,
            display(order.household.manual_code) if order.household.manual_code else "",
            ", ".join(f"{line.quantity} × {line.product.name}" for line in order.lines),
        )
        for order in orders
    ]
    return render_template(
        "admin/sign_off.html",
        distribution=distribution,
        rows=rows,
        total_due=sum(order.due_cents for order in orders),
    )
