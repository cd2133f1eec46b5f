"""The admin's notifications page a page at a time: its order, and the last delivery of each subscription

The page lists subscriptions in the order (household_id, user_id, id), a person's browsers together: an index range
rather than a sort of every subscription. For each subscription shown, its last delivery (by creation, then id): one
probe of (subscription_id, created_at, id) rather than every delivery of it. The page used to load all subscriptions
and all their deliveries (316,166 rows, 33–41 s at 200,000 households in ``bench/scale.py``).

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
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_push_subscriptions_owner", ["household_id", "user_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_push_subscriptions_owner")
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_push_deliveries_last")
