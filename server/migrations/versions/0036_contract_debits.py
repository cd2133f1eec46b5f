"""Season contracts paid from the prepaid account: a movement kind for what the account is debited for the contract
lines handed over (``server/domain/contract_debits.py``), and an index on what the server posts at a distribution
after each upload (the credit-backs and these debits, read again each time)

Revision ID: 0036_contract_debits
Revises: 0033_cheque_calendar
Create Date: 2026-12-05 15:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0036_contract_debits"
down_revision = "0034_orders_close"
branch_labels = None
depends_on = None

BEFORE = (
    "payment",
    "void",
    "resolution",
    "point_top_up",
    "top_up",
    "refund",
    "correction",
    "cycle_credit",
    "cycle_expiry",
    "opening",
    "shortage_credit",
)
AFTER = (*BEFORE, "contract_debit")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _check(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("account_movements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_account_movements_movement_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_account_movements_movement_kind"), sa.text(_kinds(kinds)))


INDEX = "ix_account_movements_recomputed"
RECOMPUTED = "kind IN ('shortage_credit', 'contract_debit')"


def upgrade():
    _check(AFTER)
    op.create_index(
        INDEX,
        "account_movements",
        ["distribution_id", "kind"],
        unique=False,
        postgresql_where=sa.text(RECOMPUTED),
        sqlite_where=sa.text(RECOMPUTED),
    )


def downgrade():
    op.drop_index(INDEX, table_name="account_movements")
    # The debits go with their kind; the balances they moved are put back first, so each stays its movements' sum.
    op.execute(
        sa.text(
            "UPDATE accounts SET balance_cents = balance_cents - (SELECT COALESCE(SUM(m.amount_cents), 0) "
            "FROM account_movements m WHERE m.account_id = accounts.id AND m.kind = 'contract_debit')"
        )
    )
    op.execute(sa.text("DELETE FROM account_movements WHERE kind = 'contract_debit'"))
    _check(BEFORE)
