"""A distribution's log as the admin reads it: its events in canonical order with who recorded them, the projection
(``sync.projection``) of its orders, and the names behind the ids; and a point's history week by week.

Everything here only reads. The figures come from the one projection, so the log page, the exports and the history
always agree with each other and with what the devices were told.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.domain.events import CHUNK, StoredEvent, distribution_events, projection_order, projection_orders
from server.domain.order_events import order_events, shortage_context
from server.extensions import db
from server.memory import collector_paused
from server.models import (
    Conflict,
    Device,
    Distribution,
    DistributionCheck,
    Household,
    Order,
    Point,
    Producer,
    Product,
    SyncedEvent,
    User,
)
from sync import projection
from sync.chain import sort_key
from sync.events import (
    Event,
    HandoverEvent,
    PaymentEvent,
    SaleEvent,
    ScanRefusedEvent,
    ShortageEvent,
    SubstitutionEvent,
    TopUpEvent,
)
from sync.vocabulary import PAYMENT_METHODS

HISTORY_WEEKS = 12


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored event: what it says (``event``), how it was stored (``row``: received time, hash) and whether a
    void or a resolution undid it."""

    event: Event
    row: StoredEvent
    voided: bool


@dataclass(frozen=True, slots=True)
class Member:
    """A household as the log names it (read as three columns: a log can name thousands)."""

    id: int
    first_name: str
    last_name: str

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class DistributionLog:
    distribution: Distribution
    state: projection.DistributionState
    entries: list[LogEntry]  # canonical order (device time, device, seq, id)
    orders: dict[int, projection.Order]  # the distribution's orders as the projection read them (household, lines)
    households: dict[int, Member]  # every household an order or an event names
    devices: dict[str, Device]  # by public id
    users: dict[int, User]
    products: dict[int, Product]
    producers: dict[int, Producer] = field(default_factory=dict)  # the payees the cheques name
    by_id: dict[str, LogEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {entry.event.id: entry for entry in self.entries}

    def order_states(self, status: str | None = None) -> list[projection.OrderState]:
        return [state for state in self.state.orders if status is None or state.status == status]

    def entries_of(self, kind: type) -> list[LogEntry]:
        return [entry for entry in self.entries if isinstance(entry.event, kind)]

    def live(self, kind: type) -> list[LogEntry]:
        """The events of a type that count (not voided), in canonical order: what the exports list."""
        return [entry for entry in self.entries_of(kind) if not entry.voided]

    def household_of(self, event: Event) -> Member | None:
        """The member an event is about: the payment's household, else its order's."""
        payload = event.payload
        household_id = getattr(payload, "household_id", None)
        if household_id is None and isinstance(event, ScanRefusedEvent):
            household_id = payload.member_id
        if household_id is None:
            order = self.orders.get(getattr(payload, "order_id", None) or 0)
            household_id = order.household_id if order is not None else None
        return self.households.get(household_id) if household_id is not None else None


def load_log(distribution: Distribution, keep: bool = True) -> DistributionLog:
    """The whole log of ``distribution`` in a fixed number of queries: its events read once and projected once,
    the orders read once (plain columns), the names behind the ids. Nothing is written (the conflicts are stored
    where events arrive and decisions are made). ``keep=False`` (an export reading many distributions once each)
    leaves the process's kept events (``distribution_events``) as they were."""
    with collector_paused():
        return _load_log(distribution, keep)


def _load_log(distribution: Distribution, keep: bool) -> DistributionLog:
    households = _members(
        select(Household.id, Household.first_name, Household.last_name).where(
            Household.id.in_(select(Order.household_id).where(Order.distribution_id == distribution.id))
        )
    )
    stored = distribution_events(distribution.id, keep=keep)
    return _built(distribution, stored, projection_orders(distribution.id), households)


def load_order_log(order: Order) -> DistributionLog:
    """The log of ``order`` alone (``order.lines`` loaded): only the events about it (``order_events``), projected
    with this one order by the same projection as the distribution's log, so its status is the one the log gives.
    Its entries read as the distribution log words them (``server/admin/log.py`` ``Words``)."""
    household = order.household
    households = {household.id: Member(household.id, household.first_name, household.last_name)}
    stored = order_events(order)
    others, context = shortage_context(order, [item.event for item in stored])
    return _built(order.distribution, stored, [projection_order(order)], households, others, context)


def _built(
    distribution: Distribution,
    stored: list[StoredEvent],
    orders: list[projection.Order],
    households: dict[int, Member],
    others: Sequence[projection.Order] = (),
    context: Sequence[Event] = (),
) -> DistributionLog:
    """A log of ``stored`` (some or all of the distribution's events) and ``orders``, with the names behind the ids
    (``households`` holds the orders' members already); ``others`` and ``context``: the other orders and their
    hand-overs a shortage is shared among (``shortage_context``), projected but not entries of the log."""
    events = [item.event for item in stored]
    state = projection.project(orders, [*events, *context], others)
    voided = set(state.voided)
    entries = sorted(
        (LogEntry(item.event, item, item.event.id in voided) for item in stored),
        key=lambda entry: sort_key(entry.event),
    )
    named = sorted({_named_household(event) for event in events} - set(households) - {None})
    for start in range(0, len(named), CHUNK):
        chunk = named[start : start + CHUNK]
        households.update(
            _members(select(Household.id, Household.first_name, Household.last_name).where(Household.id.in_(chunk)))
        )
    device_ids = {pk for item in stored for pk in (item.device_pk, item.relayed_by_pk) if pk is not None}
    devices = {device.public_id: device for device in _by_id(Device, device_ids).values()}
    users = _by_id(User, {event.volunteer_id for event in events} | _resolvers(distribution.id))
    product_ids = {
        line.product_id for event in events if isinstance(event, HandoverEvent) for line in event.payload.lines
    }
    product_ids |= {line.product_id for order in orders for line in order.lines}
    product_ids |= {line.product_id for event in events if isinstance(event, SaleEvent) for line in event.payload.lines}
    product_ids |= {event.payload.product_id for event in events if isinstance(event, ShortageEvent)}
    product_ids |= {
        product
        for event in events
        if isinstance(event, SubstitutionEvent)
        for product in (event.payload.product_id, event.payload.by_product_id)
    }
    product_ids |= {
        line.by_product_id for event in events if isinstance(event, HandoverEvent) for line in event.payload.substituted
    }
    products = _by_id(Product, product_ids)
    payees = {event.payload.payee_producer_id for event in events if isinstance(event, PaymentEvent)} - {None}
    by_order = {order.order_id: order for order in orders}
    return DistributionLog(
        distribution, state, entries, by_order, households, devices, users, products, _by_id(Producer, payees)
    )


def _members(query) -> dict[int, Member]:
    return {row[0]: Member(*row) for row in db.session.execute(query).tuples()}


def _named_household(event: Event) -> int | None:
    if isinstance(event, PaymentEvent | TopUpEvent | SaleEvent):
        return event.payload.household_id
    if isinstance(event, ScanRefusedEvent):
        return event.payload.member_id
    return None


def _resolvers(distribution_id: int) -> set[int]:
    query = select(Conflict.resolved_by_id).where(
        Conflict.distribution_id == distribution_id, Conflict.resolved_by_id.is_not(None)
    )
    return set(db.session.scalars(query))


def _by_id(model, ids: Iterable[int | None]) -> dict:
    wanted = sorted({value for value in ids if value is not None})
    if not wanted:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(wanted)))}


# History: a point, week by week.


@dataclass(frozen=True)
class Week:
    """One week (Monday to Sunday in the network's timezone) of a point: the distributions that had started."""

    start: date
    distributions: int
    orders: int
    collected: int
    partially_collected: int
    by_method: tuple[tuple[str, int], ...]  # every payment method, in the vocabulary's order
    paid_cents: int

    @property
    def came(self) -> int:
        return self.collected + self.partially_collected

    @property
    def attendance_percent(self) -> int | None:
        """The share of orders collected (wholly or partly), rounded half up; None without orders."""
        return (200 * self.came + self.orders) // (2 * self.orders) if self.orders else None


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def point_history(point: Point, now: datetime, tz: ZoneInfo, weeks: int = HISTORY_WEEKS) -> list[Week]:
    """The last ``weeks`` weeks of ``point``, oldest first, the current week last; a distribution counts in the week
    it starts (local time) once it has started.

    The figures are each distribution's check figures (``distribution_checks``, kept from the one projection when
    its conflicts are checked) and its orders counted in SQL: a few statements, whatever the number of members,
    orders or events. Only a distribution whose latest events are not checked yet (``conflicts_stale``, or events
    and no figures) is projected here, as the log does: the day's, at most, between the cron's runs."""
    first = week_start(now.astimezone(tz).date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time(0), tz).astimezone(UTC)
    rows = db.session.execute(
        select(Distribution.id, Distribution.starts_at, Distribution.conflicts_stale, DistributionCheck)
        .outerjoin(DistributionCheck, DistributionCheck.distribution_id == Distribution.id)
        .where(Distribution.point_id == point.id, Distribution.starts_at >= since, Distribution.starts_at <= now)
        .order_by(Distribution.starts_at)
    ).all()
    ids = [row.id for row in rows]
    orders = _order_counts(ids)
    unchecked = [row.id for row in rows if row.conflicts_stale or row.DistributionCheck is None]
    live = _projected_totals(_with_events(unchecked))
    figures: dict[date, list[tuple[int, int, int, dict[str, int]]]] = {
        first + timedelta(weeks=n): [] for n in range(weeks)
    }
    for row in rows:
        check, totals = row.DistributionCheck, live.get(row.id)
        if totals is not None:
            done = (totals.collected, totals.partially_collected, dict(totals.by_method))
        elif check is not None:
            done = (check.collected, check.partially_collected, dict(check.by_method))
        else:  # nothing from the phones: every order is not collected
            done = (0, 0, {})
        figures[week_start(row.starts_at.astimezone(tz).date())].append((orders.get(row.id, 0), *done))
    history = []
    for start, days in figures.items():
        by_method = {method: sum(paid.get(method, 0) for *_counts, paid in days) for method in PAYMENT_METHODS}
        history.append(
            Week(
                start=start,
                distributions=len(days),
                orders=sum(day[0] for day in days),
                collected=sum(day[1] for day in days),
                partially_collected=sum(day[2] for day in days),
                by_method=tuple(by_method.items()),
                paid_cents=sum(by_method.values()),
            )
        )
    return history


def _order_counts(distribution_ids: list[int]) -> dict[int, int]:
    """Distribution id → its number of orders: one grouped statement by ``orders.distribution_id``."""
    if not distribution_ids:
        return {}
    query = (
        select(Order.distribution_id, func.count(Order.id))
        .where(Order.distribution_id.in_(distribution_ids))
        .group_by(Order.distribution_id)
    )
    return {distribution_id: count for distribution_id, count in db.session.execute(query)}


def _with_events(distribution_ids: list[int]) -> list[int]:
    """Those of ``distribution_ids`` that have events (one statement, by ``events.distribution_id``)."""
    if not distribution_ids:
        return []
    query = select(SyncedEvent.distribution_id).where(SyncedEvent.distribution_id.in_(distribution_ids)).distinct()
    return sorted(db.session.scalars(query))


def _projected_totals(distribution_ids: list[int]) -> dict[int, projection.Totals]:
    """The projection's totals of distributions whose events are not checked yet, read here."""
    found = {}
    for distribution_id in distribution_ids:
        events = [item.event for item in distribution_events(distribution_id)]
        found[distribution_id] = projection.project(projection_orders(distribution_id), events).totals
    return found
