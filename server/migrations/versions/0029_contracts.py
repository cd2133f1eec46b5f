"""Season contracts: a producer's offer at a point for a period, its products and prices per delivery, the
households subscribed (or waiting), their quantities and absences; order lines remember the contract that generated
them and whether they were paid in advance

Revision ID: 0029_contracts
Revises: 0028_extras
Create Date: 2026-12-05 11:46:47.288209

"""

import sqlalchemy as sa
from alembic import op

revision = "0029_contracts"
down_revision = "0028_extras"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum(
                "every", "fortnightly", "chosen", name="contract_frequency", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "payment",
            sa.Enum(
                "per_delivery", "cheques", "prepaid", name="contract_payment", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("cheque_count", sa.Integer(), nullable=False),
        sa.Column("subscriptions_open", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("absence_cap", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("absence_cap >= 0", name=op.f("ck_contracts_absence_cap_not_negative")),
        sa.CheckConstraint("cheque_count >= 0", name=op.f("ck_contracts_cheque_count_not_negative")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_contracts_ends_after_start")),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], name=op.f("fk_contracts_point_id_points")),
        sa.ForeignKeyConstraint(["producer_id"], ["producers.id"], name=op.f("fk_contracts_producer_id_producers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_point_id"), ["point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_producer_id"), ["producer_id"], unique=False)

    op.create_table(
        "contract_dates",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_dates_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_contract_dates_distribution_id_distributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "distribution_id", name=op.f("pk_contract_dates")),
    )
    with op.batch_alter_table("contract_dates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_dates_distribution_id"), ["distribution_id"], unique=False)

    op.create_table(
        "contract_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=False),
        sa.Column("default_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("default_quantity > 0", name=op.f("ck_contract_products_quantity_positive")),
        sa.CheckConstraint("unit_price_cents >= 0", name=op.f("ck_contract_products_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_products_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_contract_products_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_products")),
        sa.UniqueConstraint("contract_id", "product_id", name=op.f("uq_contract_products_contract_id_product_id")),
    )
    with op.batch_alter_table("contract_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_products_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_products_product_id"), ["product_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "waiting", name="subscription_status", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("partner_starts", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "partner_id IS NULL OR partner_id <> household_id", name=op.f("ck_subscriptions_partner_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_subscriptions_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_subscriptions_household_id_households")
        ),
        sa.ForeignKeyConstraint(["partner_id"], ["households.id"], name=op.f("fk_subscriptions_partner_id_households")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("contract_id", "household_id", name=op.f("uq_subscriptions_contract_id_household_id")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("skip", "given", "offered", name="absence_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("given_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'given') = (given_to_id IS NOT NULL)", name=op.f("ck_absences_given_names_household")
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_absences_distribution_id_distributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["given_to_id"], ["households.id"], name=op.f("fk_absences_given_to_id_households")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_absences_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
        sa.UniqueConstraint(
            "subscription_id", "distribution_id", name=op.f("uq_absences_subscription_id_distribution_id")
        ),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absences_distribution_id"), ["distribution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_absences_given_to_id"), ["given_to_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_absences_subscription_id"), ["subscription_id"], unique=False)

    op.create_table(
        "subscription_quantities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("contract_product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_subscription_quantities_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["contract_product_id"],
            ["contract_products.id"],
            name=op.f("fk_subscription_quantities_contract_product_id_contract_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_quantities_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_quantities")),
        sa.UniqueConstraint(
            "subscription_id",
            "contract_product_id",
            name=op.f("uq_subscription_quantities_subscription_id_contract_product_id"),
        ),
    )
    with op.batch_alter_table("subscription_quantities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_quantities_contract_product_id"), ["contract_product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_quantities_subscription_id"), ["subscription_id"], unique=False
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paid_in_advance", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_order_lines_contract_id"), ["contract_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_contract_id_contracts"), "contracts", ["contract_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_order_lines_contract_id_contracts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_order_lines_contract_id"))
        batch_op.drop_column("paid_in_advance")
        batch_op.drop_column("contract_id")

    with op.batch_alter_table("subscription_quantities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_quantities_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_quantities_contract_product_id"))

    op.drop_table("subscription_quantities")
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absences_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_absences_given_to_id"))
        batch_op.drop_index(batch_op.f("ix_absences_distribution_id"))

    op.drop_table("absences")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_partner_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_household_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_contract_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("contract_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_products_product_id"))
        batch_op.drop_index(batch_op.f("ix_contract_products_contract_id"))

    op.drop_table("contract_products")
    with op.batch_alter_table("contract_dates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_dates_distribution_id"))

    op.drop_table("contract_dates")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_producer_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_point_id"))

    op.drop_table("contracts")
