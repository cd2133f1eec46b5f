"""Fewer writes per posting: a movement's distribution and device are copies, with no key or index of their own

``account_movements.distribution_id`` and ``device_id`` copy the subject event's distribution and device, which
``events`` holds by foreign key; distributions and devices are never deleted. No query reads movements by
distribution alone (the packs go through each account, ``account_id`` leading the statement index). Their index entry
and their two foreign-key checks cost about a tenth of posting a synced payment on PostgreSQL (docs/performance.md,
"Posting synced events on the ledger").

Revision ID: 0019_movement_copies
Revises: 0018_sealed_keys
Create Date: 2026-12-05 00:00:00

"""

from alembic import op

revision = "0019_movement_copies"
down_revision = "0018_sealed_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_account_movements_distribution_id")
        batch_op.drop_constraint("fk_account_movements_distribution_id_distributions", type_="foreignkey")
        batch_op.drop_constraint("fk_account_movements_device_id_devices", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_account_movements_device_id_devices", "devices", ["device_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_account_movements_distribution_id_distributions", "distributions", ["distribution_id"], ["id"]
        )
        batch_op.create_index("ix_account_movements_distribution_id", ["distribution_id"], unique=False)
