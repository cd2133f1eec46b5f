"""Households in the order of the cards to print and of the membership list

The cards to print order active members with a ticket by ``ticket_issued_on DESC`` then by name, and the membership
list shows the never paid, then the ended, then the ending soon, each by name: both sorted every active household to
show one page (190–325 ms in ``bench/scale.py`` at 200,000 households). These two partial indexes hold those orders.

Revision ID: 0024_list_orders
Revises: 0023_push_deliveries_last
Create Date: 2026-12-05 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_list_orders"
down_revision = "0023_push_deliveries_last"
branch_labels = None
depends_on = None

CARDS_WHERE = "status = 'active' AND ticket_serial IS NOT NULL AND ticket_serial >= ticket_min_serial"
DUE_WHERE = "status = 'active'"


def upgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(
            "ix_households_cards",
            [sa.literal_column("ticket_issued_on").desc(), "last_name", "first_name", "id"],
            unique=False,
            postgresql_where=sa.text(CARDS_WHERE),
            sqlite_where=sa.text(CARDS_WHERE),
        )
        batch_op.create_index(
            "ix_households_membership_due",
            ["membership_paid_until", "last_name", "first_name", "id"],
            unique=False,
            postgresql_where=sa.text(DUE_WHERE),
            sqlite_where=sa.text(DUE_WHERE),
        )


def downgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_membership_due")
        batch_op.drop_index("ix_households_cards")
