"""Indexes for seeing the money: a statement newest first, the movements of a period, the members list by balance

Revision ID: 0013_accounts_admin
Revises: 0012_ledger_events
Create Date: 2026-12-04 21:30:00

"""

from alembic import op

revision = "0013_accounts_admin"
down_revision = "0012_ledger_events"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.create_index("ix_account_movements_statement", ["account_id", "occurred_at", "id"], unique=False)
        batch_op.create_index("ix_account_movements_occurred_at", ["occurred_at", "id"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_kind_balance", ["kind", "balance_cents"], unique=False)


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_kind_balance")
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_account_movements_occurred_at")
        batch_op.drop_index("ix_account_movements_statement")
