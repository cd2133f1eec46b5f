"""Members' money held by the network: prepaid balances and solidarity allowances, as append-only movements.

An account's ``balance_cents`` is the sum of its movements, kept in step by the database on every insert (the
``after_insert`` listener below, and ``server.domain.ledger.post_many`` for bulk inserts): pages and packs read a
column, never a sum over the network. Movements are never updated or deleted; a correction is a new movement that
names what it corrects. See ``docs/accounts.md``.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.people import Household
from server.models.types import UTCDateTime
from sync.vocabulary import ACCOUNT_KINDS, MOVEMENT_KINDS


class Account(db.Model):
    """One household's account of one kind; its balance is the sum of its movements."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))  # leads (household_id, kind)
    kind: Mapped[str] = mapped_column(
        Enum(*ACCOUNT_KINDS, name="account_kind", native_enum=False, create_constraint=True)
    )
    balance_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    household: Mapped[Household] = relationship(back_populates="accounts")
    movements: Mapped[list["AccountMovement"]] = relationship(back_populates="account", order_by="AccountMovement.id")

    # No index holds the balance: posting then moves it in place (on PostgreSQL a heap-only update, given room on
    # the row's page: the fill factor below), migration 0025_balances_unindexed.
    __table_args__ = (UniqueConstraint("household_id", "kind"),)

    def movements_sum_cents(self) -> int:
        """The sum of the movements, read from the database: what ``balance_cents`` must equal."""
        return db.session.scalar(
            select(func.coalesce(func.sum(AccountMovement.amount_cents), 0)).where(
                AccountMovement.account_id == self.id
            )
        )


ROOM_FOR_BALANCES = DDL("ALTER TABLE accounts SET (fillfactor = 80)").execute_if(dialect="postgresql")
event.listen(Account.__table__, "after_create", ROOM_FOR_BALANCES)


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both engines."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


class AccountMovement(db.Model):
    """A credit (positive) or debit (negative) on an account, traceable to what made it.

    ``event_id`` is the synced event that posted it (unique per account: a posting is never made twice);
    ``subject_event_id`` the payment (or point top-up) whose effect it carries or corrects; ``corrects_id`` the
    movement an admin's correction or refund names; ``actor_id`` the admin; ``period`` the allowance cycle
    (``2026-12``: unique per account and kind, so a cycle is credited once); ``distribution_id`` where it was taken.
    """

    __tablename__ = "account_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))  # leads (account_id, event_id)
    amount_cents: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(
        Enum(*MOVEMENT_KINDS, name="movement_kind", native_enum=False, create_constraint=True, length=20),
        default="opening",
        server_default="opening",
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    event_id: Mapped[str | None] = mapped_column(String(36))
    subject_event_id: Mapped[str | None] = mapped_column(String(36), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("account_movements.id"))
    # Where and by which phone the movement was taken: copies of its subject event's distribution and device, which
    # the event holds by foreign key (neither is ever deleted). No foreign key or index of their own: the packs read
    # a distribution's movements through each account, and two key checks per synced payment cost a tenth of posting.
    distribution_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str | None] = mapped_column(String(20))
    method_details: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str | None] = mapped_column(String(7))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="movements")

    __table_args__ = (
        # The keys that make posting idempotent, each on the movements that have one (a payment has no period, a
        # cycle credit no event): an index entry fewer for each movement.
        Index("uq_account_movements_event", "account_id", "event_id", unique=True, **_where("event_id IS NOT NULL")),
        Index(
            "uq_account_movements_period", "account_id", "kind", "period", unique=True, **_where("period IS NOT NULL")
        ),
        # A statement newest first, and a balance at a date (server/statements.py, the balances export).
        Index("ix_account_movements_statement", "account_id", "occurred_at", "id"),
        # The movements of a period, in order (the movements export).
        Index("ix_account_movements_occurred_at", "occurred_at", "id"),
        # What the server posted at a distribution after the phones' uploads (a shortage's credit-back, a prepaid
        # contract's debits), read again after each upload: server/domain/shortage_credits.py, contract_debits.py.
        Index(
            "ix_account_movements_recomputed",
            "distribution_id",
            "kind",
            **_where("kind IN ('shortage_credit', 'contract_debit')"),
        ),
    )


@event.listens_for(AccountMovement, "after_insert")
def _add_to_balance(_mapper, connection, movement: AccountMovement) -> None:
    """Every movement inserted through the ORM moves its account's balance, in the same transaction."""
    connection.execute(
        update(Account)
        .where(Account.id == movement.account_id)
        .values(balance_cents=Account.balance_cents + movement.amount_cents)
    )
    connection.info.setdefault("comptoir_moved_accounts", set()).add(movement.account_id)


@event.listens_for(Session, "after_flush_postexec")
def _expire_moved_balances(session: Session, _context) -> None:
    """Accounts loaded in this session read their new balance from the database next time."""
    moved = session.connection().info.pop("comptoir_moved_accounts", None)
    if not moved:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account) and obj.id in moved:
            session.expire(obj, ["balance_cents"])
