"""Shortage credit-back: a movement kind for what a shortage gives back to the accounts that paid an order before it,
and an index on a distribution's events by type (its shortages are read after each upload)

Revision ID: 0030_shortage_credits
Revises: 0029_contracts
Create Date: 2026-12-05 12:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0030_shortage_credits"
down_revision = "0029_contracts"
branch_labels = None
depends_on = None

BEFORE = (
    "payment",
    "void",
    "resolution",
    "point_top_up",
    "top_up",
    "refund",
    "correction",
    "cycle_credit",
    "cycle_expiry",
    "opening",
)
AFTER = (*BEFORE, "shortage_credit")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    op.create_index("ix_events_distribution_id_type", "events", ["distribution_id", "type"], unique=False)
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_account_movements_movement_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_account_movements_movement_kind"), sa.text(_kinds(AFTER)))


def downgrade():
    op.drop_index("ix_events_distribution_id_type", table_name="events")
    op.execute(sa.text("DELETE FROM account_movements WHERE kind = 'shortage_credit'"))
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_account_movements_movement_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_account_movements_movement_kind"), sa.text(_kinds(BEFORE)))
