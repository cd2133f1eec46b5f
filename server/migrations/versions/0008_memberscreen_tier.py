"""network_settings.show_tier_at_counter: the volunteer's phone names a member's tier only when the network asks

Revision ID: 0008_memberscreen_tier
Revises: 0007_push
Create Date: 2026-12-04 17:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_memberscreen_tier"
down_revision = "0007_push"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_tier_at_counter", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.drop_column("show_tier_at_counter")
