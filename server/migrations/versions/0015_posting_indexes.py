"""Fewer index entries to write per posting: three indexes that others cover, two keys made partial

``accounts.household_id`` leads the unique (household_id, kind); ``account_movements.account_id`` leads the statement
index; nothing looks a movement up by ``event_id`` alone. The idempotency keys (account, event) and (account, kind,
period) now index only the movements that have one: a synced payment has no period, a cycle credit no event. Each
posting of a synced payment wrote five index entries for nothing (docs/performance.md, "Posting synced events on the
ledger").

Revision ID: 0015_posting_indexes
Revises: 0014_cycle_fixes
Create Date: 2026-12-05 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_posting_indexes"
down_revision = "0014_cycle_fixes"
branch_labels = None
depends_on = None


def _where(condition):
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_account_movements_account_id")
        batch_op.drop_index("ix_account_movements_event_id")
        batch_op.drop_constraint("uq_account_movements_account_id_event_id", type_="unique")
        batch_op.drop_constraint("uq_account_movements_account_id_kind_period", type_="unique")
        batch_op.create_index(
            "uq_account_movements_event", ["account_id", "event_id"], unique=True, **_where("event_id IS NOT NULL")
        )
        batch_op.create_index(
            "uq_account_movements_period", ["account_id", "kind", "period"], unique=True, **_where("period IS NOT NULL")
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_household_id")


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_household_id", ["household_id"], unique=False)
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_index("uq_account_movements_period")
        batch_op.drop_index("uq_account_movements_event")
        batch_op.create_unique_constraint(
            "uq_account_movements_account_id_kind_period", ["account_id", "kind", "period"]
        )
        batch_op.create_unique_constraint("uq_account_movements_account_id_event_id", ["account_id", "event_id"])
        batch_op.create_index("ix_account_movements_event_id", ["event_id"], unique=False)
        batch_op.create_index("ix_account_movements_account_id", ["account_id"], unique=False)
