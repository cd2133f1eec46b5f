"""What a coordinator checks after a day, per distribution, as the last conflict check read it from the events.

Kept beside the conflicts (``server.domain.events.refresh_conflicts`` reads the events and projects them anyway),
so the dashboard and the weekly summary read a few indexed rows instead of projecting every distribution's events on
each request. See ``docs/dashboard.md``."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime


class DistributionCheck(db.Model):
    """The check figures of one distribution (one row each, replaced at every check).

    ``cash_boxes`` holds one ``{"device", "expected_cents", "counted_cents", "difference_cents"}`` per phone that
    had a cash box (``difference_cents`` None: not counted at closing), as the log shows them (at the count);
    ``by_method`` the cents paid by each payment method."""

    __tablename__ = "distribution_checks"

    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id", ondelete="CASCADE"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    collected: Mapped[int] = mapped_column(Integer, default=0)
    partially_collected: Mapped[int] = mapped_column(Integer, default=0)
    not_collected: Mapped[int] = mapped_column(Integer, default=0)
    refused_scans: Mapped[int] = mapped_column(Integer, default=0)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    by_method: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    cash_boxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The largest gap between counted and expected cash of one phone, as a positive number of cents.
    largest_cash_gap_cents: Mapped[int] = mapped_column(Integer, default=0)
