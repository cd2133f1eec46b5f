"""Allowance cycles: the network's allowance rule, its contribution bands, each period's run

Revision ID: 0011_cycles
Revises: 0010_membership
Create Date: 2026-12-04 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_cycles"
down_revision = "0010_membership"
branch_labels = None
depends_on = None

TOTAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "allowance_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "period",
            sa.Enum("month", "week", name="allowance_period", native_enum=False, create_constraint=True),
            server_default="month",
            nullable=False,
        ),
        sa.Column("base_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("per_person_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "unspent",
            sa.Enum("keep", "cap", "expire", name="allowance_unspent", native_enum=False, create_constraint=True),
            server_default="keep",
            nullable=False,
        ),
        sa.Column("cap_cents", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "base_cents >= 0 AND per_person_cents >= 0", name=op.f("ck_allowance_rules_amounts_positive")
        ),
        sa.CheckConstraint("cap_cents IS NULL OR cap_cents >= 0", name=op.f("ck_allowance_rules_cap_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_rules")),
    )
    op.create_table(
        "contribution_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("contribution_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("base_cents", sa.Integer(), nullable=True),
        sa.Column("per_person_cents", sa.Integer(), nullable=True),
        sa.Column("allowance_percent", sa.Integer(), server_default="100", nullable=False),
        sa.CheckConstraint("contribution_cents >= 0", name=op.f("ck_contribution_bands_contribution_positive")),
        sa.CheckConstraint(
            "(base_cents IS NULL OR base_cents >= 0) AND (per_person_cents IS NULL OR per_person_cents >= 0)",
            name=op.f("ck_contribution_bands_band_amounts_positive"),
        ),
        sa.CheckConstraint(
            "allowance_percent >= 0 AND allowance_percent <= 1000", name=op.f("ck_contribution_bands_percent_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_bands")),
        sa.UniqueConstraint("code", name=op.f("uq_contribution_bands_code")),
    )
    op.create_table(
        "allowance_cycles",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("credited_households", sa.Integer(), server_default="0", nullable=False),
        sa.Column("credited_cents", TOTAL, server_default="0", nullable=False),
        sa.Column("expired_households", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expired_cents", TOTAL, server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_allowance_cycles")),
    )


def downgrade():
    op.drop_table("allowance_cycles")
    op.drop_table("contribution_bands")
    op.drop_table("allowance_rules")
