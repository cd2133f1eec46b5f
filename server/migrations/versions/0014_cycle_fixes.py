"""Membership fees by day: the membership fees export reads them a chunk at a time

Revision ID: 0014_cycle_fixes
Revises: 0013_accounts_admin
Create Date: 2026-12-04 22:10:00

"""

from alembic import op

revision = "0014_cycle_fixes"
down_revision = "0013_accounts_admin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("membership_fees", schema=None) as batch_op:
        batch_op.create_index("ix_membership_fees_paid_on", ["paid_on", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("membership_fees", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_fees_paid_on")
