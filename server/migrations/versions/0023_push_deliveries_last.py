"""The last delivery of each push subscription: the index the admin's notifications page reads

The page shows, for each subscription of the page, its last delivery (by creation, then id). Without an index on
(subscription_id, created_at, id) that read took every delivery of the subscriptions shown; the page used to load all
of them (316,166 rows, 33–41 s at 200,000 households in ``bench/scale.py``).

Revision ID: 0023_push_deliveries_last
Revises: 0022_household_name_index
Create Date: 2026-12-05 00:00:00

"""

from alembic import op

revision = "0023_push_deliveries_last"
down_revision = "0022_household_name_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_push_deliveries_last", ["subscription_id", "created_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_push_deliveries_last")
