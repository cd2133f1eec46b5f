"""Posting to members' accounts: the one way money moves on an account (``docs/accounts.md``).

``post`` adds one movement (an admin's top-up or correction); ``post_many`` adds many at once, on the accounts of
one kind of the households named; ``post_on_accounts`` adds a batch on accounts already known (synced payments, the
scheduled cycle credits), in two statements whatever its size. All are idempotent where the movement has a key: the
same event on the same account, or the same cycle period and kind on the same account, is posted once, even by two
connections at once (the database's unique constraints decide; the loser's row is skipped, not an error). Balances
move in the same statement or transaction as the movement. Callers flush or commit; this module never commits.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import JSON, ColumnElement, Text, any_, bindparam, cast, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from server.clock import utcnow
from server.extensions import db
from server.models import Account, AccountMovement, User

T = TypeVar("T")


def _insert(table):
    """An INSERT … ON CONFLICT DO NOTHING for the engine in use (SQLite and PostgreSQL say it the same way)."""
    dialect = postgresql if _postgresql() else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def among(column: Any, name: str) -> ColumnElement[bool]:
    """``column IN :name``, the values bound later with ``listed``: the same statement whatever the count, so it can
    be built once and neither SQLAlchemy nor psycopg prepares it again for each upload. On PostgreSQL the values
    travel as one JSON parameter, read once into an array (``= ANY(ARRAY(SELECT … FROM json_array_elements_text(…)))``:
    an index lookup per value): psycopg dumps a text array value by value, a regular expression each, a few
    milliseconds for a batch's ids. On SQLite ``IN (SELECT value FROM json_each(…))``, likewise one parameter (an
    expanding ``IN (…)`` was rendered and prepared again for each batch: a parameter per value)."""
    if _postgresql():
        document = cast(bindparam(name, type_=Text), JSON)
        element = func.json_array_elements_text(document).column_valued("value")
        return column == any_(func.array(select(cast(element, column.type)).scalar_subquery()))
    return column.in_(select(func.json_each(bindparam(name, type_=Text)).table_valued("value").c.value))


def listed(values: Sequence[Any]) -> str:
    """What ``among`` binds for ``values``: one JSON array."""
    return json.dumps(list(values))


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def built(make: Callable[[], T]) -> Callable[[], T]:
    """``make``'s statement built once per database engine kind (``among`` says it differently on each), for the
    hot paths of an upload: building and keying a statement costs about a millisecond."""
    made: dict[str, T] = {}

    def statement() -> T:
        dialect = db.engine.dialect.name
        if dialect not in made:
            made[dialect] = make()
        return made[dialect]

    return statement


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
        found.update(db.session.execute(_accounts_of_kind(), {"kind": kind, "ids": listed(chunk)}).tuples().all())
    return found


_accounts_of_kind = built(
    lambda: select(Account.household_id, Account.id).where(
        Account.kind == bindparam("kind"), among(Account.household_id, "ids")
    )
)


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
    return posted[0].id if posted else None


class Posted(NamedTuple):
    """A movement inserted, and its account's balance once every movement of the same call is in."""

    id: int
    account_id: int
    amount_cents: int
    balance_cents: int


def post_many(account_kind: str, rows: Mapping[int, list[dict[str, Any]]]) -> list[Posted]:
    """Post movements on the accounts of ``account_kind`` (household id → movement columns, without ``account_id``),
    creating the accounts that do not exist yet; those whose key is already taken are skipped. Returns the
    movements inserted; their accounts' balances have moved by exactly their amounts."""
    accounts = accounts_for(rows, account_kind)
    return post_on_accounts(
        [
            row | {"account_id": accounts[household_id]}
            for household_id, household_rows in rows.items()
            for row in household_rows
        ]
    )


def post_on_accounts(rows: list[dict[str, Any]]) -> list[Posted]:
    """Post movements on accounts already known (each row: ``account_id``, ``amount_cents``, ``kind`` and any other
    movement column; those whose key is taken are skipped) and move their balances, in two statements whatever the
    number of rows: the scheduled credits of a whole network, a batch of synced payments. Returns the movements
    inserted, each with its account's balance after them all (what an overdraft check needs, without reading it
    back)."""
    if not rows:
        return []
    now = utcnow()
    values = [{"created_at": now, "occurred_at": now} | row for row in rows]
    posted = _insert_and_move_postgresql(values) if _postgresql() else _insert_and_move_sqlite(values)
    moved = {row.account_id for row in posted}
    for account in db.session.identity_map.values():
        if isinstance(account, Account) and account.id in moved:
            db.session.expire(account, ["balance_cents"])
    return posted


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """The movements as one JSON parameter: every column given (a missing one takes its default), times in ISO with
    their offset."""
    defaults = {column.name: column.default.arg for column in AccountMovement.__table__.c if _scalar_default(column)}
    return json.dumps([defaults | row for row in rows], default=_iso)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # as UTCDateTime refuses it: PostgreSQL would read it in the session's time zone
        raise ValueError("naive datetime given to a movement")
    return value.isoformat()


def _scalar_default(column: Any) -> bool:
    return column.default is not None and column.default.is_scalar


def _insert_and_move_postgresql(rows: list[dict[str, Any]]) -> list[Posted]:
    """Insert the movements and move their accounts' balances in one statement: the rows as one JSON parameter
    (``json_to_recordset``: the same statement whatever the number of rows, so psycopg keeps it prepared, and one
    ``json.dumps`` where arrays of text would be escaped value by value), the balances updated from what the insert
    returned (the rows skipped by ``ON CONFLICT`` move nothing; the accounts found by primary key whatever the
    tables' statistics say) and returned with it."""
    return [Posted(*row) for row in db.session.execute(_movements_and_balances(), {"rows": _json_rows(rows)})]


@built
def _movements_and_balances() -> Any:
    table = AccountMovement.__table__
    columns = [column for column in table.c if column.name != "id"]
    names = ", ".join(column.name for column in columns)
    record = ", ".join(f"{column.name} {column.type.compile(dialect=db.engine.dialect)}" for column in columns)
    accounts = Account.__table__.name
    return text(
        f"WITH inserted AS (INSERT INTO {table.name} ({names}) SELECT {names} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS r({record}) "
        "ON CONFLICT DO NOTHING RETURNING id, account_id, amount_cents), "
        "sums AS (SELECT account_id, sum(amount_cents) AS cents FROM inserted GROUP BY account_id), "
        f"moved AS (UPDATE {accounts} SET balance_cents = {accounts}.balance_cents + sums.cents FROM sums "
        f"WHERE {accounts}.id = ANY(ARRAY(SELECT account_id FROM sums)) AND {accounts}.id = sums.account_id "
        f"RETURNING {accounts}.id, {accounts}.balance_cents) "
        "SELECT inserted.id, account_id, amount_cents, moved.balance_cents "
        "FROM inserted JOIN moved ON moved.id = inserted.account_id"
    )


def _insert_and_move_sqlite(rows: list[dict[str, Any]]) -> list[Posted]:
    """Insert the movements (a multi-row ``INSERT … RETURNING`` per 1,000 rows, given to the driver as they are once
    each column's type has made its values what the ORM stores: SQLAlchemy's own executemany spent more time in
    Python than SQLite in the insert), then move their accounts' balances by what the insert returned (the rows
    skipped by ``ON CONFLICT`` move nothing) in one ``UPDATE … FROM json_each(…) RETURNING``."""
    table = AccountMovement.__table__
    dialect = db.engine.dialect
    columns = [column for column in table.c if column.name != "id"]
    names = [column.name for column in columns]
    blank = dict.fromkeys(names) | {column.name: column.default.arg for column in columns if _scalar_default(column)}
    pick = itemgetter(*names)
    # Each column's type makes a value what the ORM stores; a batch repeats its values (one time of posting, a few
    # kinds and event times), so each distinct one is made once.
    processors = [
        (i, processor, {})
        for i, column in enumerate(columns)
        if (processor := column.type.bind_processor(dialect)) is not None
    ]
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    one = "(" + ", ".join("?" * len(columns)) + ")"
    connection = db.session.connection()
    inserted = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        values: list[Any] = []
        for row in chunk:
            row_values = list(pick(blank | row))
            for i, processor, made in processors:
                value = row_values[i]
                if value not in made:
                    made[value] = processor(value)
                row_values[i] = made[value]
            values += row_values
        statement = (
            head + ", ".join([one] * len(chunk)) + " ON CONFLICT DO NOTHING RETURNING id, account_id, amount_cents"
        )
        inserted += connection.exec_driver_sql(statement, tuple(values)).all()
    if not inserted:
        return []
    sums: dict[int, int] = {}
    for _id, account_id, cents in inserted:
        sums[account_id] = sums.get(account_id, 0) + cents
    accounts = Account.__table__.name
    moved = db.session.execute(
        text(
            f"UPDATE {accounts} SET balance_cents = {accounts}.balance_cents + sums.cents "
            "FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS cents FROM json_each(:sums)) AS sums "
            f"WHERE {accounts}.id = sums.id RETURNING {accounts}.id, {accounts}.balance_cents"
        ),
        {"sums": json.dumps(list(sums.items()))},
    )
    balances = dict(moved.tuples().all())
    return [Posted(id_, account_id, cents, balances[account_id]) for id_, account_id, cents in inserted]
