"""The ledger, households' size, band and membership, the network's floor and fee: accounts keep their balance; movements say what made them (kind, event, payment, correction, admin,
cycle period, distribution) and are posted once (unique per account and event, per account, kind and period)

Revision ID: 0009_ledger
Revises: 0008_memberscreen_tier
Create Date: 2026-12-04 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_ledger"
down_revision = "0008_memberscreen_tier"
branch_labels = None
depends_on = None

MOVEMENT_KINDS = (
    "payment",
    "void",
    "resolution",
    "point_top_up",
    "top_up",
    "refund",
    "correction",
    "cycle_credit",
    "cycle_expiry",
    "opening",
)


def upgrade():
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prepaid_floor_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("membership_fee_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("membership_required", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("contribution_band", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("membership_paid_until", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_households_membership_paid_until"), ["membership_paid_until"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("balance_cents", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(*MOVEMENT_KINDS, name="movement_kind", native_enum=False, create_constraint=True, length=20),
                server_default="opening",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("subject_event_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("distribution_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("method", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("method_details", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("period", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_movements_subject_event_id"), ["subject_event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_movements_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_account_movements_corrects_id_account_movements"),
            "account_movements",
            ["corrects_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_account_movements_distribution_id_distributions"),
            "distributions",
            ["distribution_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_account_movements_device_id_devices"), "devices", ["device_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_account_movements_actor_id_users"), "users", ["actor_id"], ["id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_account_movements_account_id_event_id"), ["account_id", "event_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_account_movements_account_id_kind_period"), ["account_id", "kind", "period"]
        )
    op.execute("UPDATE account_movements SET occurred_at = created_at")
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.alter_column("occurred_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.execute(
        "UPDATE accounts SET balance_cents = COALESCE("
        "(SELECT SUM(amount_cents) FROM account_movements WHERE account_movements.account_id = accounts.id), 0)"
    )


def downgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_movements_account_id_kind_period"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_account_movements_account_id_event_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_account_movements_actor_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_account_movements_device_id_devices"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_account_movements_distribution_id_distributions"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_account_movements_corrects_id_account_movements"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_account_movements_movement_kind"), type_="check")
        batch_op.drop_index(batch_op.f("ix_account_movements_distribution_id"))
        batch_op.drop_index(batch_op.f("ix_account_movements_subject_event_id"))
        for column in (
            "occurred_at",
            "period",
            "method_details",
            "method",
            "actor_id",
            "device_id",
            "distribution_id",
            "corrects_id",
            "subject_event_id",
            "kind",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("balance_cents")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_membership_paid_until"))
        for column in ("membership_paid_until", "contribution_band", "size"):
            batch_op.drop_column(column)
    with op.batch_alter_table("network_settings", schema=None) as batch_op:
        for column in ("membership_required", "membership_fee_cents", "prepaid_floor_cents"):
            batch_op.drop_column(column)
