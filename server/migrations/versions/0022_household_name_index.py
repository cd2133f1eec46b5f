"""Households by name: the index the members list, the cards to print and the membership list page through

Those lists order every household of the network by (last name, first name, id) and show one page; without an index
PostgreSQL read and sorted all 200,000 to show 25 (150–250 ms a page in ``bench/scale.py``; 0.1 ms with it).

Revision ID: 0022_household_name_index
Revises: 0021_ticket_revisions
Create Date: 2026-12-05 00:00:00

"""

from alembic import op

revision = "0022_household_name_index"
down_revision = "0021_ticket_revisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index("ix_households_name", ["last_name", "first_name", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_name")
