"""Synced events on members' accounts: what payments, their voids and conflict resolutions post, exactly once and
whatever the order they arrive in (``docs/accounts.md``, "Synced events").

One entry point, ``post_synced_events``, runs in the transaction that stores the events (``store_upload`` under the
event-log lock, ``resolve_conflict`` likewise), so a balance read after an upload already holds it.

Each event that moves an account on its own (``sync.ledger.account_effects``: a payment, a credit paid at the
point…) is a *root*; voids, and resolutions that void, hang below it by their targets (``events.target_event_id``).
For each root an arriving event touches, the effect the root should have now is its own effect if it stands (not
voided, ``sync.projection.voided_among`` over its voids), nothing otherwise; what is already posted for it (the
movements whose ``subject_event_id`` is the root) is subtracted, and the difference is posted keyed by the arriving
event (``event_id``): one movement per event and account at most, so a duplicate, a replay or a re-run posts
nothing more, and any arrival order ends with every root's movements summing to its effect.

A debit the server finds beyond what the account holds (an allowance below zero, a prepaid balance below the
network's floor) is posted all the same — it happened at the point — and kept as an ``account_overdrawn`` conflict
for a coordinator to settle.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import null, select, union_all

from server.domain.ledger import Posted, accounts_for, among, built, listed, post_on_accounts
from server.extensions import db
from server.models import Account, AccountMovement, Conflict, Device, Household, NetworkSettings, Order, SyncedEvent
from sync.chain import sort_key
from sync.events import SERVER_DEVICE_ID, Event, stored_event
from sync.ledger import account_effects, effect_household
from sync.projection import void_target, voided_among
from sync.vocabulary import ACCOUNT_KINDS

CHUNK = 500
OVERDRAWN = "account_overdrawn"
# The movement kind of a root's own effect, by event type (a type not listed posts as a payment does).
ROOT_MOVEMENT_KINDS = {"payment": "payment", "top_up": "point_top_up"}
ARRIVING_MOVEMENT_KINDS = {"void": "void", "conflict_resolved": "resolution"}


@dataclass
class _Node:
    """An event as the walk sees it: what it voids (None: nothing) and its distribution."""

    id: str
    target: str | None
    distribution_id: int


@dataclass
class _Root:
    event: Event
    household_id: int
    effects: dict[str, int]
    nodes: dict[str, _Node] = field(default_factory=dict)  # the root and every void below it, stored or arriving


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# The statements of a posting, built once (``built``); each reads by the ids bound as ``ids`` (``listed``).
_NODE = (SyncedEvent.event_id, SyncedEvent.target_event_id, SyncedEvent.distribution_id)
_events_named = built(lambda: select(*_NODE).where(among(SyncedEvent.event_id, "ids")))
_voids_below = built(lambda: select(*_NODE).where(among(SyncedEvent.target_event_id, "ids")))
_roots_named = built(
    lambda: (
        select(SyncedEvent, Device.public_id)
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(among(SyncedEvent.event_id, "ids"), SyncedEvent.target_event_id.is_(None))
    )
)
_orders_named = built(
    lambda: select(Order.id, Order.household_id, *_account_ids(Order.household_id)).where(among(Order.id, "ids"))
)
_households_named = built(lambda: select(Household.id, *_account_ids(Household.id)).where(among(Household.id, "ids")))
_voids_and_postings_below = built(
    lambda: union_all(
        select(*_NODE, null(), null()).where(among(SyncedEvent.target_event_id, "ids")),
        select(AccountMovement.event_id, AccountMovement.subject_event_id, null(), Account.kind)
        .add_columns(AccountMovement.amount_cents)
        .join(Account, Account.id == AccountMovement.account_id)
        .where(among(AccountMovement.subject_event_id, "ids")),
    )
)


def post_synced_events(
    arrived: Sequence[Event], device_pk: int | None, recorded_by: Mapping[str, int] | None = None
) -> None:
    """Post what ``arrived`` (events just stored in this transaction, by the device ``device_pk`` or by the server)
    changes on members' accounts, and keep the overdrafts it reveals as conflicts. ``recorded_by`` (event id →
    device row) names the device that recorded an event another one relayed: its movements are that device's. The
    caller holds the event-log lock and commits."""
    by_device = recorded_by or {}
    arriving: dict[str, Event] = {}
    effects: dict[str, dict[str, int]] = {}
    known: dict[str, _Node] = {}
    for event in arrived:
        target = void_target(event)
        effects[event.id] = account_effects(event)
        if target is not None or effects[event.id]:
            arriving[event.id] = event
            known[event.id] = _Node(event.id, target, event.distribution_id)
    if not arriving:
        return
    _walk_up(known)
    root_ids = {_root_of(event_id, known) for event_id in arriving} - {None}
    roots, accounts = _load_roots(root_ids, arriving, effects)
    if not roots:
        return
    posted = _walk_down(roots, known)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for root_id, root in roots.items():
        if len(root.nodes) == 1 and root_id not in posted:  # most payments: no void, nothing posted yet
            if root_id in arriving:
                for account_kind, cents in root.effects.items():
                    rows[account_kind].append(
                        _movement(root, root.event, cents, by_device.get(root.event.id, device_pk))
                    )
            continue
        for event, cents_by_kind in _differences(root, arriving, posted[root_id]):
            for account_kind, cents in cents_by_kind.items():
                rows[account_kind].append(_movement(root, event, cents, by_device.get(event.id, device_pk)))
    for account_kind, kind_rows in rows.items():
        households = {roots[row["subject_event_id"]].household_id for row in kind_rows}
        missing = [household for household in households if (household, account_kind) not in accounts]
        accounts |= {(household, account_kind): id_ for household, id_ in accounts_for(missing, account_kind).items()}
        for row in kind_rows:
            row["account_id"] = accounts[roots[row["subject_event_id"]].household_id, account_kind]
        _raise_overdrafts(account_kind, kind_rows, post_on_accounts(kind_rows), roots, arriving)


def _walk_up(known: dict[str, _Node]) -> None:
    """Load the events the arriving voids name, and theirs, up to the roots (one query per level of voids)."""
    wanted = {node.target for node in known.values() if node.target is not None} - set(known)
    while wanted:
        found = []
        for chunk in _chunks(sorted(wanted)):
            found += db.session.execute(_events_named(), {"ids": listed(chunk)}).tuples().all()
        for event_id, target, distribution_id in found:
            known[event_id] = _Node(event_id, target, distribution_id)
        wanted = {target for _id, target, _d in found if target is not None} - set(known)


def _root_of(event_id: str, known: dict[str, _Node]) -> str | None:
    """The event at the top of ``event_id``'s chain of voids, within one distribution (None: a link is not stored
    yet, or the chain turns in a circle)."""
    node = known[event_id]
    seen = {event_id}
    while node.target is not None:
        parent = known.get(node.target)
        if parent is None or parent.id in seen or parent.distribution_id != node.distribution_id:
            return None
        seen.add(parent.id)
        node = parent
    return node.id


def _load_roots(
    root_ids: set[str], arriving: dict[str, Event], arriving_effects: dict[str, dict[str, int]]
) -> tuple[dict[str, _Root], dict[tuple[int, str], int]]:
    """The roots that move an account, with their household, and (household, account kind) → account id for the
    accounts their households already have (one query for the stored roots, one for orders and their accounts, one
    for households a payment names itself)."""
    events = {root_id: arriving[root_id] for root_id in root_ids if root_id in arriving}
    missing = sorted(root_ids - set(events))
    for chunk in _chunks(missing):
        rows = db.session.execute(_roots_named(), {"ids": listed(chunk)}).all()
        for row, public_id in rows:
            events[row.event_id] = stored_event(
                {
                    "id": row.event_id,
                    "type": row.type,
                    "schema_version": row.schema_version,
                    "device_id": public_id or SERVER_DEVICE_ID,
                    "volunteer_id": row.user_id,
                    "distribution_id": row.distribution_id,
                    "device_time": row.device_time,
                    "seq": row.device_seq,
                    "prev_hash": row.prev_hash,
                    "payload": row.payload,
                }
            )
    effects = {
        event_id: arriving_effects[event_id] if event_id in arriving_effects else account_effects(event)
        for event_id, event in events.items()
    }
    events = {event_id: event for event_id, event in events.items() if effects[event_id]}
    accounts: dict[tuple[int, str], int] = {}
    order_ids = sorted({getattr(e.payload, "order_id", None) for e in events.values()} - {None})
    order_households: dict[int, int] = {}
    for chunk in _chunks(order_ids):
        for order_id, household_id, *ids in db.session.execute(_orders_named(), {"ids": listed(chunk)}):
            order_households[order_id] = household_id
            accounts |= _known(household_id, ids)
    households = {event_id: effect_household(event, order_households) for event_id, event in events.items()}
    # An order's household exists (a foreign key); one a payment names itself may not.
    existing = set(order_households.values())
    named = sorted({household for household in households.values() if household is not None} - existing)
    for chunk in _chunks(named):
        for household_id, *ids in db.session.execute(_households_named(), {"ids": listed(chunk)}):
            existing.add(household_id)
            accounts |= _known(household_id, ids)
    roots = {
        event_id: _Root(event, households[event_id], effects[event_id])
        for event_id, event in events.items()
        if households[event_id] in existing  # an unknown member is a conflict of the log, not an account
    }
    return roots, accounts


@dataclass
class _Posted:
    """What is already posted for a root: cents per account kind, and the events that posted them."""

    cents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by: set[str] = field(default_factory=set)


def _account_ids(household_id: Any) -> list[Any]:
    """The household's account of each kind, as one column per kind (an index lookup each, whatever the
    statistics say of the tables: a join planned on a fresh database read every account)."""
    return [
        select(Account.id).where(Account.household_id == household_id, Account.kind == kind).scalar_subquery()
        for kind in ACCOUNT_KINDS
    ]


def _known(household_id: int, ids: list[int | None]) -> dict[tuple[int, str], int]:
    return {(household_id, kind): id_ for kind, id_ in zip(ACCOUNT_KINDS, ids, strict=True) if id_ is not None}


def _walk_down(roots: dict[str, _Root], known: dict[str, _Node]) -> dict[str, _Posted]:
    """Give each root every stored void below it, in its distribution, and return root id → what is already posted
    for it. The first level of voids and the postings are read together (one ``UNION ALL`` per 500 roots, by the
    indexes on ``target_event_id`` and ``subject_event_id``); voids of voids, one query per further level."""
    owner: dict[str, str] = {}
    for root_id, root in roots.items():
        root.nodes[root_id] = known.get(root_id) or _Node(root_id, None, root.event.distribution_id)
        owner[root_id] = root_id
    posted: dict[str, _Posted] = defaultdict(_Posted)
    found = []
    for chunk in _chunks(sorted(roots)):
        below = db.session.execute(_voids_and_postings_below(), {"ids": listed(chunk)})
        for event_id, target, distribution_id, account_kind, cents in below:
            if account_kind is None:
                found.append((event_id, target, distribution_id))
            else:
                posted[target].cents[account_kind] += cents
                posted[target].by.add(event_id)
    while found:
        frontier = []
        for event_id, target, distribution_id in found:
            root = roots[owner[target]]
            if event_id in owner or distribution_id != root.event.distribution_id:
                continue
            owner[event_id] = owner[target]
            root.nodes[event_id] = _Node(event_id, target, distribution_id)
            frontier.append(event_id)
        found = []
        for chunk in _chunks(frontier):
            found += db.session.execute(_voids_below(), {"ids": listed(chunk)}).tuples().all()
    return posted


def _differences(root: _Root, arriving: dict[str, Event], posted: _Posted):
    """(arriving event, account kind → cents to post) for each arriving event of ``root`` that changes what the
    root should have posted, taken in canonical order: each one posts the step from what is posted to the effect
    after it. An arriving event that already posted for this root (a re-run) is counted as known, not stepped
    again; every other step is a new key, so the root ends with exactly its effect posted, whatever came before.
    (A root alone with nothing posted posts its own effect: ``post_synced_events`` does that without coming here.)"""
    mine = sorted(
        (arriving[node_id] for node_id in root.nodes if node_id in arriving and node_id not in posted.by),
        key=sort_key,
    )
    stepping = {event.id for event in mine}
    have = {node_id for node_id in root.nodes if node_id not in stepping}
    running = dict(posted.cents)
    kinds = set(root.effects) | set(running)
    for event in mine:
        have.add(event.id)
        stands = root.event.id in have
        if stands and len(root.nodes) > 1:
            targets = {node_id: root.nodes[node_id].target for node_id in have if root.nodes[node_id].target in have}
            stands = root.event.id not in voided_among(targets)
        steps = {}
        for kind in kinds:
            cents = (root.effects.get(kind, 0) if stands else 0) - running.get(kind, 0)
            if cents:
                steps[kind] = cents
                running[kind] = running.get(kind, 0) + cents
        if steps:
            yield event, steps


def _movement(root: _Root, event: Event, cents: int, device_pk: int | None) -> dict[str, Any]:
    if event.id == root.event.id:
        kind = ROOT_MOVEMENT_KINDS.get(event.type, "payment")
    else:
        kind = ARRIVING_MOVEMENT_KINDS.get(event.type, "void")
    server_made = event.device_id == SERVER_DEVICE_ID
    return {
        "amount_cents": cents,
        "kind": kind,
        "event_id": event.id,
        "subject_event_id": root.event.id,
        "distribution_id": root.event.distribution_id,
        "device_id": None if server_made else device_pk,
        "actor_id": event.volunteer_id if server_made else None,
        "method": getattr(root.event.payload, "method", None),
        "occurred_at": event.device_time,
    }


def floor_cents(account_kind: str) -> int:
    """The lowest balance an account of this kind may reach: 0 for an allowance, minus the network's
    ``prepaid_floor_cents`` for a prepaid account."""
    if account_kind == "prepaid":
        return -max(0, NetworkSettings.current().prepaid_floor_cents)
    return 0


def _raise_overdrafts(
    account_kind: str,
    rows: list[dict[str, Any]],
    inserted: list[Posted],
    roots: dict[str, _Root],
    arriving: dict[str, Event],
) -> None:
    """Keep an ``account_overdrawn`` conflict for each debit just posted that left its account below its floor,
    replaying the movements inserted in the events' canonical order from the balance before them (the balance
    after them, as the insert returned it, less their sum)."""
    if not inserted:
        return
    by_account: dict[int, list[dict[str, Any]]] = defaultdict(list)
    after: dict[int, int] = {}
    sums: dict[int, int] = defaultdict(int)
    for movement in inserted:
        after[movement.account_id] = movement.balance_cents
        sums[movement.account_id] += movement.amount_cents
    for row in rows:
        if row["account_id"] in after:
            by_account[row["account_id"]].append(row)
    floor = floor_cents(account_kind)
    raised: dict[str, Conflict] = {}
    for account_id, movements in by_account.items():
        balance = after[account_id] - sums[account_id]
        if len(movements) > 1:
            movements.sort(key=lambda row: sort_key(arriving[row["event_id"]]))
        for row in movements:
            balance += row["amount_cents"]
            if row["amount_cents"] >= 0 or balance >= floor:
                continue
            root = roots[row["subject_event_id"]]
            key = f"{OVERDRAWN}:{root.event.id}:{account_kind}"
            details = {
                "household_id": root.household_id,
                "account": account_kind,
                "debit_cents": -row["amount_cents"],
                "balance_cents": balance,
                "floor_cents": floor,
                "short_cents": min(-row["amount_cents"], floor - balance),
            }
            raised[key] = Conflict(
                distribution_id=root.event.distribution_id,
                kind=OVERDRAWN,
                key=key,
                event_ids=[root.event.id],
                details=details,
            )
    if not raised:
        return
    taken = set(db.session.scalars(select(Conflict.key).where(Conflict.key.in_(sorted(raised)))))
    db.session.add_all(conflict for key, conflict in raised.items() if key not in taken)
