"""The network's own settings: one row per deployment."""

from datetime import time

from sqlalchemy import JSON, Boolean, Integer, String, Time, false
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from sync.vocabulary import CURRENCY, PAYMENT_METHODS


class NetworkSettings(db.Model):
    """Name, currency, timezone and the payment methods a network accepts (a single row, id 1); whether the
    volunteer's phone names a member's tier at the counter (off: the phone says what to hand over and what to collect,
    never which tier a household is on)."""

    __tablename__ = "network_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    payment_methods: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(PAYMENT_METHODS[:4]))
    show_tier_at_counter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Accounts (docs/accounts.md): how far a prepaid balance may go below zero (an allowance never does).
    prepaid_floor_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The dashboard's "to check" (docs/dashboard.md): a phone's cash gap beyond this is listed, and so is a balance
    # below ``low_balance_cents`` (0: only balances below zero).
    cash_gap_threshold_cents: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    low_balance_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Membership (adhésion): the yearly fee per household (0: the network asks none), and whether a household whose
    # membership is due is refused at the point (off: the phone warns, the basket is handed over).
    membership_fee_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    membership_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When a distribution's orders close unless it says otherwise (``server.domain.orders_close``): this many days
    # before its day, at this local time.
    orders_close_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    orders_close_time: Mapped[time] = mapped_column(Time, default=time(12, 0), server_default="12:00:00")

    @classmethod
    def current(cls) -> "NetworkSettings":
        """The settings row, created with defaults on first use."""
        settings = db.session.get(cls, 1)
        if settings is None:
            settings = cls(id=1, name="Comptoir")
            db.session.add(settings)
            db.session.flush()
        return settings
