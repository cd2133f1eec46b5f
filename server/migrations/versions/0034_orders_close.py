"""Orders close: when a distribution's orders close (members can no longer change their season contracts' baskets
for it, the producers' order forms are final), the network's default for it, and since when a member's own
subscription delivers

Revision ID: 0034_orders_close
Revises: 0030_shortage_credits
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0034_orders_close"
down_revision = "0033_cheque_calendar"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orders_close_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orders_close_days", sa.Integer(), server_default="2", nullable=False))
        batch_op.add_column(sa.Column("orders_close_time", sa.Time(), server_default="12:00:00", nullable=False))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orders_from", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("orders_from")
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.drop_column("orders_close_time")
        batch_op.drop_column("orders_close_days")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_column("orders_close_at")
