"""The order in which stored events become visible: the pull cursor's guarantee (``docs/sync-protocol.md``,
"Arrival order").

Phones pull ``events.position > cursor`` and move their cursor to the last position they received, so a position
must never become visible after a higher one did. A sequence (PostgreSQL) hands positions out at insert and they
become visible at commit: two uploads running at once can commit in the other order, and a phone pulling in
between would move its cursor past the lower position for ever. So every writer of the ``events`` table takes the
one event-log lock before it inserts, and keeps it until it commits: positions are then handed out and committed
one transaction at a time, in order. The lock also makes "is this id already stored?" exact for the writer holding
it, which is how a batch sent on several connections at once is accepted once.

Only the insert-to-commit stretch is serialised: validation and hashing happen before, and pulls never take it.
"""

from sqlalchemy import text

from server.extensions import db

# pg_advisory_xact_lock takes one 64-bit key, shared by the whole database: this one is the event log's.
EVENT_LOG_LOCK_KEY = 0x436F6D70_45764C67  # "Comp" "EvLg"


def lock_event_log() -> None:
    """Wait for the event-log lock; it is released when the current transaction commits or rolls back.

    Take it before anything else that locks rows in the same transaction (a distribution ``FOR UPDATE``): an
    insert into ``events`` checks its distribution's row, so the other order could deadlock.

    PostgreSQL: a transaction-level advisory lock. SQLite has one writer at a time already; a write that changes
    nothing starts the write transaction here (Python's driver opens it at the first write), so what is read next
    is read by the only writer, as on PostgreSQL.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK_KEY})
    else:
        db.session.execute(text("UPDATE events SET position = position WHERE 0 = 1"))
