"""Membership fees: one row per fee paid at the point or recorded by an admin (unique per synced event)

Revision ID: 0010_membership
Revises: 0009_ledger
Create Date: 2026-12-04 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_membership"
down_revision = "0009_ledger"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "membership_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("method_details", sa.String(length=200), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("distribution_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("voided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["distribution_id"], ["distributions.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("membership_fees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_fees_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_fees_household_id"), ["household_id"], unique=False)


def downgrade():
    with op.batch_alter_table("membership_fees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_fees_household_id"))
        batch_op.drop_index(batch_op.f("ix_membership_fees_distribution_id"))
    op.drop_table("membership_fees")
