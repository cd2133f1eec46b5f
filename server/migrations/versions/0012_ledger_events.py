"""Synced events name the event they void or resolve (target_event_id, indexed): the ledger finds a payment's voids
and resolutions by index when it posts them (server/domain/ledger_events.py)

Revision ID: 0012_ledger_events
Revises: 0011_cycles
Create Date: 2026-12-04 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_ledger_events"
down_revision = "0011_cycles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_event_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_target_event_id"), ["target_event_id"], unique=False)
    # Events stored before: a void's or a resolution's target is in its payload.
    events = sa.table(
        "events",
        sa.column("event_id", sa.String),
        sa.column("type", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("target_event_id", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(events.c.event_id, events.c.payload).where(events.c.type.in_(("void", "conflict_resolved")))
    ).all()
    for event_id, payload in rows:
        target = (payload or {}).get("event_id")
        if isinstance(target, str):
            bind.execute(events.update().where(events.c.event_id == event_id).values(target_event_id=target))


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_target_event_id"))
        batch_op.drop_column("target_event_id")
