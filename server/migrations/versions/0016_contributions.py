"""SSA contributions: one row per contribution paid at the point (unique per synced event), with the period it pays

Revision ID: 0016_contributions
Revises: 0015_posting_indexes
Create Date: 2026-12-05 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_contributions"
down_revision = "0015_posting_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("method_details", sa.String(length=200), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["distribution_id"], ["distributions.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contributions_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_index("ix_contributions_household_period", ["household_id", "period"], unique=False)


def downgrade():
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index("ix_contributions_household_period")
        batch_op.drop_index(batch_op.f("ix_contributions_distribution_id"))
    op.drop_table("contributions")
