"""Revocations by revision, and a pack's revocations by point

``households.ticket_revision`` orders the changes of ``ticket_min_serial`` across the network, so that phones
download the revocations after the revision they hold (``GET /api/tickets/trust?since=``) instead of the whole
list; the members already revoked get their id as revision (the next ones come after every id). A partial index
finds the revoked members of a point for its packs. docs/tickets.md, "What phones download".

Revision ID: 0021_ticket_revisions
Revises: 0020_member_search
Create Date: 2026-12-05 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_ticket_revisions"
down_revision = "0020_member_search"
branch_labels = None
depends_on = None


def _where(condition):
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_revision", sa.BigInteger(), nullable=True))
    op.execute("UPDATE households SET ticket_revision = id WHERE ticket_min_serial > 0")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(
            "ix_households_ticket_revision", ["ticket_revision"], unique=True, **_where("ticket_revision IS NOT NULL")
        )
        batch_op.create_index("ix_households_revoked_by_point", ["point_id"], unique=False, **_where("ticket_min_serial > 0"))


def downgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_revoked_by_point")
        batch_op.drop_index("ix_households_ticket_revision")
        batch_op.drop_column("ticket_revision")
