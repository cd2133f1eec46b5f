"""Distributions: dated openings of a point. Times are aware UTC; people type them in the network's timezone.

A new or moved distribution takes the orders of the season contracts it falls in (``server.domain.contract_orders``).
A coordinator plans, edits, opens and closes the distributions of the points they manage, and cannot move one to
a point they do not manage (``actor``: see ``server.domain.points``).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.audit import record
from server.domain import DomainError, apply_changes, audit_value, clean
from server.domain.contract_orders import local_day, regenerate_calendar
from server.domain.points import require_manager
from server.extensions import db
from server.models import Distribution, Point, User
from sync.vocabulary import DISTRIBUTION_STATUSES

DISTRIBUTION_FIELDS = ("point", "starts_at", "ends_at", "orders_close_at", "status", "notes")


def create_distribution(point: Point, data: Mapping[str, Any], *, actor: User | None = None) -> Distribution:
    require_manager(actor, point.id)
    values = clean(Distribution, data, DISTRIBUTION_FIELDS)
    values["point"] = point
    values.setdefault("status", "planned")
    if "starts_at" not in values or "ends_at" not in values:
        raise DomainError(_l("Give the start and end of the distribution."), field="starts_at")
    _check(values, None)
    distribution = Distribution(**values)
    db.session.add(distribution)
    db.session.flush()
    record(
        "distribution.create",
        target=f"distribution:{distribution.id}",
        point=point.id,
        starts_at=audit_value(distribution.starts_at),
        ends_at=audit_value(distribution.ends_at),
        status=distribution.status,
    )
    regenerate_calendar(point.id, [local_day(distribution)])
    return distribution


def update_distribution(
    distribution: Distribution, data: Mapping[str, Any], *, actor: User | None = None
) -> Distribution:
    require_manager(actor, distribution.point_id, field=None)
    values = clean(Distribution, data, DISTRIBUTION_FIELDS)
    if "point" in values:
        require_manager(actor, values["point"].id if values["point"] is not None else None)
    _check(values, distribution)
    before = (distribution.point_id, local_day(distribution))
    changes = apply_changes(distribution, values)
    if changes:
        db.session.flush()
        record("distribution.update", target=f"distribution:{distribution.id}", changes=changes)
    if "point" in changes or "starts_at" in changes:  # the season contracts' orders follow the calendar
        regenerate_calendar(before[0], [before[1]])
        regenerate_calendar(distribution.point_id, [local_day(distribution)])
    return distribution


def set_distribution_status(distribution: Distribution, status: str, *, actor: User | None = None) -> Distribution:
    """Plan, open or close a distribution (the same rule as a status change made through the edit form)."""
    return update_distribution(distribution, {"status": status}, actor=actor)


def _check(values: dict[str, Any], distribution: Distribution | None) -> None:
    """The rules for the values a distribution would have after the change."""
    point: Point = values.get("point") or distribution.point
    starts_at: datetime = values.get("starts_at") or distribution.starts_at
    ends_at: datetime = values.get("ends_at") or distribution.ends_at
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("distribution times must be timezone-aware")
    if "status" in values and values["status"] not in DISTRIBUTION_STATUSES:
        raise DomainError(_l("Choose a status from the list."), field="status")
    if ends_at <= starts_at:
        raise DomainError(_l("The distribution must end after it starts."), field="ends_at")
    close = (
        values.get("orders_close_at")
        if "orders_close_at" in values or not distribution
        else distribution.orders_close_at
    )
    if close is not None and (close.tzinfo is None or close > starts_at):
        raise DomainError(_l("Orders must close before the distribution starts."), field="orders_close_at")
    moved_point = distribution is None or point is not distribution.point
    if moved_point and not point.active:
        raise DomainError(
            _l("This point is inactive: reactivate it before planning a distribution there."), field="point"
        )
    overlapping = select(Distribution.id).where(
        Distribution.point_id == point.id, Distribution.starts_at < ends_at, Distribution.ends_at > starts_at
    )
    if distribution is not None:
        overlapping = overlapping.where(Distribution.id != distribution.id)
    if db.session.scalar(overlapping.limit(1)) is not None:
        raise DomainError(_l("Another distribution at this point overlaps these times."), field="starts_at")
