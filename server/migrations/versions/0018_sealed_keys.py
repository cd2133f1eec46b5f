"""Private keys in the database, sealed with the secret key: ticket keys' private halves and a table for the VAPID key

The keys of an older database are files in one server's instance folder: that server imports them, sealed, on its
first request (or ``flask --app wsgi prepare`` / ``secrets import``), since sealing needs the secret key, which a
migration does not read (server/ticket_keys.py, server/push_keys.py, docs/deployment.md). A downgrade drops the
sealed keys: keys created since the upgrade exist nowhere else, so back up the database first.

Revision ID: 0018_sealed_keys
Revises: 0017_distribution_checks
Create Date: 2026-12-05 02:40:00

"""

import sqlalchemy as sa
from alembic import op

import server.models.types

revision = "0018_sealed_keys"
down_revision = "0017_distribution_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sealed_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", server.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sealed_keys")),
    )
    with op.batch_alter_table("ticket_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_private_key", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket_keys", schema=None) as batch_op:
        batch_op.drop_column("sealed_private_key")
    op.drop_table("sealed_keys")
