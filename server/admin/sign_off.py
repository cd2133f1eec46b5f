"""The printable sign-off sheet (liste d'émargement): the paper fallback when the phones cannot be used.

One table row per member, about 30 to an A4 page, so a distribution of 50 fits on two or three sheets. A member whose
collection the phones already sent is marked "collected at 18:02" (from the one projection of the synced events), so a
volunteer working on paper does not hand the basket over a second time, and what the phones recorded as paid for it
fills the "Paid" column, so nobody is asked to pay twice.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from server.admin import bp
from server.admin.log import _distribution, name_key
from server.auth.access import staff_required
from server.domain.events import distribution_events, projection_orders
from server.extensions import db
from server.formatting import money
from server.labels import PAYMENT_METHOD_LABELS
from server.memory import collector_paused
from server.models import Distribution, Household, NetworkSettings, Order, OrderLine
from sync import membership, projection
from sync.events import PaymentEvent
from sync.manual_codes import display
from sync.vocabulary import PAYMENT_METHODS


@dataclass(frozen=True)
class Collected:
    """What the phones sent about an order: ``status`` is ``projection.COLLECTED`` or ``PARTIALLY_COLLECTED``,
    ``at`` the time of the hand-over that decided it (the phone's clock)."""

    status: str
    at: datetime


@dataclass(frozen=True)
class Paid:
    """What the phones recorded as paid for an order (its payments not undone): ``cents`` in all, and the ways it was
    settled (``sync.vocabulary.PAYMENT_METHODS``, the accounts included), in the vocabulary's order."""

    cents: int
    methods: tuple[str, ...]

    @property
    def method_labels(self) -> str:
        return ", ".join(str(PAYMENT_METHOD_LABELS[method]) for method in self.methods)


@dataclass(frozen=True)
class FromPhones:
    """What the synced events say about a distribution's orders, by order id."""

    collected: dict[int, Collected]
    paid: dict[int, Paid]
    due: dict[int, int]  # what each order costs: for a partial hand-over, only what was handed over
    credited: dict[int, int]  # household id → cents credited to its prepaid account at the point (top-ups)
    fees: dict[int, int]  # household id → membership fees the phones took at this distribution, in cents


def from_phones(distribution: Distribution) -> FromPhones:
    """The orders of ``distribution`` the synced events say were collected (in full or in part) and what was paid
    for them, by the one projection: undone events count for nothing."""
    with collector_paused():
        events = [item.event for item in distribution_events(distribution.id)]
        state = projection.project(projection_orders(distribution.id), events)
    by_id = {event.id: event for event in events}
    collected = {
        order.order_id: Collected(order.status, by_id[order.decided_by].device_time)
        for order in state.orders
        if order.status != projection.NOT_COLLECTED and order.decided_by in by_id
    }
    paid = {}
    for order in state.orders:
        payments = [by_id[i].payload for i in order.payment_ids if isinstance(by_id.get(i), PaymentEvent)]
        used = {p.method for p in payments if p.rest_cents} | {"prepaid" for p in payments if p.from_prepaid_cents}
        used |= {"allowance" for p in payments if p.from_allowance_cents}
        if order.paid_cents or used:
            paid[order.order_id] = Paid(order.paid_cents, tuple(m for m in PAYMENT_METHODS if m in used))
    return FromPhones(
        collected,
        paid,
        {order.order_id: order.due_cents for order in state.orders},
        _credited(state),
        _fees_taken(events, state.voided),
    )


def _credited(state: projection.DistributionState) -> dict[int, int]:
    """What each household credited to its prepaid account at the point, its undone top-ups aside."""
    return {moves.household_id: moves.topped_up_cents for moves in state.households if moves.topped_up_cents}


def _fees_taken(events, voided: tuple[str, ...]) -> dict[int, int]:
    """Household id → the membership fees taken at the distribution (not undone), in cents."""
    fees: dict[int, int] = {}
    for event in events:
        if isinstance(event, PaymentEvent) and event.payload.purpose == "membership" and event.id not in voided:
            household = event.payload.household_id
            fees[household] = fees.get(household, 0) + event.payload.amount_cents
    return fees


def _membership_note(household: Household, day: date, fee_cents: int, fees: dict[int, int]) -> str:
    """What the sheet says of the member's membership: a fee taken today, one to renew, or nothing."""
    if household.id in fees:
        return _("Membership paid today: %(amount)s", amount=money(fees[household.id]))
    if membership.is_due(household.membership_paid_until, day, fee_cents):
        return _("Membership to renew (%(amount)s)", amount=money(fee_cents))
    return ""


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
    phones = from_phones(distribution)
    settings = NetworkSettings.current()
    day = distribution.starts_at.astimezone(ZoneInfo(settings.timezone)).date()
    rows = [
        (
            order,
            display(order.household.manual_code) if order.household.manual_code else "",
            ", ".join(f"{line.quantity} × {line.product.name}" for line in order.lines),
            phones.collected.get(order.id),
            phones.paid.get(order.id),
            phones.due.get(order.id, order.due_cents),
            phones.credited.get(order.household_id, 0),
            _membership_note(order.household, day, settings.membership_fee_cents, phones.fees),
        )
        for order in orders
    ]
    return render_template(
        "admin/sign_off.html",
        distribution=distribution,
        rows=rows,
        total_due=sum(due for _order, _code, _lines, _collected, _paid, due, *_rest in rows),
        collected_count=len(phones.collected),
        total_credited=sum(phones.credited.values()),
        partly=projection.PARTIALLY_COLLECTED,
    )
