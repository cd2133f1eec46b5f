"""Membership fees (adhésion): one row per fee paid, at the point (a synced payment whose purpose is ``membership``)
or recorded by an admin. A household's ``membership_paid_until`` is derived from its fees that are not voided
(``server.domain.membership``), so the same event stored twice or a void never counts twice. See
``docs/accounts.md``, "Membership".
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime


class MembershipFee(db.Model):
    """A fee paid on ``paid_on`` (the network's local date). ``event_id``: the synced payment that brought it (unique:
    one fee per event); ``recorded_by_id``: the admin who recorded a fee paid outside the point. ``voided``: the
    payment was voided at the point (a void of the void restores it) or by an admin."""

    __tablename__ = "membership_fees"
    __table_args__ = (Index("ix_membership_fees_paid_on", "paid_on", "id"),)  # the fees export, by day

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    method_details: Mapped[str | None] = mapped_column(String(200))
    paid_on: Mapped[date] = mapped_column(Date)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("distributions.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
