"""Producers sorted as French readers expect: a sort key beside the name (case, accents and ligatures aside),
indexed with the id so the producers list pages on it

Revision ID: 0031_producer_sort_names
Revises: 0030_shortage_credits
Create Date: 2026-12-05 15:00:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0031_producer_sort_names"
down_revision = "0030_shortage_credits"
branch_labels = None
depends_on = None


def sort_key(text: str) -> str:
    """``server.search_text.sort_key`` as it was when this migration was written."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})))
    return "".join(c for c in folded if not unicodedata.combining(c)).strip()


def upgrade():
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_name", sa.String(length=240), server_default="", nullable=False))
    connection = op.get_bind()
    # A network has tens of producers, not thousands: their names are read and keyed here, once.
    for producer_id, name in connection.execute(sa.text("SELECT id, name FROM producers")).all():
        connection.execute(
            sa.text("UPDATE producers SET sort_name = :key WHERE id = :id"), {"key": sort_key(name), "id": producer_id}
        )
    op.create_index("ix_producers_sort_name", "producers", ["sort_name", "id"], unique=False)


def downgrade():
    op.drop_index("ix_producers_sort_name", table_name="producers")
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.drop_column("sort_name")
