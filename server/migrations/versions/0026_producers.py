"""Producers as records: products belong to a producer, are sold by the piece, the kg or the litre, and may be
marked as payable from an SSA allowance

Each distinct non-empty ``products.producer`` text becomes a producer of that name, and its products point at it;
the text column goes. Downgrade writes the producer's name back.

Revision ID: 0026_producers
Revises: 0025_balances_unindexed
Create Date: 2026-12-05 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026_producers"
down_revision = "0025_balances_unindexed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "producers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("contact", sa.String(length=120), server_default="", nullable=False),
        sa.Column("email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=40), server_default="", nullable=False),
        sa.Column("cheque_payee", sa.String(length=120), server_default="", nullable=False),
        sa.Column("iban", sa.String(length=34), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_producers")),
        sa.UniqueConstraint("name", name=op.f("uq_producers_name")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("producer_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sold_by",
                sa.Enum("piece", "kg", "litre", name="product_sold_by", native_enum=False, create_constraint=True),
                server_default="piece",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("allowance_eligible", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index(batch_op.f("ix_products_producer_id"), ["producer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_products_producer_id_producers"), "producers", ["producer_id"], ["id"]
        )
    op.execute(
        "INSERT INTO producers (name, active) SELECT DISTINCT trim(producer), true FROM products "
        "WHERE trim(producer) <> ''"
    )
    op.execute(
        "UPDATE products SET producer_id = (SELECT producers.id FROM producers "
        "WHERE producers.name = trim(products.producer)) WHERE trim(producer) <> ''"
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("producer")


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("producer", sa.String(length=120), server_default="", nullable=False))
    op.execute(
        "UPDATE products SET producer = (SELECT producers.name FROM producers "
        "WHERE producers.id = products.producer_id) WHERE producer_id IS NOT NULL"
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_products_producer_id_producers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_products_producer_id"))
        batch_op.drop_constraint(batch_op.f("ck_products_product_sold_by"), type_="check")
        batch_op.drop_column("allowance_eligible")
        batch_op.drop_column("sold_by")
        batch_op.drop_column("producer_id")
    op.drop_table("producers")
