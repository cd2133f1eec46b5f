"""Cheque calendar: a season's expected cheques belong to a contract (by household), and a received cheque keeps
its bank

Revision ID: 0033_cheque_calendar
Revises: 0030_shortage_credits
Create Date: 2026-12-05 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0033_cheque_calendar"
down_revision = "0031_producer_sort_names"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cheques", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bank", sa.String(length=120), server_default="", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_cheques_contract_id_contracts"), "contracts", ["contract_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index(
            "ix_cheques_contract_household", ["contract_id", "household_id", "planned_month"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cheques", schema=None) as batch_op:
        batch_op.drop_index("ix_cheques_contract_household")
        batch_op.drop_constraint(batch_op.f("fk_cheques_contract_id_contracts"), type_="foreignkey")
        batch_op.drop_column("bank")
        batch_op.drop_column("contract_id")
