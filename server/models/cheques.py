"""Cheques: each cheque a member gave, with the producer it is made out to, followed until it is handed to that
producer or deposited. See ``docs/producers.md``, "Cheques".

A cheque taken at the point comes from a synced payment (or credit) by cheque: one row per event (``event_id`` is
unique), made in the transaction that stores the event, ``voided`` while the event is voided. A season's expected
cheques (a contract paid in advance by cheques spread over the season's months) are rows of the same table with
no event, their ``contract``, a ``planned_month`` and the state ``expected``, until the treasurer receives them
(``server.domain.cheque_calendar``).
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.contracts import Contract
from server.models.distribution import Distribution
from server.models.people import Household, User
from server.models.producers import Producer
from server.models.types import UTCDateTime
from sync.vocabulary import CHEQUE_STATES


class Cheque(db.Model):
    """A cheque of ``amount_cents`` from ``household`` to ``payee`` (None: the network, or not named yet).

    ``received_on`` is the network's local date it was received (the day of the distribution it was taken at);
    ``state_on`` and ``state_by`` say when and by whom it was handed over or deposited."""

    __tablename__ = "cheques"
    __table_args__ = (
        # The cheques page and export: by payee, by state, by day (newest first), paged.
        Index("ix_cheques_payee_received", "payee_producer_id", "received_on", "id"),
        Index("ix_cheques_state_received", "state", "received_on", "id"),
        Index("ix_cheques_received", "received_on", "id"),
        # A contract's cheque calendar: its subscribers' cheques, month by month.
        Index("ix_cheques_contract_household", "contract_id", "household_id", "planned_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True)  # None: expected, or recorded by hand
    payee_producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(Integer)  # the order it paid for (no key: kept if orders go)
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("distributions.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(200), default="", server_default="")
    state: Mapped[str] = mapped_column(
        Enum(*CHEQUE_STATES, name="cheque_state", native_enum=False, create_constraint=True), default="received"
    )
    received_on: Mapped[date | None] = mapped_column(Date)
    planned_month: Mapped[date | None] = mapped_column(Date)  # an expected cheque: the first day of its month
    # A season's cheque (a contract paid by cheques): expected, then received, handed over or deposited.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    bank: Mapped[str] = mapped_column(String(120), default="", server_default="")
    state_on: Mapped[date | None] = mapped_column(Date)
    state_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payee: Mapped[Producer | None] = relationship()
    household: Mapped[Household | None] = relationship()
    distribution: Mapped[Distribution | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    state_by: Mapped[User | None] = relationship()
