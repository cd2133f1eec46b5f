"""Season contracts paid from the prepaid account (``docs/contracts.md``, "How a contract is paid"): the account is
debited what the member received of the contract's lines, at their tier (``sync.prepaid_contracts``).

A debit depends on several events (the hand-over, its undo or a decision that voids it, the day's shortages and
substitutions), so, as a shortage's credit-back (``server.domain.shortage_credits``), it is not keyed by one event:
after each upload or decision that may change it (under the event-log lock, so they take turns), the debits the
whole log gives the distribution's households are computed again and only the difference from what is already posted
there is posted (kind ``contract_debit``, ``subject_event_id`` the deciding hand-over). A re-upload posts nothing
more; an undone hand-over gives it back; a late upload counts once. Reads are bounded by the distribution: its
orders holding such lines, their hand-overs, its shortages and substitutions, and the undos of those.

A debit that leaves the account below the network's floor is posted all the same (the basket was handed over) and
kept as an ``account_overdrawn`` conflict on the hand-over, as a payment's is (``server.domain.ledger_events``).
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from server.domain.events import StoredEvent, projection_orders, stored_events_where
from server.domain.ledger import Posted, accounts_for, post_on_accounts
from server.domain.ledger_events import OVERDRAWN, floor_cents
from server.domain.order_events import with_undos
from server.extensions import db
from server.models import Account, AccountMovement, Conflict, Contract, Order, OrderLine, SyncedEvent
from sync.chain import unique
from sync.events import Event
from sync.prepaid_contracts import debit_cents
from sync.projection import project

KIND = "contract_debit"
ACCOUNT = "prepaid"
# The event types whose arrival may change a debit: a hand-over, the day's shortages and substitutions, and the
# undos and decisions that void any of them.
MAY_CHANGE = frozenset({"handover", "shortage", "substitution", "void", "conflict_resolved"})


def after_ingest(events: Sequence[Event]) -> None:
    """Settle the debits of every distribution ``events`` (just stored) may change. The caller holds the event-log
    lock and commits."""
    for distribution_id in sorted({event.distribution_id for event in events if event.type in MAY_CHANGE}):
        settle(distribution_id)


def prepaid_lines(distribution_id: int) -> dict[int, set[int]]:
    """Order id → the products its lines from a contract paid from the prepaid account (one indexed query)."""
    rows = db.session.execute(
        select(OrderLine.order_id, OrderLine.product_id)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Contract, OrderLine.contract_id == Contract.id)
        .where(Order.distribution_id == distribution_id, Contract.payment == "prepaid", OrderLine.paid_in_advance)
    ).tuples()
    found: dict[int, set[int]] = defaultdict(set)
    for order_id, product_id in rows:
        found[order_id].add(product_id)
    return dict(found)


def wanted_debits(distribution_id: int) -> dict[int, tuple[int, StoredEvent | None]]:
    """Household id → (cents the log says its prepaid account owes the distribution's prepaid contracts, the
    hand-over that decided it, as stored: its phone is who the statement names)."""
    lines = prepaid_lines(distribution_id)
    if not lines:
        return {}
    in_distribution = SyncedEvent.distribution_id == distribution_id
    found = stored_events_where(in_distribution, SyncedEvent.type.in_(("shortage", "substitution")))
    short = sorted({item.event.payload.product_id for item in found if item.event.type == "shortage"})
    sharing = set(
        db.session.scalars(
            select(OrderLine.order_id)
            .join(Order, OrderLine.order_id == Order.id)
            .where(Order.distribution_id == distribution_id, OrderLine.product_id.in_(short))
        )
        if short
        else ()
    )  # the orders a shortage is shared among: who collected before counts (``sync.shortages``)
    ids = sorted(set(lines) | sharing)
    found += stored_events_where(
        in_distribution, SyncedEvent.type == "handover", SyncedEvent.payload["order_id"].as_integer().in_(ids)
    )
    stored = with_undos(found, in_distribution)
    events = unique([item.event for item in stored])
    by_id = {item.event.id: item for item in stored}
    orders = projection_orders(distribution_id, ids)
    state = {item.order_id: item for item in project(orders, events).orders}
    wanted: dict[int, tuple[int, StoredEvent | None]] = {}
    for order in orders:
        if order.order_id not in lines:
            continue
        cents = debit_cents(order, lines[order.order_id], events, orders)
        decided_by = state[order.order_id].decided_by
        before, earlier = wanted.get(order.household_id, (0, None))
        handover = by_id.get(decided_by) if decided_by else None
        wanted[order.household_id] = (before + cents, handover or earlier)
    return wanted


def debited_cents(distribution_id: int, household_id: int | None = None) -> int:
    """What the prepaid accounts (or one household's) were debited at the distribution for its prepaid contracts,
    as posted (the distribution log and the order page say it; one read by index)."""
    query = select(func.coalesce(func.sum(AccountMovement.amount_cents), 0)).where(
        AccountMovement.distribution_id == distribution_id, AccountMovement.kind == KIND
    )
    if household_id is not None:
        query = query.join(Account, Account.id == AccountMovement.account_id).where(
            Account.household_id == household_id
        )
    return -int(db.session.scalar(query) or 0)


def _posted(distribution_id: int) -> dict[int, tuple[int, str | None]]:
    """Household id → (debits posted at the distribution, the last hand-over they name)."""
    rows = db.session.execute(
        select(Account.household_id, func.sum(AccountMovement.amount_cents), func.max(AccountMovement.subject_event_id))
        .join(Account, Account.id == AccountMovement.account_id)
        .where(AccountMovement.distribution_id == distribution_id, AccountMovement.kind == KIND)
        .group_by(Account.household_id)
    ).tuples()
    return {household_id: (int(cents or 0), subject) for household_id, cents, subject in rows}


def settle(distribution_id: int) -> None:
    """Post, on each prepaid account, the step from the debits already posted at the distribution to those the log
    gives now (nothing when they agree). A distribution without such a line nor such a debit: two reads by index."""
    posted = _posted(distribution_id)
    wanted = wanted_debits(distribution_id)
    rows: list[dict[str, Any]] = []
    for household_id in sorted(set(posted) | set(wanted)):
        cents, handover = wanted.get(household_id, (0, None))
        have, last_subject = posted.get(household_id, (0, None))
        if -cents == have:
            continue
        row = {
            "household_id": household_id,
            "amount_cents": -cents - have,
            "kind": KIND,
            "subject_event_id": handover.event.id if handover is not None else last_subject,
            "distribution_id": distribution_id,
        }
        if handover is not None:
            row["occurred_at"] = handover.event.device_time
            row["device_id"] = handover.device_pk
        rows.append(row)
    if not rows:
        return
    accounts = accounts_for((row["household_id"] for row in rows), ACCOUNT)
    households = {}
    for row in rows:
        households[accounts[row["household_id"]]] = row["household_id"]
        row["account_id"] = accounts[row.pop("household_id")]
    _raise_overdrafts(distribution_id, rows, post_on_accounts(rows), households)


def _raise_overdrafts(
    distribution_id: int, rows: list[dict[str, Any]], inserted: list[Posted], households: dict[int, int]
) -> None:
    """Keep an ``account_overdrawn`` conflict, on the hand-over, for each debit just posted that left its account
    below the network's floor (one movement per account here: its balance after is the insert's)."""
    floor = floor_cents(ACCOUNT)
    after = {movement.account_id: movement.balance_cents for movement in inserted}
    raised = {}
    for row in rows:
        balance = after.get(row["account_id"])
        if balance is None or row["amount_cents"] >= 0 or balance >= floor or row["subject_event_id"] is None:
            continue
        key = f"{OVERDRAWN}:{row['subject_event_id']}:{ACCOUNT}"
        raised[key] = Conflict(
            distribution_id=distribution_id,
            kind=OVERDRAWN,
            key=key,
            event_ids=[row["subject_event_id"]],
            details={
                "household_id": households[row["account_id"]],
                "account": ACCOUNT,
                "debit_cents": -row["amount_cents"],
                "balance_cents": balance,
                "floor_cents": floor,
                "short_cents": min(-row["amount_cents"], floor - balance),
                "contract": True,
            },
        )
    if not raised:
        return
    taken = set(db.session.scalars(select(Conflict.key).where(Conflict.key.in_(sorted(raised)))))
    db.session.add_all(conflict for key, conflict in raised.items() if key not in taken)
