"""Members' money held by the network: prepaid balances and solidarity allowances, as append-only movements."""

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.people import Household
from server.models.types import UTCDateTime
from sync.vocabulary import ACCOUNT_KINDS


class Account(db.Model):
    """One household's account of one kind; its balance is the sum of its movements."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(
        Enum(*ACCOUNT_KINDS, name="account_kind", native_enum=False, create_constraint=True)
    )

    household: Mapped[Household] = relationship(back_populates="accounts")
    movements: Mapped[list["AccountMovement"]] = relationship(back_populates="account", order_by="AccountMovement.id")

    __table_args__ = (UniqueConstraint("household_id", "kind"),)

    @property
    def balance_cents(self) -> int:
        return db.session.scalar(
            select(func.coalesce(func.sum(AccountMovement.amount_cents), 0)).where(
                AccountMovement.account_id == self.id
            )
        )


class AccountMovement(db.Model):
    """A credit (positive) or debit (negative) on an account, traceable to a reason and, when synced, an event."""

    __tablename__ = "account_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="movements")
