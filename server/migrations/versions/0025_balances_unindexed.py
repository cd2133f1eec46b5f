"""Account balances without an index, so that posting a movement moves its balance in place

``ix_accounts_kind_balance`` served only the members list's "below zero" filter (the sort by balance orders by
``coalesce(balance, 0)`` over an outer join, which no index serves). It made every balance update write three index
entries: on PostgreSQL an update that changes no indexed column is a heap-only (HOT) update, which also needs room
on the row's page, hence the fill factor (new pages; existing ones as they are rewritten). The filter now reads the
accounts table (tens of milliseconds at 200,000 households).

Revision ID: 0025_balances_unindexed
Revises: 0024_list_orders
Create Date: 2026-12-05 00:00:00

"""

from alembic import op

revision = "0025_balances_unindexed"
down_revision = "0024_list_orders"
branch_labels = None
depends_on = None

FILL_FACTOR = 80


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_kind_balance")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE accounts SET (fillfactor = {FILL_FACTOR})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE accounts RESET (fillfactor)")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_kind_balance", ["kind", "balance_cents"], unique=False)
