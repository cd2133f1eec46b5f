"""SSA contributions: one row per contribution a household paid at the point (a synced payment whose purpose is
``contribution``), with the allowance period it pays (the period of the day it was paid, by the network's rule).
Whether a household's period is paid is read here, never summed from events. See ``docs/accounts.md``,
"Contributions".
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime


class Contribution(db.Model):
    """A contribution paid on ``paid_on`` (the network's local date) for ``period`` ("2026-12", "2026W49": the
    allowance period's code). ``event_id``: the synced payment (unique: one row per event). ``voided``: the payment
    was voided at the point (a void of the void restores it)."""

    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contributions_household_period", "household_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    period: Mapped[str] = mapped_column(String(7))
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    method_details: Mapped[str | None] = mapped_column(String(200))
    paid_on: Mapped[date] = mapped_column(Date)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
