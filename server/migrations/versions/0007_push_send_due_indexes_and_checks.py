"""push send-due reads only what can be due: indexes for its time windows, push_checks, held_packs.inputs_digest

Revision ID: 0007_push
Revises: 0005
Create Date: 2026-12-04 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_push"
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "push_checks",
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule", "subject_id", name=op.f("pk_push_checks")),
    )
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_distributions_ends_at"), ["ends_at"], unique=False)
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflicts_detected_at"), ["detected_at"], unique=False)
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_last_seen_at"), ["last_seen_at"], unique=False)
    with op.batch_alter_table("held_packs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_digest", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_held_packs_distribution_id"), ["distribution_id"], unique=False)
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_deliveries_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_key"))
    with op.batch_alter_table("held_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_packs_distribution_id"))
        batch_op.drop_column("inputs_digest")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_last_seen_at"))
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_detected_at"))
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributions_ends_at"))
    op.drop_table("push_checks")
