"""An account's statement, a page at a time, with the balance after each movement; a household's last movements.

Movements are read newest first by (``occurred_at``, ``id``) through the index ``ix_account_movements_statement``.
The balance after the newest movement of a page is the account's balance minus what came after it (one indexed
sum), and each row below is the one above minus its amount: a page costs the same on the first and the thousandth
page, and the figures agree with ``accounts.balance_cents`` (the sum of the movements) to the cent.
"""

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from server.extensions import db
from server.models import Account, AccountMovement

STATEMENT_PER_PAGE = 20


@dataclass(frozen=True)
class StatementRow:
    movement: AccountMovement
    balance_after_cents: int


@dataclass(frozen=True)
class StatementPage:
    account: Account
    rows: list[StatementRow]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _newest_first():
    return (AccountMovement.occurred_at.desc(), AccountMovement.id.desc())


def _after(movement: AccountMovement):
    """Movements of the same account that come after ``movement`` in the statement's order."""
    return and_(
        AccountMovement.account_id == movement.account_id,
        or_(
            AccountMovement.occurred_at > movement.occurred_at,
            and_(AccountMovement.occurred_at == movement.occurred_at, AccountMovement.id > movement.id),
        ),
    )


def with_balances(account: Account, movements: list[AccountMovement]) -> list[StatementRow]:
    """``movements`` (consecutive, newest first) with the balance after each."""
    if not movements:
        return []
    later = db.session.scalar(
        select(func.coalesce(func.sum(AccountMovement.amount_cents), 0)).where(_after(movements[0]))
    )
    balance = account.balance_cents - later
    rows = []
    for movement in movements:
        rows.append(StatementRow(movement, balance))
        balance -= movement.amount_cents
    return rows


def statement(account: Account, page: int = 1, per_page: int = STATEMENT_PER_PAGE) -> StatementPage:
    page = max(page, 1)
    movements = list(
        db.session.scalars(
            select(AccountMovement)
            .where(AccountMovement.account_id == account.id)
            .order_by(*_newest_first())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    has_next = len(movements) > per_page
    return StatementPage(account, with_balances(account, movements[:per_page]), page, has_next)


def last_movements(account: Account, count: int) -> list[AccountMovement]:
    return list(
        db.session.scalars(
            select(AccountMovement)
            .where(AccountMovement.account_id == account.id)
            .order_by(*_newest_first())
            .limit(count)
        )
    )
