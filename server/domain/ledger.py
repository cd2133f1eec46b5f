"""Posting to members' accounts: the one way money moves on an account (``docs/accounts.md``).

``post`` adds one movement (a synced event's effect, an admin's top-up or correction); ``post_many`` adds many at
once; ``post_on_accounts`` adds a batch of keyed movements on known accounts (the scheduled cycle credits) in one
statement on PostgreSQL. Both are idempotent where the movement has a key: the same event on the same
account, or the same cycle period and kind on the same account, is posted once, even by two connections at once
(the database's unique constraints decide; the loser's row is skipped, not an error). Balances move in the same
transaction as the movement. Callers flush or commit; this module never commits.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from server.clock import utcnow
from server.extensions import db
from server.models import Account, AccountMovement, User


def _insert(table):
    """An INSERT … ON CONFLICT DO NOTHING for the engine in use (SQLite and PostgreSQL say it the same way)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def among(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``: on PostgreSQL one array parameter (``= ANY(…)``), so the statement is the same whatever
    the count and neither SQLAlchemy nor psycopg prepares it again for each upload; ``IN (…)`` on SQLite."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def accounts_for(household_ids: Iterable[int], kind: str) -> dict[int, int]:
    """Household id → the id of its account of ``kind``, creating the accounts that do not exist yet (safe when
    another connection creates the same account at the same time). Accounts already there are only read: an
    upload that posts on them costs one select, not an insert per household."""
    wanted = sorted(set(household_ids))
    if not wanted:
        return {}
    found = _account_ids(wanted, kind)
    missing = [household_id for household_id in wanted if household_id not in found]
    if missing:
        db.session.execute(
            _insert(Account.__table__), [{"household_id": h, "kind": kind, "balance_cents": 0} for h in missing]
        )
        found.update(_account_ids(missing, kind))
    return found


def _account_ids(household_ids: list[int], kind: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(household_ids), 500):
        chunk = household_ids[start : start + 500]
        query = select(Account.household_id, Account.id).where(Account.kind == kind, among(Account.household_id, chunk))
        found.update(db.session.execute(query).tuples().all())
    return found


def account_for(household_id: int, kind: str) -> Account:
    """The household's account of ``kind``, created when missing."""
    return db.session.get(Account, accounts_for([household_id], kind)[household_id])


def post(
    household_id: int,
    account_kind: str,
    amount_cents: int,
    kind: str,
    *,
    reason: str = "",
    event_id: str | None = None,
    subject_event_id: str | None = None,
    corrects: AccountMovement | None = None,
    distribution_id: int | None = None,
    device_id: int | None = None,
    actor: User | None = None,
    method: str | None = None,
    method_details: str | None = None,
    period: str | None = None,
    occurred_at: datetime | None = None,
) -> int | None:
    """Post one movement; returns its id, or None when a movement with the same key is already there."""
    row = {
        "amount_cents": amount_cents,
        "kind": kind,
        "reason": reason,
        "event_id": event_id,
        "subject_event_id": subject_event_id,
        "corrects_id": corrects.id if corrects is not None else None,
        "distribution_id": distribution_id,
        "device_id": device_id,
        "actor_id": actor.id if actor is not None else None,
        "method": method,
        "method_details": method_details,
        "period": period,
        "occurred_at": occurred_at or utcnow(),
    }
    posted = post_many(account_kind, {household_id: [row]})
    return posted[0] if posted else None


def _insert_unnested(table: Any, rows: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """PostgreSQL: insert the movements and move their accounts' balances in one statement: the rows as one array
    per column (``INSERT … SELECT * FROM unnest(…)``, a dozen parameters whatever the number of rows, so psycopg
    keeps it prepared where an ``INSERT … VALUES`` of hundreds of rows is parsed again on every upload), and the
    balances updated from what the insert returned (the rows skipped by ``ON CONFLICT`` move nothing)."""
    columns = [column for column in table.c if column.name != "id"]
    dialect = db.engine.dialect
    arrays: dict[str, list[Any]] = {}
    for column in columns:
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        arrays[column.name] = [row.get(column.name, default) for row in rows]
    names = ", ".join(column.name for column in columns)
    unnested = ", ".join(f"CAST(:{column.name} AS {column.type.compile(dialect=dialect)}[])" for column in columns)
    accounts = Account.__table__.name
    statement = text(
        f"WITH inserted AS (INSERT INTO {table.name} ({names}) SELECT * FROM unnest({unnested}) "
        "ON CONFLICT DO NOTHING RETURNING id, account_id, amount_cents), "
        f"moved AS (UPDATE {accounts} SET balance_cents = {accounts}.balance_cents + sums.cents "
        "FROM (SELECT account_id, sum(amount_cents) AS cents FROM inserted GROUP BY account_id) AS sums "
        f"WHERE {accounts}.id = sums.account_id) "
        "SELECT id, account_id, amount_cents FROM inserted"
    )
    return [tuple(row) for row in db.session.execute(statement, arrays)]


def post_many(account_kind: str, rows: Mapping[int, list[dict[str, Any]]]) -> list[int]:
    """Post movements on the accounts of ``account_kind`` (household id → movement columns, without ``account_id``);
    those whose key is already taken are skipped. Returns the ids of the movements inserted; their accounts'
    balances have moved by exactly their amounts."""
    accounts = accounts_for(rows, account_kind)
    now = utcnow()
    values = [
        {"created_at": now, "occurred_at": now} | row | {"account_id": accounts[household_id]}
        for household_id, household_rows in rows.items()
        for row in household_rows
    ]
    return [movement_id for movement_id, _account, _cents in _insert_and_move(values)]


def _insert_and_move(values: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """Insert movement rows (those whose key is taken are skipped) and move their accounts' balances; returns
    (id, account id, cents) of the rows inserted."""
    if not values:
        return []
    table = AccountMovement.__table__
    on_postgresql = db.engine.dialect.name == "postgresql"
    if on_postgresql:
        inserted = _insert_unnested(table, values)  # the balances moved in the same statement
    else:
        inserted = []
        statement = _insert(table).returning(table.c.id, table.c.account_id, table.c.amount_cents)
        for start in range(0, len(values), 1000):
            inserted += db.session.execute(statement, values[start : start + 1000]).tuples().all()
    moves: dict[int, int] = {}
    for _id, account_id, cents in inserted:
        moves[account_id] = moves.get(account_id, 0) + cents
    if moves:
        if not on_postgresql:
            accounts_table = Account.__table__
            db.session.execute(
                update(accounts_table)
                .where(accounts_table.c.id == bindparam("b_id"))
                .values(balance_cents=accounts_table.c.balance_cents + bindparam("b_cents")),
                [{"b_id": account_id, "b_cents": cents} for account_id, cents in moves.items()],
            )
        for account in db.session.identity_map.values():
            if isinstance(account, Account) and account.id in moves:
                db.session.expire(account, ["balance_cents"])
    return inserted


def post_on_accounts(rows: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """Post keyed movements on accounts already known (each row: ``account_id``, ``amount_cents``, ``kind``,
    ``period``, ``reason``), as ``post_many`` does, for the scheduled cycle credits of a whole network: on
    PostgreSQL one statement per call whatever its size (``_insert_unnested``). Returns (id, account id, cents) of
    the rows inserted."""
    if not rows:
        return []
    now = utcnow()
    return _insert_and_move([{"created_at": now, "occurred_at": now} | row for row in rows])
