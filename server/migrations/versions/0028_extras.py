"""The catalogue of extras: products a distribution sells at the point without a pre-order, with their stock

Revision ID: 0028_extras
Revises: 0027_cheques
Create Date: 2026-12-05 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028_extras"
down_revision = "0027_cheques"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "extras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name=op.f("ck_extras_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["distribution_id"], ["distributions.id"], name=op.f("fk_extras_distribution_id_distributions")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_extras_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extras")),
        sa.UniqueConstraint("distribution_id", "product_id", name=op.f("uq_extras_distribution_id_product_id")),
    )
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extras_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_extras_product_id"), ["product_id"], unique=False)


def downgrade():
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extras_product_id"))
        batch_op.drop_index(batch_op.f("ix_extras_distribution_id"))
    op.drop_table("extras")
