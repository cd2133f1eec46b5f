"""Synced events in the database: store an upload (``sync.ingest`` decides), read them back for other devices and
for the projection, and keep each distribution's conflicts (``sync.conflicts`` finds them) in the ``conflicts``
table, where they stay until someone resolves them. See ``docs/sync-protocol.md``.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from server.clock import utcnow
from server.domain.event_order import lock_event_log
from server.domain.shifts import may_work_at
from server.extensions import db
from server.models import Conflict, Device, Distribution, Order, Shift, SyncedEvent, User
from sync import conflicts, projection
from sync.events import MAX_ID, UUID7_PATTERN, Event, format_time, parse_event
from sync.ingest import Plan, plan_batch, recheck
from sync.pricing import line_due_cents
from sync.shifts import shift_covers

CHUNK = 500  # ids per IN (…) query: far below SQLite's and PostgreSQL's parameter limits
UUID7 = re.compile(UUID7_PATTERN)


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


def _authoriser(device: Device, items: Sequence[Any]):
    """The rule ``sync.ingest`` asks about each well-formed event, with what it needs loaded in three queries."""
    wanted = [item.get("distribution_id") for item in items if isinstance(item, dict)]
    # Only what can be a distribution id: an item's list, object or out-of-range number is its own rejection.
    wanted_ids = sorted({value for value in wanted if type(value) is int and 1 <= value <= MAX_ID})
    distributions: dict[int, Distribution] = {}
    for chunk in _chunks(wanted_ids):
        query = select(Distribution).where(Distribution.id.in_(chunk))
        distributions.update((distribution.id, distribution) for distribution in db.session.scalars(query))
    shifts = db.session.scalars(
        select(Shift).where(Shift.device_id == device.id).options(selectinload(Shift.user).selectinload(User.points))
    ).all()
    device_points = device.point_ids

    def authorise(event: Event) -> str | None:
        if event.type == "conflict_resolved":
            return "server_only"
        if event.device_id != device.public_id:
            return "wrong_device"
        distribution = distributions.get(event.distribution_id)
        if distribution is None:
            return "distribution_unknown"
        covering = [s for s in shifts if s.user_id == event.volunteer_id and shift_covers(s, event.device_time)]
        if not covering:
            return "shift_not_valid"
        if distribution.point_id not in device_points or not may_work_at(covering[0].user, distribution.point_id):
            return "forbidden_point"
        return None

    return authorise


def _row(event: Event, digest: str, device_id: int | None) -> dict[str, Any]:
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
    }


def _insert_new(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose ``event_id`` is not stored yet, in one statement; event id → position of those it
    inserted (the others arrived meanwhile on another connection)."""
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SyncedEvent)
    statement = statement.on_conflict_do_nothing(index_elements=["event_id"])
    returning = statement.returning(SyncedEvent.event_id, SyncedEvent.position)
    return dict(db.session.execute(returning, rows).tuples().all())


def store_upload(device: Device, items: Sequence[Any]) -> Upload:
    """Classify and store one upload from ``device``; the caller commits before it answers.

    The batch is validated, hashed and authorised first, without the event-log lock; then, holding it until the
    commit (``server.domain.event_order``), what is still new is inserted. An id stored meanwhile by another
    connection (the same batch sent twice at once) is not inserted again: it becomes ``duplicate`` (or ``id_reused``)
    here, so each event is ``accepted`` in exactly one answer. Few statements run under the lock: it orders all
    uploads."""
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    plan = plan_batch(items, _stored_hashes(ids), _authoriser(device, items))
    positions: dict[str, int] = {}
    if plan.accepted or plan.reused:
        lock_event_log()
    if plan.accepted:
        positions = _insert_new([_row(event, digest, device.id) for event, digest in plan.accepted])
        late = [event.id for event, _digest in plan.accepted if event.id not in positions]
        if late:
            plan = recheck(plan, _stored_hashes(late))
    if plan.accepted:
        device.last_sync_at = utcnow()
        device.last_user_id = plan.accepted[-1][0].volunteer_id
    for reuse in plan.reused:  # kept beside the first, under the distribution of the event stored first
        key = f"id_reuse:{reuse.event.id}:{reuse.hash[:16]}"
        if db.session.scalar(select(Conflict.id).where(Conflict.key == key)) is None:
            first = db.session.scalar(select(SyncedEvent.distribution_id).where(SyncedEvent.event_id == reuse.event.id))
            sent = reuse.event.model_dump(mode="json")
            details = {"sent": sent, "sent_hash": reuse.hash, "stored_hash": reuse.stored_hash}
            db.session.add(
                Conflict(distribution_id=first, kind="id_reuse", key=key, event_ids=[reuse.event.id], details=details)
            )
    # Under the lock, what this upload inserted is the highest position stored.
    cursor = max(positions.values()) if positions else latest_position()
    touched = frozenset(event.distribution_id for event, _digest in plan.accepted)
    return Upload(plan, cursor, touched)


def event_json(row: SyncedEvent, public_id: str | None) -> dict[str, Any]:
    """An event as the device sent it (the stored columns and payload give it back field for field)."""
    return {
        "id": row.event_id,
        "type": row.type,
        "schema_version": row.schema_version,
        "device_id": public_id or "server",
        "volunteer_id": row.user_id,
        "distribution_id": row.distribution_id,
        "device_time": format_time(row.device_time),
        "seq": row.device_seq,
        "prev_hash": row.prev_hash,
        "payload": row.payload,
    }


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
    return [event_json(row, public_id) for row, public_id in rows], next_cursor, more


def latest_position() -> int:
    return db.session.scalar(select(func.max(SyncedEvent.position))) or 0


# The projection and the conflicts of one distribution.


def distribution_events(distribution_id: int) -> list[tuple[Event, SyncedEvent]]:
    rows = db.session.execute(
        select(SyncedEvent, Device.public_id)
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(SyncedEvent.distribution_id == distribution_id)
        .order_by(SyncedEvent.position)
    ).all()
    return [(parse_event(event_json(row, public_id)), row) for row, public_id in rows]


def projection_orders(distribution_id: int) -> list[projection.Order]:
    orders = db.session.scalars(
        select(Order).where(Order.distribution_id == distribution_id).options(selectinload(Order.lines))
    ).all()
    found = []
    for order in orders:
        lines = tuple(
            projection.OrderLine(
                line.product_id,
                line.quantity,
                line_due_cents(line.quantity, line.unit_price_cents, order.share_percent),
            )
            for line in order.lines
        )
        found.append(projection.Order(order.id, order.household_id, lines, sum(line.due_cents for line in lines)))
    return found


def distribution_state(distribution: Distribution) -> tuple[projection.DistributionState, list[conflicts.Conflict]]:
    """What the events of ``distribution`` make of its orders, and the conflicts they show (one read of each)."""
    stored = distribution_events(distribution.id)
    events = [event for event, _row in stored]
    orders = projection_orders(distribution.id)
    context = conflicts.Context(
        opens_at=distribution.starts_at,
        closed_at=distribution.ends_at,
        received_at={row.event_id: row.received_at for _event, row in stored},
    )
    return projection.project(orders, events), conflicts.detect(orders, events, context)


def refresh_conflicts(distribution: Distribution) -> list[Conflict]:
    """Store the conflicts found now: new ones are added, known ones get their resolution; none is ever deleted
    (a conflict the events no longer show stays, with its history, until someone resolves it)."""
    _state, found = distribution_state(distribution)
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
        if conflict.resolution is not None and row.status != "resolved":
            row.status = "resolved"
            row.resolution_event_id = conflict.resolution.event_id
            row.resolved_by_id = conflict.resolution.volunteer_id
            row.resolved_at = conflict.resolution.resolved_at
            row.comment = conflict.resolution.comment
    db.session.flush()
    return sorted(stored.values(), key=lambda c: c.key)
