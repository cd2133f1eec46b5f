"""What a coordinator checks after a day: each distribution's check figures, kept when its conflicts are checked,
and the dashboard's "to check" list and the weekly summary of a point read from them (``docs/dashboard.md``).

The figures come from the one projection (``sync.projection``), computed where the events are already read
(``server.domain.events.refresh_conflicts``: after each upload, by the cron), and stored in ``distribution_checks``:
a request reads a few indexed rows for the points it may see over a short window, never a distribution's events.
What is not in the events (phones that have not come back, accounts, conflicts) is read from its own indexed
table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from server.clock import utcnow
from server.extensions import db
from server.models import (
    Account,
    Conflict,
    Device,
    Distribution,
    DistributionCheck,
    HeldPack,
    Household,
    NetworkSettings,
    Order,
)
from sync import projection

WINDOW = timedelta(days=14)  # the distributions the dashboard looks back on
SHOWN = 50  # items of one kind listed at most (the count says how many in all)

Scope = Callable[[Any], Any]  # a point id column → the SQL condition "a point the reader may see"


def store_check(distribution_id: int, state: projection.DistributionState) -> DistributionCheck:
    """Keep the check figures of a distribution from its projected ``state``, replacing the last ones; the caller
    commits."""
    boxes = [
        {
            "device": box.device_id,
            "expected_cents": box.expected_at_count_cents if box.counted else box.expected_cents,
            "counted_cents": box.counted_cents,
            "difference_cents": box.difference_at_count_cents,
        }
        for box in state.cash
    ]
    totals = state.totals
    check = db.session.get(DistributionCheck, distribution_id) or DistributionCheck(distribution_id=distribution_id)
    check.checked_at = utcnow()
    check.event_count = state.event_count
    check.orders = totals.orders
    check.collected = totals.collected
    check.partially_collected = totals.partially_collected
    check.not_collected = totals.not_collected
    check.refused_scans = sum(count for _reason, count in state.scan_refusals)
    check.paid_cents = totals.paid_cents
    check.by_method = {method: cents for method, cents in totals.by_method if cents}
    check.cash_boxes = boxes
    check.largest_cash_gap_cents = max(
        (abs(box["difference_cents"]) for box in boxes if box["difference_cents"] is not None), default=0
    )
    db.session.add(check)
    return check


# The dashboard's "to check".


@dataclass(frozen=True)
class CashGap:
    distribution: Distribution
    device_name: str
    expected_cents: int
    counted_cents: int
    difference_cents: int  # counted − expected: negative, money is missing


@dataclass(frozen=True)
class Unsynced:
    distribution: Distribution
    device: Device
    pending: int  # what the phone said it holds unsent at its last call (0: it said nothing is waiting)


@dataclass(frozen=True)
class Count:
    distribution: Distribution
    count: int
    no_events: bool = False  # nothing came from the phones: every order is not collected


@dataclass(frozen=True)
class LowBalance:
    household: Household
    kind: str
    balance_cents: int


@dataclass
class Attention:
    conflicts: list[Conflict] = field(default_factory=list)
    conflicts_total: int = 0
    cash_gaps: list[CashGap] = field(default_factory=list)
    unsynced: list[Unsynced] = field(default_factory=list)
    refused_scans: list[Count] = field(default_factory=list)
    not_collected: list[Count] = field(default_factory=list)
    low_balances: list[LowBalance] = field(default_factory=list)
    low_total: int = 0
    cash_gap_threshold_cents: int = 0
    low_balance_cents: int = 0
    more: dict[str, int] = field(default_factory=dict)  # items of a kind beyond the ``SHOWN`` listed

    @property
    def empty(self) -> bool:
        kinds = (self.conflicts, self.cash_gaps, self.unsynced, self.refused_scans, self.not_collected)
        return not any(kinds) and not self.low_balances


def attention(scope: Scope, now: datetime) -> Attention:
    """What the reader should check, for the points ``scope`` lets them see: open conflicts (all of them), and over
    the distributions started in the last ``WINDOW`` the cash gaps beyond the threshold, the phones that have not
    synced, the refused scans, the members not collected once it ended; and the balances below the threshold."""
    settings = NetworkSettings.current()
    found = Attention(
        cash_gap_threshold_cents=settings.cash_gap_threshold_cents, low_balance_cents=settings.low_balance_cents
    )
    _conflicts(found, scope)
    rows = db.session.execute(
        select(Distribution, DistributionCheck)
        .outerjoin(DistributionCheck, DistributionCheck.distribution_id == Distribution.id)
        .options(joinedload(Distribution.point))
        .where(Distribution.starts_at >= now - WINDOW, Distribution.starts_at <= now, scope(Distribution.point_id))
        .order_by(Distribution.starts_at.desc(), Distribution.id)
    ).all()
    silent = [d.id for d, check in rows if d.ends_at <= now and (check is None or not check.event_count)]
    orders = _order_counts(silent)
    names = _device_names(check for _d, check in rows)
    for distribution, check in rows:
        ended = distribution.ends_at <= now
        if check is None or not check.event_count:
            # Nothing from the phones, unless events came that the cron has not read yet (``conflicts_stale``).
            if ended and orders.get(distribution.id) and not distribution.conflicts_stale:
                found.not_collected.append(Count(distribution, orders[distribution.id], no_events=True))
            continue
        for box in check.cash_boxes:
            gap = box["difference_cents"]
            if gap is not None and abs(gap) > settings.cash_gap_threshold_cents:
                name = names.get(box["device"], box["device"])
                found.cash_gaps.append(CashGap(distribution, name, box["expected_cents"], box["counted_cents"], gap))
        if check.refused_scans:
            found.refused_scans.append(Count(distribution, check.refused_scans))
        if ended and check.not_collected:
            found.not_collected.append(Count(distribution, check.not_collected))
    for kind in ("cash_gaps", "refused_scans", "not_collected"):  # the most recent first, SHOWN of each
        listed = getattr(found, kind)
        found.more[kind] = max(0, len(listed) - SHOWN)
        setattr(found, kind, listed[:SHOWN])
    found.unsynced = _unsynced({d.id: d for d, _check in rows}, now)
    _low_balances(found, scope, settings.low_balance_cents)
    return found


def _conflicts(found: Attention, scope: Scope) -> None:
    query = (
        select(Conflict)
        .join(Distribution, Distribution.id == Conflict.distribution_id)
        .where(Conflict.status == "open", scope(Distribution.point_id))
    )
    found.conflicts_total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found.conflicts = list(
        db.session.scalars(
            query.options(joinedload(Conflict.distribution).joinedload(Distribution.point))
            .order_by(Distribution.starts_at.desc(), Conflict.id)
            .limit(SHOWN)
        )
    )


def _order_counts(distribution_ids: list[int]) -> dict[int, int]:
    if not distribution_ids:
        return {}
    return dict(
        db.session.execute(
            select(Order.distribution_id, func.count(Order.id))
            .where(Order.distribution_id.in_(distribution_ids))
            .group_by(Order.distribution_id)
        ).all()
    )


def _device_names(checks) -> dict[str, str]:
    wanted = {box["device"] for check in checks if check is not None for box in check.cash_boxes}
    if not wanted:
        return {}
    query = select(Device.public_id, Device.name).where(Device.public_id.in_(sorted(wanted)))
    return {public_id: name for public_id, name in db.session.execute(query).all()}


def _unsynced(distributions: dict[int, Distribution], now: datetime) -> list[Unsynced]:
    """The phones that took a distribution's pack and said they hold actions not sent, or, once it ended, have not
    called since (they may hold what they recorded last)."""
    if not distributions:
        return []
    rows = db.session.execute(
        select(HeldPack.distribution_id, Device)
        .join(Device, Device.id == HeldPack.device_id)
        .join(Distribution, Distribution.id == HeldPack.distribution_id)
        .where(
            HeldPack.distribution_id.in_(list(distributions)),
            Device.revoked_at.is_(None),
            or_(
                Device.pending_events > 0,
                and_(
                    Distribution.ends_at <= now,
                    or_(Device.last_seen_at.is_(None), Device.last_seen_at < Distribution.ends_at),
                ),
            ),
        )
        .order_by(Distribution.starts_at.desc(), Device.name)
        .limit(SHOWN)
    ).all()
    return [Unsynced(distributions[d], device, device.pending_events or 0) for d, device in rows]


def _low_balances(found: Attention, scope: Scope, below_cents: int) -> None:
    query = (
        select(Account, Household)
        .join(Household, Household.id == Account.household_id)
        .where(Account.balance_cents < below_cents, scope(Household.point_id))
    )
    found.low_total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(joinedload(Household.point)).order_by(Account.balance_cents, Account.id).limit(SHOWN)
    rows = db.session.execute(query).all()
    found.low_balances = [LowBalance(household, account.kind, account.balance_cents) for account, household in rows]


# The weekly summary of a point.


@dataclass(frozen=True)
class DayFigures:
    distribution: Distribution
    check: DistributionCheck | None  # None: no phone has sent anything (or it is not checked yet)
    orders: int
    conflicts_open: int
    conflicts_resolved: int
    cash_boxes: list[dict[str, Any]]  # the check's, each with the phone's ``name``

    @property
    def cash_difference_cents(self) -> int:
        return sum(box["difference_cents"] or 0 for box in self.cash_boxes)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_summary(point_id: int, monday: date, tz: ZoneInfo) -> list[DayFigures]:
    """The distributions of ``point_id`` starting in the week of ``monday`` (network time), with their check figures
    and their conflicts open and resolved: a few queries, whatever the number of events."""
    since = datetime.combine(monday, time(0), tz).astimezone(UTC)
    rows = db.session.execute(
        select(Distribution, DistributionCheck)
        .outerjoin(DistributionCheck, DistributionCheck.distribution_id == Distribution.id)
        .where(
            Distribution.point_id == point_id,
            Distribution.starts_at >= since,
            Distribution.starts_at < since + timedelta(days=7),
        )
        .order_by(Distribution.starts_at)
    ).all()
    ids = [distribution.id for distribution, _check in rows]
    orders = _order_counts(ids)
    conflicts: dict[int, tuple[int, int]] = {}
    if ids:
        conflicts = {
            distribution_id: (opened, resolved)
            for distribution_id, opened, resolved in db.session.execute(
                select(
                    Conflict.distribution_id,
                    func.sum(case((Conflict.status == "open", 1), else_=0)),
                    func.sum(case((Conflict.status == "resolved", 1), else_=0)),
                )
                .where(Conflict.distribution_id.in_(ids))
                .group_by(Conflict.distribution_id)
            ).all()
        }
    names = _device_names(check for _d, check in rows)
    return [
        DayFigures(
            distribution,
            check,
            orders.get(distribution.id, 0),
            *conflicts.get(distribution.id, (0, 0)),
            [{**box, "name": names.get(box["device"], box["device"])} for box in (check.cash_boxes if check else [])],
        )
        for distribution, check in rows
    ]
