"""Cheques: kept from the synced payments by cheque, then handed to their payee producer or deposited.

``after_ingest`` runs in the transaction that stores an upload (``server.domain.events.store_upload``, next to
the ledger's posting) and in a conflict's resolution: each payment (a sale of extras, a credit paid at the point)
whose rest is paid by cheque becomes one ``Cheque`` row, keyed by its event id so a repeated upload adds nothing; a
void of that event marks it voided, a void of the void restores it (``server.domain.purpose_payments.settle_voids``,
in any arrival order). The amount is what the cheque paid: the payment's ``rest_cents`` (a part taken from the
prepaid account is no cheque). See ``docs/producers.md``, "Cheques".
"""

from collections.abc import Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from server.audit import record
from server.domain import DomainError
from server.domain.points import manages_point
from server.domain.purpose_payments import insert_once, settle_voids
from server.extensions import db
from server.models import Cheque, Distribution, Household, NetworkSettings, Order, Producer, User
from sync.events import Event, PaymentEvent, SaleEvent, TopUpEvent
from sync.projection import void_target

# What a treasurer does with a received cheque: hands it to the producer it is made out to, or deposits it.
SETTLED_STATES = ("handed_over", "deposited")
MAX_MARKED = 500  # cheques marked at once: a month of a producer's cheques at a large point


def _is_cheque(event: Event) -> bool:
    if isinstance(event, PaymentEvent | SaleEvent):
        return event.payload.method == "cheque" and event.payload.rest_cents > 0
    return isinstance(event, TopUpEvent) and event.payload.method == "cheque"


def _cheque_cents(event: Event) -> int:
    return event.payload.rest_cents if isinstance(event, PaymentEvent | SaleEvent) else event.payload.amount_cents


def after_ingest(events: Sequence[Event]) -> None:
    """Keep a ``Cheque`` for each newly stored cheque event and settle the voids among ``events``."""
    cheques = [event for event in events if _is_cheque(event)]
    if cheques:
        db.session.execute(insert_once(Cheque.__table__), _rows(cheques))
    voiding = {event.distribution_id for event in events if void_target(event) is not None}
    voiding.update(event.distribution_id for event in cheques)  # a cheque may arrive after its void
    for distribution_id in sorted(voiding):
        settle_voids(Cheque, distribution_id)


def _rows(events: Sequence[Event]) -> list[dict]:
    """The cheques' rows: the household of the order a payment names (or the one it names itself), the payee when
    it is a known producer (an unknown id is kept as no payee rather than refusing what happened), the local date of
    the distribution. Three small queries by primary key."""
    order_ids = {getattr(e.payload, "order_id", None) for e in events} - {None}
    households = (
        dict(
            db.session.execute(select(Order.id, Order.household_id).where(Order.id.in_(sorted(order_ids))))
            .tuples()
            .all()
        )
        if order_ids
        else {}
    )
    named = {e.payload.household_id for e in events if e.payload.household_id is not None}
    known_households = (
        set(db.session.scalars(select(Household.id).where(Household.id.in_(sorted(named))))) if named else set()
    )
    payees = {getattr(e.payload, "payee_producer_id", None) for e in events} - {None}
    known_payees = (
        set(db.session.scalars(select(Producer.id).where(Producer.id.in_(sorted(payees))))) if payees else set()
    )
    tz = ZoneInfo(NetworkSettings.current().timezone)
    days = {
        distribution_id: starts_at.astimezone(tz).date()
        for distribution_id, starts_at in db.session.execute(
            select(Distribution.id, Distribution.starts_at).where(
                Distribution.id.in_(sorted({e.distribution_id for e in events}))
            )
        ).tuples()
    }
    rows = []
    for event in events:
        payload = event.payload
        order_id = getattr(payload, "order_id", None)
        household_id = households.get(order_id) if order_id is not None else None
        if household_id is None and payload.household_id in known_households:
            household_id = payload.household_id
        payee = getattr(payload, "payee_producer_id", None)
        rows.append(
            {
                "event_id": event.id,
                "payee_producer_id": payee if payee in known_payees else None,
                "household_id": household_id,
                "order_id": order_id,
                "distribution_id": event.distribution_id,
                "amount_cents": _cheque_cents(event),
                "number": (payload.method_details or "").strip(),
                "state": "received",
                "received_on": days.get(event.distribution_id),
                "voided": False,
            }
        )
    return rows


def may_see(cheque: Cheque, actor: User) -> bool:
    """Admins see every cheque; a coordinator those taken at their points, and the season cheques of their points'
    contracts."""
    if actor.role == "admin":
        return True
    point_id = cheque.distribution.point_id if cheque.distribution is not None else None
    if point_id is None and cheque.contract is not None:
        point_id = cheque.contract.point_id
    return point_id is not None and manages_point(actor, point_id)


def mark_cheques(cheque_ids: Iterable[int], state: str, on: date, *, actor: User) -> int:
    """Mark received cheques as handed to their producer or deposited on ``on``; how many changed. A voided cheque,
    one already settled, or one ``actor`` may not see is refused, and then none is marked."""
    if state not in SETTLED_STATES:
        raise DomainError(_l("Choose what was done with the cheques."), field="state")
    ids = sorted(set(cheque_ids))
    if not ids:
        raise DomainError(_l("Tick the cheques to mark."), field="cheque_ids")
    if len(ids) > MAX_MARKED:
        raise DomainError(_l("Mark at most %(max)d cheques at once.", max=MAX_MARKED), field="cheque_ids")
    cheques = db.session.scalars(select(Cheque).where(Cheque.id.in_(ids))).all()
    if len(cheques) != len(ids) or not all(may_see(cheque, actor) for cheque in cheques):
        raise DomainError(_l("Some of these cheques do not exist or are not yours to mark."), field="cheque_ids")
    if any(cheque.voided or cheque.state != "received" for cheque in cheques):
        raise DomainError(
            _l("Only received cheques that were not cancelled can be marked: reload the page."), field="cheque_ids"
        )
    db.session.execute(update(Cheque).where(Cheque.id.in_(ids)).values(state=state, state_on=on, state_by_id=actor.id))
    db.session.flush()
    record("cheques.mark", target=f"cheques:{len(ids)}", user=actor, state=state, on=on.isoformat(), cheque_ids=ids)
    return len(ids)
