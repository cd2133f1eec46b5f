"""Synced events in the database: store an upload (``sync.ingest`` decides), read them back for other devices and
for the projection, and keep each distribution's conflicts (``sync.conflicts`` finds them) in the ``conflicts``
table, where they stay until someone resolves them. See ``docs/sync-protocol.md``.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from server.clock import utcnow
from server.domain import cheques, contributions, membership
from server.domain.checks import store_check
from server.domain.event_order import lock_event_log
from server.domain.extras import limited_stock, not_allowance_eligible
from server.domain.ledger_events import post_synced_events
from server.domain.purpose_payments import insert_once
from server.domain.shifts import may_work_at
from server.extensions import db
from server.memory import collector_paused
from server.models import Conflict, Device, Distribution, Order, OrderLine, Product, Shift, SyncedEvent, User
from sync import conflicts, projection
from sync.events import MAX_ID, SERVER_DEVICE_ID, UUID7_PATTERN, Event, format_time, stored_event
from sync.ingest import DUPLICATE, Plan, plan_batch, recheck
from sync.pricing import line_due_cents
from sync.projection import void_target
from sync.shifts import shift_covers
from sync.signatures import SIGNATURE_FIELD, verify

CHUNK = 500  # ids per IN (…) query: far below SQLite's and PostgreSQL's parameter limits
CONFLICT_CHECK_LOCK = 0x436F6E66  # "Conf": the first key of the advisory lock a conflict check takes per distribution
UUID7 = re.compile(UUID7_PATTERN)
DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # sync.events.DeviceId: what else an item names is its rejection


@dataclass(frozen=True)
class Upload:
    plan: Plan
    cursor: int
    distribution_ids: frozenset[int]  # those that received events: their conflicts need a refresh


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _stored_hashes(event_ids: Iterable[Any]) -> dict[str, str]:
    """Hash of each of ``event_ids`` already stored; what cannot be an event id is not looked for (a NUL or a list
    in an item's ``id`` is that item's rejection, never a database error)."""
    ids = sorted({value for value in event_ids if isinstance(value, str) and UUID7.fullmatch(value)})
    found: dict[str, str] = {}
    for chunk in _chunks(ids):
        query = select(SyncedEvent.event_id, SyncedEvent.hash).where(SyncedEvent.event_id.in_(chunk))
        found.update(db.session.execute(query).tuples().all())
    return found


def _recorders(uploader: Device, items: Sequence[Any]) -> dict[str, Device]:
    """The devices the items name, by public id (the uploader's own included), with their points: no query when the
    upload holds only the uploader's own events (the common case, and what 200 phones at once send), else one."""
    named = {
        item.get("device_id") for item in items if isinstance(item, dict) and isinstance(item.get("device_id"), str)
    }
    public_ids = sorted(value for value in named - {uploader.public_id} if DEVICE_ID.fullmatch(value))
    found: dict[str, Device] = {uploader.public_id: uploader}
    for chunk in _chunks(public_ids):
        query = select(Device).where(Device.public_id.in_(chunk)).options(selectinload(Device.points))
        found.update((device.public_id, device) for device in db.session.scalars(query))
    return found


def _authoriser(uploader: Device, items: Sequence[Any]):
    """The rule ``sync.ingest`` asks about each well-formed event, with what it needs loaded in a few queries.

    An event is authorised against the device that recorded it (the one it names), as if that device had uploaded
    it: its shifts covering the device time, its points, the volunteer's points. An event of another device than
    the uploader's (store and forward) must carry that device's valid signature; the uploader's own events may
    come unsigned, and a signature they carry must verify (``docs/sync-protocol.md``, "Device signatures and
    store-and-forward")."""
    wanted = [item.get("distribution_id") for item in items if isinstance(item, dict)]
    # Only what can be a distribution id: an item's list, object or out-of-range number is its own rejection.
    wanted_ids = sorted({value for value in wanted if type(value) is int and 1 <= value <= MAX_ID})
    distributions: dict[int, Distribution] = {}
    for chunk in _chunks(wanted_ids):
        query = select(Distribution).where(Distribution.id.in_(chunk))
        distributions.update((distribution.id, distribution) for distribution in db.session.scalars(query))
    recorders = _recorders(uploader, items)
    device_pks = sorted(device.id for device in recorders.values())
    shifts: dict[int, list[Shift]] = {pk: [] for pk in device_pks}
    for chunk in _chunks(device_pks):  # with their volunteers and the volunteers' points (a round trip each otherwise)
        query = select(Shift).where(Shift.device_id.in_(chunk)).options(joinedload(Shift.user).joinedload(User.points))
        for shift in db.session.scalars(query).unique():
            shifts[shift.device_id].append(shift)

    def authorise(event: Event, signature: Any) -> str | None:
        if event.type == "conflict_resolved":
            return "server_only"
        recorder = recorders.get(event.device_id)
        if recorder is None:
            return "device_unknown"
        if recorder.id != uploader.id:
            if recorder.revoked_at is not None:
                return "device_revoked"
            if signature is None:
                return "signature_missing"
        if signature is not None:
            if recorder.public_key is None:
                return "device_has_no_key"
            if not verify(event, signature, recorder.public_key):
                return "signature_invalid"
        distribution = distributions.get(event.distribution_id)
        if distribution is None:
            return "distribution_unknown"
        own = shifts[recorder.id]
        covering = [s for s in own if s.user_id == event.volunteer_id and shift_covers(s, event.device_time)]
        if not covering:
            return "shift_not_valid"
        if distribution.point_id not in recorder.point_ids or not may_work_at(covering[0].user, distribution.point_id):
            return "forbidden_point"
        return None

    return authorise, recorders


def _row(
    event: Event, digest: str, device_id: int | None, signature: str | None = None, relayed_by: int | None = None
) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "type": event.type,
        "schema_version": event.schema_version,
        "device_id": device_id,
        "user_id": event.volunteer_id,
        "distribution_id": event.distribution_id,
        "device_seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": digest,
        "device_time": event.device_time,
        "received_at": utcnow(),
        "payload": event.payload.model_dump(mode="json"),
        "target_event_id": void_target(event),
        "signature": signature,
        "relayed_by_device_id": relayed_by,
    }


def store_upload(device: Device, items: Sequence[Any]) -> Upload:
    """Classify and store one upload from ``device``; the caller commits before it answers.

    Everything that does not need the event-log lock happens before it: the batch is validated, hashed and
    authorised, its rows built, and the device's last sync noted. Then, holding the lock until the commit
    (``server.domain.event_order``), one statement inserts what is still new and says which rows went in and at which
    positions (``ON CONFLICT (event_id) DO NOTHING RETURNING``): an id stored meanwhile by another connection (the
    same batch sent twice at once) is skipped there and becomes ``duplicate`` (or ``id_reused``), so each event is
    ``accepted`` in exactly one answer. The lock orders all uploads, so the fewer round trips under it the better:
    in the common case the insert is the only statement between the lock and the caller's flag and commit."""
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    authorise, recorders = _authoriser(device, items)
    plan = plan_batch(items, _stored_hashes(ids), authorise)
    recorded_by = {event.id: recorders[event.device_id].id for event, _digest in plan.accepted}
    rows = [
        _row(
            event,
            digest,
            recorded_by[event.id],
            plan.signatures.get(event.id),
            None if recorded_by[event.id] == device.id else device.id,
        )
        for event, digest in plan.accepted
    ]
    # Its data is on the server, whether stored now or already there (brought first by another phone).
    if plan.accepted or any(result.status == DUPLICATE for result in plan.results):
        device.last_sync_at = utcnow()
        own = [event for event, _digest in plan.accepted if recorded_by[event.id] == device.id]
        if own:
            device.last_user_id = own[-1].volunteer_id
        db.session.flush()  # before the lock: this row's lock is held by no one waiting for the event log
    if plan.accepted or plan.reused:
        lock_event_log()
    positions: list[int] = []
    if plan.accepted:
        returned = db.session.execute(
            insert_once(SyncedEvent.__table__).returning(SyncedEvent.event_id, SyncedEvent.position), rows
        ).all()
        inserted = {event_id for event_id, _position in returned}
        positions = [position for _event_id, position in returned]
        late = [event.id for event, _digest in plan.accepted if event.id not in inserted]
        if late:  # stored meanwhile (under the lock nobody else inserts: these were committed before it)
            plan = recheck(plan, _stored_hashes(late))
    if plan.accepted:
        stored = [event for event, _digest in plan.accepted]
        post_synced_events(stored, device.id, {event.id: recorded_by[event.id] for event in stored})
        membership.after_ingest(stored)  # fees paid at the point
        contributions.after_ingest(stored)  # SSA contributions paid at the point
        cheques.after_ingest(stored)  # cheques, each with its payee producer
        from server.domain import contract_debits, shortage_credits  # late: they read the log through this module

        shortage_credits.after_ingest(stored)  # what a shortage gives back to the accounts that paid before it
        contract_debits.after_ingest(stored)  # what a contract paid from the prepaid account takes for a hand-over
    for reuse in plan.reused:  # kept beside the first, under the distribution of the event stored first
        key = f"id_reuse:{reuse.event.id}:{reuse.hash[:16]}"
        if db.session.scalar(select(Conflict.id).where(Conflict.key == key)) is None:
            first = db.session.scalar(select(SyncedEvent.distribution_id).where(SyncedEvent.event_id == reuse.event.id))
            sent = reuse.event.model_dump(mode="json")
            details = {"sent": sent, "sent_hash": reuse.hash, "stored_hash": reuse.stored_hash}
            db.session.add(
                Conflict(distribution_id=first, kind="id_reuse", key=key, event_ids=[reuse.event.id], details=details)
            )
    # Under the lock: the highest position stored, this upload's last if it inserted any (then known already).
    cursor = max(positions) if plan.accepted and positions else latest_position()
    touched = frozenset(event.distribution_id for event, _digest in plan.accepted)
    return Upload(plan, cursor, touched)


def event_json(row: SyncedEvent, public_id: str | None) -> dict[str, Any]:
    """An event as the device sent it (the stored columns and payload give it back field for field)."""
    return {
        "id": row.event_id,
        "type": row.type,
        "schema_version": row.schema_version,
        "device_id": public_id or SERVER_DEVICE_ID,
        "volunteer_id": row.user_id,
        "distribution_id": row.distribution_id,
        "device_time": format_time(row.device_time),
        "seq": row.device_seq,
        "prev_hash": row.prev_hash,
        "payload": row.payload,
    }


def pulled_json(row: SyncedEvent, public_id: str | None) -> dict[str, Any]:
    """An event as a pull gives it: ``event_json`` with the recording device's ``signature`` beside its fields when
    it came signed (``sync/signatures.py``), so that a phone that pulled it can pass it on."""
    data = event_json(row, public_id)
    if row.signature is not None:
        data[SIGNATURE_FIELD] = row.signature
    return data


def events_since(distribution_id: int, cursor: int, limit: int, except_device: Device | None = None):
    """Events of a distribution after ``cursor`` (the server's arrival order), oldest first, with the next cursor and
    whether more remain. ``except_device`` leaves out what that device sent itself."""
    query = (
        select(SyncedEvent, Device.public_id)
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(SyncedEvent.distribution_id == distribution_id, SyncedEvent.position > cursor)
        .order_by(SyncedEvent.position)
        .limit(limit + 1)
    )
    if except_device is not None:
        query = query.where((SyncedEvent.device_id != except_device.id) | SyncedEvent.device_id.is_(None))
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1][0].position if rows else cursor
    return [pulled_json(row, public_id) for row, public_id in rows], next_cursor, more


def latest_position() -> int:
    return db.session.scalar(select(func.max(SyncedEvent.position))) or 0


# The projection and the conflicts of one distribution.


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event read back: the event, and what the server noted when it stored it."""

    event: Event
    received_at: datetime
    hash: str
    device_pk: int | None  # the ``devices`` row (None: the server's own event)
    relayed_by_pk: int | None = None  # the ``devices`` row of the phone that carried it, when not its recorder


@dataclass(frozen=True)
class _Kept:
    """A distribution's events as last read by this process, up to ``position``."""

    position: int
    last_id: str
    events: tuple[StoredEvent, ...]


# Events are append-only and their positions become visible in order (the event-log lock), so what was read of a
# distribution stays true: the next read asks only for what came after. Kept per process, least recently used first
# out, within KEPT_EVENTS events in all; always checked against the database before use, so it is never the record.
KEPT_EVENTS = 100_000
_kept: OrderedDict[tuple[str, int], _Kept] = OrderedDict()
_kept_lock = threading.Lock()


def distribution_events(distribution_id: int, keep: bool = True) -> list[StoredEvent]:
    """Every stored event of a distribution, in the server's arrival order, as plain columns (no ORM objects).

    A distribution read before by this process is read again only from where that read stopped, once a query by
    index shows the part already read unchanged (the same number of events up to the same last event): a
    20,000-event log opened again, or its next timeline page, costs the new events only. ``keep=False`` uses what
    was kept but keeps nothing new: a read of many distributions once each does not push out the ones in use."""
    key = (db.engine.url.render_as_string(hide_password=True), distribution_id)
    with _kept_lock:
        kept = _kept.get(key)
    if kept is None or not _unchanged(distribution_id, kept):
        kept = _Kept(0, "", ())
    read = _read_after(distribution_id, kept)
    if read.events and keep:
        _keep(key, read)
    return list(read.events)


def forget_read_events() -> None:
    """Drop what this process kept of the distributions it read (a benchmark's cold start)."""
    with _kept_lock:
        _kept.clear()


def _unchanged(distribution_id: int, kept: _Kept) -> bool:
    """The database still holds what ``kept`` says: its last event at its position, and as many events up to it."""
    last_id = db.session.scalar(select(SyncedEvent.event_id).where(SyncedEvent.position == kept.position))
    if last_id != kept.last_id:
        return False
    up_to = (SyncedEvent.distribution_id == distribution_id, SyncedEvent.position <= kept.position)
    count = db.session.scalar(select(func.count()).select_from(SyncedEvent).where(*up_to))
    return count == len(kept.events)


def _keep(key: tuple[str, int], kept: _Kept) -> None:
    with _kept_lock:
        _kept.pop(key, None)
        _kept[key] = kept
        total = sum(len(item.events) for item in _kept.values())
        while total > KEPT_EVENTS and len(_kept) > 1:
            _key, oldest = _kept.popitem(last=False)
            total -= len(oldest.events)


_COLUMNS = (
    SyncedEvent.position,
    SyncedEvent.event_id,
    SyncedEvent.type,
    SyncedEvent.schema_version,
    Device.public_id,
    SyncedEvent.user_id,
    SyncedEvent.distribution_id,
    SyncedEvent.device_time,
    SyncedEvent.device_seq,
    SyncedEvent.prev_hash,
    SyncedEvent.payload,
    SyncedEvent.received_at,
    SyncedEvent.hash,
    SyncedEvent.device_id,
    SyncedEvent.relayed_by_device_id,
)


def _stored(row: Any) -> StoredEvent:
    data = {
        "id": row.event_id,
        "type": row.type,
        "schema_version": row.schema_version,
        "device_id": row.public_id or SERVER_DEVICE_ID,
        "volunteer_id": row.user_id,
        "distribution_id": row.distribution_id,
        "device_time": row.device_time,  # aware UTC, milliseconds: as it was parsed when stored
        "seq": row.device_seq,
        "prev_hash": row.prev_hash,
        "payload": row.payload,
    }
    return StoredEvent(stored_event(data), row.received_at, row.hash, row.device_id, row.relayed_by_device_id)


def stored_events_where(*conditions: Any) -> list[StoredEvent]:
    """The stored events that meet ``conditions``, in arrival order, as plain columns (no ORM objects)."""
    query = select(*_COLUMNS).outerjoin(Device, SyncedEvent.device_id == Device.id).where(*conditions)
    return [_stored(row) for row in db.session.execute(query.order_by(SyncedEvent.position))]


def _read_after(distribution_id: int, kept: _Kept) -> _Kept:
    """``kept`` and the events of the distribution stored after it, oldest first."""
    rows = db.session.execute(
        select(*_COLUMNS)
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(SyncedEvent.distribution_id == distribution_id, SyncedEvent.position > kept.position)
        .order_by(SyncedEvent.position)
    ).all()
    if not rows:
        return kept
    new = tuple(_stored(row) for row in rows)
    return _Kept(rows[-1].position, rows[-1].event_id, kept.events + new)


def projection_order(order: Order) -> projection.Order:
    """One order as the projection reads it (``order.lines`` loaded): the same lines and dues as
    ``projection_orders`` gives for its whole distribution."""
    lines = tuple(
        projection.OrderLine(
            line.product_id,
            line.quantity,
            line_due_cents(
                line.quantity, line.unit_price_cents, order.share_percent, line.product.sold_by, line.paid_in_advance
            ),
            line.unit_price_cents,
            order.share_percent,
            line.product.sold_by,
            line.paid_in_advance,
        )
        for line in order.lines
    )
    return projection.Order(order.id, order.household_id, lines, sum(line.due_cents for line in lines))


def projection_orders(distribution_id: int, only: Collection[int] | None = None) -> list[projection.Order]:
    """The distribution's orders as the projection reads them, by id, in two queries of plain columns (``only``:
    those of these ids)."""
    chosen = (Order.id.in_(sorted(only)),) if only is not None else ()
    orders = db.session.execute(
        select(Order.id, Order.household_id, Order.share_percent)
        .where(Order.distribution_id == distribution_id, *chosen)
        .order_by(Order.id)
    ).all()
    lines: dict[int, list[projection.OrderLine]] = {order_id: [] for order_id, _household, _share in orders}
    share = {order_id: percent for order_id, _household, percent in orders}
    rows = db.session.execute(
        select(
            OrderLine.order_id,
            OrderLine.product_id,
            OrderLine.quantity,
            OrderLine.unit_price_cents,
            Product.sold_by,
            OrderLine.paid_in_advance,
        )
        .join(Order, OrderLine.order_id == Order.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(Order.distribution_id == distribution_id, *chosen)
        .order_by(OrderLine.order_id, OrderLine.id)
    ).tuples()
    for order_id, product_id, quantity, unit_price_cents, sold_by, paid in rows:
        due = line_due_cents(quantity, unit_price_cents, share[order_id], sold_by, paid)
        lines[order_id].append(
            projection.OrderLine(product_id, quantity, due, unit_price_cents, share[order_id], sold_by, paid)
        )
    found = []
    for order_id, household_id, _share in orders:
        mine = tuple(lines[order_id])
        found.append(projection.Order(order_id, household_id, mine, sum(line.due_cents for line in mine)))
    return found


def _context(distribution: Distribution, stored: Sequence[StoredEvent]) -> conflicts.Context:
    return conflicts.Context(
        opens_at=distribution.starts_at,
        closed_at=distribution.ends_at,
        received_at={item.event.id: item.received_at for item in stored},
        hashes={item.event.id: item.hash for item in stored},
        stock=limited_stock(distribution.id),
        not_allowance_eligible=not_allowance_eligible(distribution.id, [item.event for item in stored]),
    )


def distribution_state(distribution: Distribution) -> tuple[projection.DistributionState, list[conflicts.Conflict]]:
    """What the events of ``distribution`` make of its orders, and the conflicts they show (one read of each)."""
    with collector_paused():
        stored = distribution_events(distribution.id)
        events = [item.event for item in stored]
        orders = projection_orders(distribution.id)
        return projection.project(orders, events), conflicts.detect(orders, events, _context(distribution, stored))


def mark_conflicts_stale(distribution_ids: Iterable[int]) -> None:
    """Note that events arrived for these distributions: their conflicts are looked for later, by
    ``check_stale_conflicts``, so that an upload costs the same with the 20,000th event of a distribution as with
    the first. Set whatever the flag was: an upload racing with a check waits for it, then sets it again."""
    wanted = sorted(set(distribution_ids))
    if wanted:
        db.session.execute(update(Distribution).where(Distribution.id.in_(wanted)).values(conflicts_stale=True))


def check_stale_conflicts(batch: int = 100) -> int:
    """Look for the conflicts of every distribution that received events since its last check, and store them;
    returns how many distributions were checked. Reads only the flagged distributions (a partial index), never the
    whole network.

    The flags are taken in a short transaction of their own (``SKIP LOCKED``: two runs at once, on several hosts,
    take different distributions), then each distribution is checked and committed on its own. An upload that
    commits after the flag was taken flags its distribution again, so its events are never missed; a check that
    fails puts the flag back."""
    checked = 0
    while True:
        waiting = (
            select(Distribution.id)
            .where(Distribution.conflicts_stale.is_(True))
            .order_by(Distribution.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        taken = db.session.scalars(
            update(Distribution)
            .where(Distribution.id.in_(waiting.scalar_subquery()))
            .values(conflicts_stale=False)
            .returning(Distribution.id)
        ).all()
        db.session.commit()
        if not taken:
            return checked
        for distribution in distributions_by_id(taken):
            try:
                refresh_conflicts(distribution)
                db.session.commit()
            except Exception:
                db.session.rollback()
                mark_conflicts_stale([distribution.id])
                db.session.commit()
                raise
            checked += 1


def check_conflicts(distribution: Distribution) -> list[Conflict]:
    """Look for the conflicts of ``distribution`` now (a coordinator asked), and take it off the waiting list."""
    distribution.conflicts_stale = False
    return refresh_conflicts(distribution)


def refresh_conflicts(distribution: Distribution) -> list[Conflict]:
    """Store the conflicts the events of ``distribution`` show now: new ones are added, known ones get their
    resolution; none is ever deleted (a conflict the events no longer show stays, with its history, until someone
    resolves it). The same read keeps the distribution's check figures (``server.domain.checks``, the dashboard's
    "to check"). Called by ``check_stale_conflicts`` (after uploads), by a coordinator's "check now" and where
    decisions are made (a resolution), in their transaction, so that reading the log never writes. The caller
    commits.

    Two checks of one distribution take turns (a transaction-level advisory lock on PostgreSQL; SQLite writes one
    at a time), so they cannot store the same conflict twice; uploads never wait for a check."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(CONFLICT_CHECK_LOCK, distribution.id)))
    with collector_paused():
        stored_events = distribution_events(distribution.id)
        events = [item.event for item in stored_events]
        orders = projection_orders(distribution.id)
        found = conflicts.detect(orders, events, _context(distribution, stored_events))
        store_check(distribution.id, projection.project(orders, events))  # the dashboard's figures, same read
        del stored_events, events, orders
    stored = {c.key: c for c in db.session.scalars(select(Conflict).where(Conflict.distribution_id == distribution.id))}
    for conflict in found:
        row = stored.get(conflict.key)
        if row is None:
            row = Conflict(
                distribution_id=distribution.id,
                kind=conflict.kind,
                key=conflict.key,
                event_ids=list(conflict.event_ids),
                details=dict(conflict.details),
            )
            db.session.add(row)
            stored[conflict.key] = row
        elif row.status == "open" and (row.event_ids != list(conflict.event_ids) or row.details != conflict.details):
            # An open conflict follows its events (the payments of a double hand-over that arrived later); a
            # resolved one keeps what was decided on.
            row.event_ids, row.details = list(conflict.event_ids), dict(conflict.details)
        if conflict.resolution is not None and row.status != "resolved":
            row.status = "resolved"
            row.resolution_event_id = conflict.resolution.event_id
            row.resolved_by_id = conflict.resolution.volunteer_id
            row.resolved_at = conflict.resolution.resolved_at
            row.comment = conflict.resolution.comment
    db.session.flush()
    return sorted(stored.values(), key=lambda c: c.key)


def distributions_by_id(ids: Iterable[int]) -> list[Distribution]:
    """The distributions with these ids, by id: in a fixed order, so that two uploads lock them in the same order."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(db.session.scalars(select(Distribution).where(Distribution.id.in_(wanted)).order_by(Distribution.id)))


def stored_conflicts(distribution_id: int) -> list[Conflict]:
    """The conflicts kept for a distribution (what the log shows), by key."""
    query = select(Conflict).where(Conflict.distribution_id == distribution_id).order_by(Conflict.key)
    return list(db.session.scalars(query))
