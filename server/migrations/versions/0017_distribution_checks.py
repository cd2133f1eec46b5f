"""Each distribution's check figures (the dashboard's "to check"), its two thresholds, the open conflicts indexed

``distribution_checks`` is filled by the conflict check (``refresh_conflicts``); every distribution that already
has events is flagged for one, so the cron fills it for them once (docs/dashboard.md).

Revision ID: 0017_distribution_checks
Revises: 0016_contributions
Create Date: 2026-12-05 01:00:00

"""

import sqlalchemy as sa
from alembic import op

import server.models.types

revision = "0017_distribution_checks"
down_revision = "0016_contributions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "distribution_checks",
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", server.models.types.UTCDateTime(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("collected", sa.Integer(), nullable=False),
        sa.Column("partially_collected", sa.Integer(), nullable=False),
        sa.Column("not_collected", sa.Integer(), nullable=False),
        sa.Column("refused_scans", sa.Integer(), nullable=False),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.Column("by_method", sa.JSON(), nullable=False),
        sa.Column("cash_boxes", sa.JSON(), nullable=False),
        sa.Column("largest_cash_gap_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_distribution_checks_distribution_id_distributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("distribution_id", name=op.f("pk_distribution_checks")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conflicts_open",
            ["distribution_id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cash_gap_threshold_cents", sa.Integer(), server_default="500", nullable=False))
        batch_op.add_column(sa.Column("low_balance_cents", sa.Integer(), server_default="0", nullable=False))
    # The distributions that have events get their figures at the next conflict check (the cron).
    op.execute(
        "UPDATE distributions SET conflicts_stale = true WHERE id IN (SELECT DISTINCT distribution_id FROM events)"
    )


def downgrade():
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.drop_column("low_balance_cents")
        batch_op.drop_column("cash_gap_threshold_cents")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_conflicts_open")
    op.drop_table("distribution_checks")
