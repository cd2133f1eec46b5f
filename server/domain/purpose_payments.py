"""Rows kept for payments taken at the point for something other than a basket (a membership fee, an SSA
contribution): inserted once per synced event, and marked voided or not as the distribution's voids say, in any
arrival order (``server.domain.membership``, ``server.domain.contributions``)."""

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.extensions import db
from server.models import SyncedEvent
from sync.events import stored_event
from sync.projection import voided_ids


def insert_once(table):
    """An INSERT that skips a row whose ``event_id`` is already stored (the same event uploaded twice)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=["event_id"])


def settle_voids(model: Any, distribution_id: int) -> set[int]:
    """Mark ``model``'s rows taken at ``distribution_id`` voided or not, as the distribution's voids say; the
    households whose rows changed. Reads the rows of one distribution and, only if it has any, its voids."""
    rows = db.session.execute(
        select(model.id, model.event_id, model.household_id, model.voided).where(
            model.distribution_id == distribution_id, model.event_id.is_not(None)
        )
    ).all()
    if not rows:
        return set()
    # The voids, and the rows' own events (a void counts only when what it names is there).
    events = db.session.scalars(
        select(SyncedEvent).where(
            SyncedEvent.distribution_id == distribution_id,
            or_(
                SyncedEvent.type.in_(("void", "conflict_resolved")),
                SyncedEvent.event_id.in_([row.event_id for row in rows]),
            ),
        )
    ).all()
    voided = voided_ids(stored_event(_as_event(event)) for event in events)
    changed: set[int] = set()
    for row in rows:
        now_voided = row.event_id in voided
        if now_voided != row.voided:
            db.session.execute(update(model).where(model.id == row.id).values(voided=now_voided))
            changed.add(row.household_id)
    return changed


def _as_event(row: SyncedEvent) -> dict[str, Any]:
    from server.domain.events import event_json  # late: events.py calls the modules that call this one

    return event_json(row, row.device.public_id if row.device is not None else None)
