"""Cheques: each cheque a member gave, its payee producer and its state (received, handed over, deposited), from the
synced payments by cheque; room for a season's expected cheques

Revision ID: 0027_cheques
Revises: 0026_producers
Create Date: 2026-12-05 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027_cheques"
down_revision = "0026_producers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cheques",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("payee_producer_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("distribution_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "expected",
                "received",
                "handed_over",
                "deposited",
                name="cheque_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("planned_month", sa.Date(), nullable=True),
        sa.Column("state_on", sa.Date(), nullable=True),
        sa.Column("state_by_id", sa.Integer(), nullable=True),
        sa.Column("voided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"], ["distributions.id"], name=op.f("fk_cheques_distribution_id_distributions")
        ),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"], name=op.f("fk_cheques_household_id_households")),
        sa.ForeignKeyConstraint(
            ["payee_producer_id"], ["producers.id"], name=op.f("fk_cheques_payee_producer_id_producers")
        ),
        sa.ForeignKeyConstraint(["state_by_id"], ["users.id"], name=op.f("fk_cheques_state_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheques")),
        sa.UniqueConstraint("event_id", name=op.f("uq_cheques_event_id")),
    )
    with op.batch_alter_table("cheques", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cheques_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cheques_household_id"), ["household_id"], unique=False)
        batch_op.create_index("ix_cheques_payee_received", ["payee_producer_id", "received_on", "id"], unique=False)
        batch_op.create_index("ix_cheques_received", ["received_on", "id"], unique=False)
        batch_op.create_index("ix_cheques_state_received", ["state", "received_on", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("cheques", schema=None) as batch_op:
        batch_op.drop_index("ix_cheques_state_received")
        batch_op.drop_index("ix_cheques_received")
        batch_op.drop_index("ix_cheques_payee_received")
        batch_op.drop_index(batch_op.f("ix_cheques_household_id"))
        batch_op.drop_index(batch_op.f("ix_cheques_distribution_id"))
    op.drop_table("cheques")
