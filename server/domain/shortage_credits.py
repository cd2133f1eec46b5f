"""Shortage credit-back on members' accounts (``docs/point-adjustments.md``, "Credit-back"): what payments recorded
before a shortage took from a household's accounts beyond what its order owes after it comes back to them, by the
one rule ``sync.shortages.credit_back``; a substitution that makes an order cost less gives back the same way
(``sync.substitutions``).

A credit depends on several events (the shortages, the order's payments, who collected before, their undos), not on
one, so it is not keyed by an event as a payment's effect is: after each upload or decision that may change it (under
the event-log lock, so they take turns), the credits the whole log gives the distribution's households are computed
again and only the difference from what is already posted is posted (kind ``shortage_credit``, ``subject_event_id``
the shortage). A re-upload posts nothing more; a void of the shortage or of the payment posts the reverse; any
arrival order ends with the same balances. Reads are bounded by the distribution: its shortages, the orders of the
products short, their hand-overs and payments, and the undos of those.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from server.domain.events import StoredEvent, projection_orders, stored_events_where
from server.domain.ledger import accounts_for, post_on_accounts
from server.domain.order_events import with_undos
from server.extensions import db
from server.models import Account, AccountMovement, Order, OrderLine, SyncedEvent
from sync.chain import sort_key, unique
from sync.events import Event
from sync.projection import voided_ids
from sync.shortages import credit_back
from sync.substitutions import adjust

KIND = "shortage_credit"
# The event types whose arrival may change a credit: a shortage, a payment before it, a hand-over that says who had
# collected before it, and the undos and decisions that void any of them.
MAY_CHANGE = frozenset({"shortage", "substitution", "payment", "handover", "void", "conflict_resolved"})
ADJUSTMENTS = ("shortage", "substitution")  # a substitution that lowers what an order costs gives back the same way


def after_ingest(events: Sequence[Event]) -> None:
    """Settle the credits of every distribution ``events`` (just stored) may change. The caller holds the event-log
    lock and commits."""
    for distribution_id in sorted({event.distribution_id for event in events if event.type in MAY_CHANGE}):
        settle(distribution_id)


def wanted_credits(distribution_id: int, found: list[StoredEvent]) -> dict[tuple[int, str], tuple[int, Event]]:
    """(household id, account kind) → (cents the log gives back to that account at this distribution, the shortage
    it is for: the last one touching the order), given the distribution's stored shortages ``found``."""
    in_distribution = SyncedEvent.distribution_id == distribution_id
    products = sorted({item.event.payload.product_id for item in found})
    ids = sorted(
        set(
            db.session.scalars(
                select(OrderLine.order_id)
                .join(Order, OrderLine.order_id == Order.id)
                .where(Order.distribution_id == distribution_id, OrderLine.product_id.in_(products))
            )
        )
    )
    if not ids:
        return {}
    found += stored_events_where(
        in_distribution,
        SyncedEvent.type.in_(("handover", "payment")),
        SyncedEvent.payload["order_id"].as_integer().in_(ids),
    )
    events = unique([item.event for item in with_undos(found, in_distribution)])
    voided = voided_ids(events)
    live = [event for event in events if event.id not in voided]
    orders = projection_orders(distribution_id, ids)
    changed = adjust(orders, live)
    by_id = {event.id: event for event in live}
    wanted: dict[tuple[int, str], tuple[int, Event]] = {}
    for order in orders:
        mine = changed.get(order.order_id)
        if mine is None:
            continue
        credits = credit_back(order.order_id, mine.cut_ids, mine.order.total_due_cents, live)
        last = max((by_id[event_id] for event_id in mine.cut_ids), key=sort_key)
        for account_kind, cents in credits.items():
            wanted[order.household_id, account_kind] = (cents, last)
    return wanted


def _posted(distribution_id: int) -> dict[tuple[int, str], tuple[int, str | None]]:
    """(household id, account kind) → (credits posted at the distribution, the last shortage they name)."""
    rows = db.session.execute(
        select(
            Account.household_id,
            Account.kind,
            func.sum(AccountMovement.amount_cents),
            func.max(AccountMovement.subject_event_id),
        )
        .join(Account, Account.id == AccountMovement.account_id)
        .where(AccountMovement.distribution_id == distribution_id, AccountMovement.kind == KIND)
        .group_by(Account.household_id, Account.kind)
    ).tuples()
    return {(household_id, kind): (int(cents or 0), subject) for household_id, kind, cents, subject in rows}


def settle(distribution_id: int) -> None:
    """Post, on each account, the step from the credits already posted at the distribution to those the log gives
    now (nothing when they agree). A distribution without a shortage (voided ones included) has no credit: one
    read by index, and nothing more."""
    found = stored_events_where(SyncedEvent.distribution_id == distribution_id, SyncedEvent.type.in_(ADJUSTMENTS))
    if not found:
        return
    posted = _posted(distribution_id)
    wanted = wanted_credits(distribution_id, found)
    types = {stored.event.id: stored.event.type for stored in found}
    rows: dict[str, list[dict[str, Any]]] = {}
    for key in sorted(set(posted) | set(wanted)):
        household_id, account_kind = key
        cents, shortage = wanted.get(key, (0, None))
        have, last_subject = posted.get(key, (0, None))
        if cents == have:
            continue
        row = {
            "household_id": household_id,
            "amount_cents": cents - have,
            "kind": KIND,
            "subject_event_id": shortage.id if shortage is not None else last_subject,
            "distribution_id": distribution_id,
        }
        # The statement's words say a shortage or a substitution (``server.account_words``).
        subject_type = shortage.type if shortage is not None else types.get(last_subject or "")
        if subject_type == "substitution":
            row["reason"] = "substitution"
        if shortage is not None:
            row["occurred_at"] = shortage.device_time
        rows.setdefault(account_kind, []).append(row)
    for account_kind, kind_rows in rows.items():
        accounts = accounts_for((row["household_id"] for row in kind_rows), account_kind)
        for row in kind_rows:
            row["account_id"] = accounts[row.pop("household_id")]
        post_on_accounts(kind_rows)
