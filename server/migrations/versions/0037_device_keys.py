"""Device keys and store-and-forward: each phone's Ed25519 public key (``devices.public_key``, registered once), the
signature kept with each event (``events.signature``) and the device that relayed an event recorded by another
(``events.relayed_by_device_id``): ``sync/signatures.py``, ``docs/sync-protocol.md``

Revision ID: 0037_device_keys
Revises: 0036_contract_debits
Create Date: 2026-12-05 17:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0037_device_keys"
down_revision = "0036_contract_debits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column("public_key_registered_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=86), nullable=True))
        batch_op.add_column(sa.Column("relayed_by_device_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_relayed_by_device_id_devices"), "devices", ["relayed_by_device_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_relayed_by_device_id_devices"), type_="foreignkey")
        batch_op.drop_column("relayed_by_device_id")
        batch_op.drop_column("signature")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("public_key_registered_at")
        batch_op.drop_column("public_key")
