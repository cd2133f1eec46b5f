"""One index entry fewer per posting: ``account_movements.distribution_id`` is never looked up alone

The packs read a distribution's movements through each account (``account_id`` leads the statement index) and filter
on the distribution there; no query, export or page reads movements by distribution alone, and distributions are
never deleted (the foreign key stays: it needs no index on this side to check an insert). Each synced payment wrote
this entry for nothing (docs/performance.md, "Posting synced events on the ledger").

Revision ID: 0019_movement_distribution_index
Revises: 0018_sealed_keys
Create Date: 2026-12-05 00:00:00

"""

from alembic import op

revision = "0019_movement_distribution_index"
down_revision = "0018_sealed_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_account_movements_distribution_id")


def downgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.create_index("ix_account_movements_distribution_id", ["distribution_id"], unique=False)
