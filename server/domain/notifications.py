"""Which push notifications are due now, for whom, and what they say (in the subscriber's language).

Each due notification is a ``Notice`` with a ``key`` that names it once and for all ("the reminder of order 42"):
``push_sending`` sends a key at most once to each subscription, so computing the same notices again (every cron
run) is harmless. The rules, their windows and their texts are in ``docs/push.md``.

A run every ten minutes must take seconds on a network of 200,000 households, so each rule reads only what can be
due at ``now``: indexed queries bounded by a time window (distributions starting tomorrow, ended in the last 24 h,
conflicts detected in the last days, phones silent since…) joined to the subscriptions, never a whole table, and
no projection of a distribution's log except the hand-overs of one that just ended, once (``push_checks``).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from server.domain.events import event_json
from server.domain.packs import distribution_pack, inputs_digests
from server.extensions import db
from server.formatting import money
from server.labels import CONFLICT_KIND_LABELS
from server.models import (
    Conflict,
    Device,
    Distribution,
    HeldPack,
    Household,
    NetworkSettings,
    Order,
    PushCheck,
    PushDelivery,
    PushSubscription,
    SyncedEvent,
    User,
)
from server.models.distribution import distribution_volunteers
from server.models.people import user_points
from server.urls import external_url
from sync import projection
from sync.events import stored_event

MAX_ATTEMPTS = 3  # pushes to one subscription per notice, when its push service fails
CONFLICT_DAYS = 7  # a conflict detected longer ago than this is not announced any more
UNCOLLECTED_HOURS = 24  # how long after its end a distribution's "your basket awaits" may still go
UNSYNCED_DAYS = 7  # a phone silent longer than this was announced long ago (once per silence)
# The events that decide whether an order was collected (``sync.projection``): hand-overs and what voids them.
HANDOVER_TYPES = ("handover", "void", "conflict_resolved")


@dataclass(frozen=True)
class Recipient:
    """A push subscription as plain data: sending never lazy-loads a row between its claim and its push."""

    id: int
    endpoint: str
    p256dh: str
    auth: str
    lang: str


RECIPIENT_COLUMNS = (
    PushSubscription.id,
    PushSubscription.endpoint,
    PushSubscription.p256dh,
    PushSubscription.auth,
    PushSubscription.lang,
)


def _recipient(row) -> Recipient:
    return Recipient(row.id, row.endpoint, row.p256dh, row.auth, row.lang)


@dataclass(frozen=True)
class Notice:
    """One notification to some subscriptions; ``text`` gives (title, body) in the current locale."""

    key: str
    kind: str
    subscriptions: list[Recipient]
    url: str
    ttl: int  # seconds the push service may hold it for an offline phone
    text: Callable[[], tuple[str, str]]
    urgency: str = "normal"


def _zone() -> ZoneInfo:
    return ZoneInfo(NetworkSettings.current().timezone)


def _slot(distribution: Distribution) -> dict[str, str]:
    zone = _zone()
    return {
        "point": distribution.point.name,
        "day": format_date(distribution.starts_at.astimezone(zone), "EEEE d MMMM"),
        "start": format_time(distribution.starts_at.astimezone(zone), "HH:mm"),
        "end": format_time(distribution.ends_at.astimezone(zone), "HH:mm"),
    }


def _ttl(until: datetime, now: datetime) -> int:
    return max(60, int((until - now).total_seconds()))


def _starting_tomorrow(now: datetime) -> list[Distribution]:
    """Distributions that start tomorrow in the network's timezone (and are not over): ``starts_at`` index."""
    zone = _zone()
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return list(
        db.session.scalars(
            select(Distribution)
            .where(Distribution.starts_at >= tomorrow, Distribution.starts_at < tomorrow + timedelta(days=1))
            .where(Distribution.status != "closed")
            .order_by(Distribution.starts_at)
        )
    )


def _user_subscriptions(user_ids: list[int]) -> list[Recipient]:
    if not user_ids:
        return []
    rows = db.session.execute(select(*RECIPIENT_COLUMNS).where(PushSubscription.user_id.in_(user_ids)))
    return [_recipient(row) for row in rows]


def _staff_subscriptions(point_ids: frozenset[int], cache: dict[frozenset[int], list[Recipient]]) -> list[Recipient]:
    """The subscriptions of who resolves these points' problems: admins, and the coordinators of one of them."""
    if point_ids not in cache:
        coordinating = select(user_points.c.user_id).where(user_points.c.point_id.in_(point_ids))
        staff = db.session.scalars(
            select(User.id).where(
                User.active.is_(True),
                or_(User.role == "admin", (User.role == "coordinator") & User.id.in_(coordinating)),
            )
        ).all()
        cache[point_ids] = _user_subscriptions(list(staff))
    return cache[point_ids]


def _key(prefix: str, *columns) -> object:
    """A delivery key computed by the database: ``prefix`` then the columns as text, joined by ``:``."""
    key = literal(prefix) + cast(columns[0], String)
    for column in columns[1:]:
        key = key + literal(":") + cast(column, String)
    return key


def _not_settled(key) -> object:
    """No run may still send ``key`` to this subscription: a delivery row exists that is not a failure to retry.
    (An anti-join on the unique index of deliveries: the rows of a notice sent by an earlier run are not read.)"""
    return ~(
        select(PushDelivery.id)
        .where(PushDelivery.subscription_id == PushSubscription.id, PushDelivery.key == key)
        .where(or_(PushDelivery.status != "failed", PushDelivery.attempts >= MAX_ATTEMPTS))
        .exists()
    )


# Members.


def member_reminders(now: datetime) -> Iterator[Notice]:
    """The day before a distribution: where, when, what and how much, to each member with an order there.

    One query: the orders of tomorrow's distributions whose household is subscribed (orders by distribution, then
    subscriptions by household, both indexed) and not told yet; the order lines are read only for a message sent."""
    distributions = {d.id: d for d in _starting_tomorrow(now)}
    if not distributions:
        return
    rows = db.session.execute(
        select(Order.id.label("order_id"), Order.distribution_id, Household.page_token, *RECIPIENT_COLUMNS)
        .join(Household, Household.id == Order.household_id)
        .join(PushSubscription, PushSubscription.household_id == Order.household_id)
        .where(Order.distribution_id.in_(distributions), Household.status == "active")
        .where(_not_settled(_key("member_reminder:", Order.id)))
        .order_by(Order.id, PushSubscription.id)
    ).all()
    by_order: dict[int, list] = {}
    for row in rows:
        by_order.setdefault(row.order_id, []).append(row)
    for order_id, subscribed in by_order.items():
        distribution = distributions[subscribed[0].distribution_id]

        def text(order_id: int = order_id, distribution: Distribution = distribution) -> tuple[str, str]:
            order = db.session.get(Order, order_id, options=[selectinload(Order.lines)])
            basket = ", ".join(f"{line.quantity} × {line.product.name}" for line in order.lines)
            body = _(
                "Tomorrow, %(day)s, %(start)s–%(end)s at %(point)s: %(basket)s. To pay: %(due)s.",
                basket=basket,
                due=money(order.due_cents),
                **_slot(distribution),
            )
            return _("Your pick-up tomorrow"), body

        yield Notice(
            key=f"member_reminder:{order_id}",
            kind="member_reminder",
            subscriptions=[_recipient(row) for row in subscribed],
            url=external_url("members.page", page_token=subscribed[0].page_token),
            ttl=_ttl(distribution.starts_at, now),
            text=text,
        )


def _phones_still_holding_events(distribution: Distribution) -> bool:
    """Whether a phone that downloaded this distribution said, at its last call, that it has events to send."""
    return (
        db.session.scalar(
            select(HeldPack.device_id)
            .join(Device, Device.id == HeldPack.device_id)
            .where(HeldPack.distribution_id == distribution.id, Device.pending_events > 0, Device.revoked_at.is_(None))
            .limit(1)
        )
        is not None
    )


def _subscribed_orders(distribution: Distribution):
    """The orders of ``distribution`` whose household is subscribed, with each subscription."""
    return db.session.execute(
        select(Order.id.label("order_id"), Order.household_id, Household.page_token, *RECIPIENT_COLUMNS)
        .join(Household, Household.id == Order.household_id)
        .join(PushSubscription, PushSubscription.household_id == Order.household_id)
        .where(Order.distribution_id == distribution.id)
        .order_by(Order.id, PushSubscription.id)
    ).all()


def _uncollected_to_retry(distribution_ids: list[int]) -> dict[int, list]:
    """Distribution id → the "your basket awaits" decided for it whose push failed and may be tried again (one
    query for all: ``push_deliveries.status`` index, failures are few)."""
    rows = db.session.execute(
        select(PushDelivery.key, Order.id.label("order_id"), Order.distribution_id, Household.page_token)
        .add_columns(*RECIPIENT_COLUMNS)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .join(Household, Household.id == PushSubscription.household_id)
        .join(
            Order, and_(Order.household_id == Household.id, PushDelivery.key == _key("member_uncollected:", Order.id))
        )
        .where(PushDelivery.status == "failed", PushDelivery.kind == "member_uncollected")
        .where(PushDelivery.attempts < MAX_ATTEMPTS, Order.distribution_id.in_(distribution_ids))
        .order_by(Order.id, PushSubscription.id)
    ).all()
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.distribution_id, []).append(row)
    return found


def _not_collected(distribution: Distribution, rows) -> set[int]:
    """The orders among ``rows`` nobody came for (not refused): the distribution's hand-overs and voids only."""
    stored = db.session.execute(
        select(SyncedEvent, Device.public_id)
        .outerjoin(Device, SyncedEvent.device_id == Device.id)
        .where(SyncedEvent.distribution_id == distribution.id, SyncedEvent.type.in_(HANDOVER_TYPES))
        .order_by(SyncedEvent.position)
    ).all()
    events = [stored_event(event_json(row, public_id)) for row, public_id in stored]
    orders = {row.order_id: projection.Order(row.order_id, row.household_id, (), 0) for row in rows}
    state = projection.project(orders.values(), events)
    return {
        order.order_id for order in state.orders if order.status == projection.NOT_COLLECTED and order.outcome is None
    }


def _check_once(rule: str, subject_id: int, now: datetime) -> None:
    """Note that ``rule`` has decided about ``subject_id``, in a transaction of its own; another run noting it at
    the same time is harmless (it decided the same, and the delivery rows keep each message to one send)."""
    db.session.commit()  # end the reads: on SQLite the insert then waits for the lock instead of failing
    try:
        db.session.execute(insert(PushCheck).values(rule=rule, subject_id=subject_id, checked_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def member_uncollected(now: datetime) -> Iterator[Notice]:
    """After a distribution: "your basket awaits" to members who did not come (not to those who refused it).

    Only once the distribution is closed, or ``PUSH_UNCOLLECTED_AFTER_MINUTES`` after its end, and only when no
    phone that ran it still holds unsent events: a hand-over not yet synced must not become a false alarm. Who came
    is decided once per distribution, from its hand-overs alone, and noted (``push_checks``); later runs in the
    window only offer again the messages decided whose push failed."""
    grace = timedelta(minutes=current_app.config["PUSH_UNCOLLECTED_AFTER_MINUTES"])
    ended = db.session.scalars(
        select(Distribution).where(
            Distribution.ends_at <= now,
            Distribution.ends_at > now - timedelta(hours=UNCOLLECTED_HOURS),
            or_(Distribution.status == "closed", Distribution.ends_at <= now - grace),
        )
    ).all()
    if not ended:
        return
    checked = set(
        db.session.scalars(
            select(PushCheck.subject_id).where(
                PushCheck.rule == "member_uncollected", PushCheck.subject_id.in_([d.id for d in ended])
            )
        )
    )
    to_retry = _uncollected_to_retry(sorted(checked))
    for distribution in ended:
        if distribution.id in checked:
            rows = to_retry.get(distribution.id, [])
            waiting = {row.order_id for row in rows}
        else:
            if _phones_still_holding_events(distribution):
                continue
            rows = _subscribed_orders(distribution)
            waiting = _not_collected(distribution, rows) if rows else set()
            _check_once("member_uncollected", distribution.id, now)
        by_order: dict[int, list] = {}
        for row in rows:
            if row.order_id in waiting:
                by_order.setdefault(row.order_id, []).append(row)
        for order_id, subscribed in by_order.items():

            def text(distribution: Distribution = distribution) -> tuple[str, str]:
                body = _(
                    "You did not collect your basket at %(point)s on %(day)s. Contact your pick-up point's "
                    "coordinators to arrange another pick-up.",
                    **_slot(distribution),
                )
                return _("Your basket is waiting for you"), body

            yield Notice(
                key=f"member_uncollected:{order_id}",
                kind="member_uncollected",
                subscriptions=[_recipient(row) for row in subscribed],
                url=external_url("members.page", page_token=subscribed[0].page_token),
                ttl=_ttl(distribution.ends_at + timedelta(hours=UNCOLLECTED_HOURS), now),
                text=text,
            )


# Volunteers.


def volunteer_reminders(now: datetime) -> Iterator[Notice]:
    """The day before a distribution: to each volunteer assigned to it (one query for all of tomorrow's)."""
    distributions = {d.id: d for d in _starting_tomorrow(now)}
    if not distributions:
        return
    rows = db.session.execute(
        select(distribution_volunteers.c.distribution_id, User.id.label("user_id"), *RECIPIENT_COLUMNS)
        .join(User, User.id == distribution_volunteers.c.user_id)
        .join(PushSubscription, PushSubscription.user_id == User.id)
        .where(distribution_volunteers.c.distribution_id.in_(distributions), User.active.is_(True))
        .where(_not_settled(_key("volunteer_reminder:", distribution_volunteers.c.distribution_id, User.id)))
        .order_by(distribution_volunteers.c.distribution_id, User.id, PushSubscription.id)
    ).all()
    grouped: dict[tuple[int, int], list] = {}
    for row in rows:
        grouped.setdefault((row.distribution_id, row.user_id), []).append(row)
    for (distribution_id, user_id), subscribed in grouped.items():
        distribution = distributions[distribution_id]

        def text(distribution: Distribution = distribution) -> tuple[str, str]:
            body = _(
                "You are assigned to the distribution at %(point)s tomorrow, %(day)s, %(start)s–%(end)s. "
                "Download it on your phone before you leave.",
                **_slot(distribution),
            )
            return _("Distribution tomorrow"), body

        yield Notice(
            key=f"volunteer_reminder:{distribution_id}:{user_id}",
            kind="volunteer_reminder",
            subscriptions=[_recipient(row) for row in subscribed],
            url=external_url("pwa.app"),
            ttl=_ttl(distribution.starts_at, now),
            text=text,
        )


def pack_changes(now: datetime) -> Iterator[Notice]:
    """A pack a phone downloaded has changed since (an order, a ticket, a balance): to that phone's volunteers.

    Only the copies held by a phone with a subscription, of a distribution not over (``ends_at`` index). Their
    inputs are hashed in a few statements for all of them (``inputs_digests``); a pack is built, to compare its
    digest, only where its inputs changed since the phone downloaded it. A change that leaves the pack as it was
    (a balance moved back) is noted on the copy, so it is not built again."""
    rows = db.session.execute(
        select(HeldPack.device_id, HeldPack.distribution_id, HeldPack.digest, HeldPack.inputs_digest)
        .add_columns(*RECIPIENT_COLUMNS)
        .join(Distribution, Distribution.id == HeldPack.distribution_id)
        .join(Device, Device.id == HeldPack.device_id)
        .join(PushSubscription, PushSubscription.device_id == HeldPack.device_id)
        .where(Distribution.ends_at > now, Device.revoked_at.is_(None))
        .order_by(HeldPack.distribution_id, HeldPack.device_id, PushSubscription.id)
    ).all()
    held: dict[tuple[int, int], list] = {}
    for row in rows:
        held.setdefault((row.distribution_id, row.device_id), []).append(row)
    inputs = inputs_digests(sorted({distribution_id for distribution_id, _device in held}))
    digests: dict[int, str] = {}
    unchanged: list[tuple[int, int]] = []  # copies whose inputs changed but whose pack did not
    for (distribution_id, device_id), subscribed in held.items():
        copy = subscribed[0]
        if copy.inputs_digest == inputs[distribution_id]:
            continue
        distribution = db.session.get(Distribution, distribution_id)
        if distribution_id not in digests:
            digests[distribution_id] = distribution_pack(distribution).digest
        digest = digests[distribution_id]
        if digest == copy.digest:
            unchanged.append((distribution_id, device_id))
            continue

        def text(distribution: Distribution = distribution) -> tuple[str, str]:
            body = _(
                "The distribution at %(point)s on %(day)s changed since this phone downloaded it: update it "
                "while you have a network.",
                **_slot(distribution),
            )
            return _("Distribution updated"), body

        yield Notice(
            key=f"pack_changed:{distribution_id}:{device_id}:{digest[:16]}",
            kind="pack_changed",
            subscriptions=[_recipient(row) for row in subscribed],
            url=external_url("pwa.app"),
            ttl=_ttl(distribution.ends_at, now),
            text=text,
        )
    if unchanged:
        db.session.commit()  # end the reads first (SQLite)
        for distribution_id, device_id in unchanged:
            db.session.execute(
                update(HeldPack)
                .where(HeldPack.device_id == device_id, HeldPack.distribution_id == distribution_id)
                .where(HeldPack.digest == digests[distribution_id])
                .values(inputs_digest=inputs[distribution_id])
            )
        db.session.commit()


# Coordinators and admins.


def new_conflicts(now: datetime) -> Iterator[Notice]:
    """A conflict to resolve, to the admins and the point's coordinators: the open conflicts detected in the last
    ``CONFLICT_DAYS`` days (``detected_at`` index), as stored where events arrive or logs are read; this rule never
    reads nor projects a log itself."""
    rows = db.session.execute(
        select(Conflict, Distribution)
        .join(Distribution, Distribution.id == Conflict.distribution_id)
        .where(Conflict.detected_at >= now - timedelta(days=CONFLICT_DAYS), Conflict.status == "open")
        .order_by(Conflict.id)
    ).all()
    staff: dict[frozenset[int], list[Recipient]] = {}
    for conflict, distribution in rows:
        subscriptions = _staff_subscriptions(frozenset({distribution.point_id}), staff)
        if not subscriptions:
            continue

        def text(conflict: Conflict = conflict, distribution: Distribution = distribution) -> tuple[str, str]:
            label = CONFLICT_KIND_LABELS.get(conflict.kind, conflict.kind)
            body = _("%(kind)s — distribution at %(point)s on %(day)s.", kind=str(label), **_slot(distribution))
            return _("A conflict to resolve"), body

        yield Notice(
            key=f"conflict:{conflict.id}",
            kind="conflict",
            subscriptions=subscriptions,
            url=external_url("admin.distribution_log", distribution_id=distribution.id, _anchor="conflicts"),
            ttl=24 * 3600,
            text=text,
        )


def unsynced_devices(now: datetime) -> Iterator[Notice]:
    """A phone said it holds events not yet sent, then stayed silent longer than ``PUSH_UNSYNCED_AFTER_MINUTES``
    (and less than ``UNSYNCED_DAYS``: ``last_seen_at`` index)."""
    silent_since = now - timedelta(minutes=current_app.config["PUSH_UNSYNCED_AFTER_MINUTES"])
    devices = db.session.scalars(
        select(Device).where(
            Device.last_seen_at <= silent_since,
            Device.last_seen_at > now - timedelta(days=UNSYNCED_DAYS),
            Device.pending_events > 0,
            Device.revoked_at.is_(None),
        )
    ).all()
    staff: dict[frozenset[int], list[Recipient]] = {}
    for device in devices:
        subscriptions = _staff_subscriptions(frozenset(device.point_ids), staff)
        if not subscriptions:
            continue
        name, pending, seen = device.name, device.pending_events, device.last_seen_at

        def text(name: str = name, pending: int = pending, seen: datetime = seen) -> tuple[str, str]:
            local = seen.astimezone(_zone())
            body = ngettext(
                "%(name)s has kept %(num)d action unsent since %(time)s. Ask its volunteer to connect it to a network.",
                "%(name)s has kept %(num)d actions unsent since %(time)s. Ask its volunteer to connect it to a "
                "network.",
                pending,
                name=name,
                time=f"{format_date(local, 'd MMMM')} {format_time(local, 'HH:mm')}",
            )
            return _("A phone has not synced"), body

        yield Notice(
            key=f"device_unsynced:{device.id}:{int(seen.timestamp())}",
            kind="device_unsynced",
            subscriptions=subscriptions,
            url=external_url("admin.devices"),
            ttl=12 * 3600,
            text=text,
        )


RULES: tuple[Callable[[datetime], Iterator[Notice]], ...] = (
    member_reminders,
    member_uncollected,
    volunteer_reminders,
    pack_changes,
    new_conflicts,
    unsynced_devices,
)


def due_notices(now: datetime) -> Iterator[Notice]:
    for rule in RULES:
        yield from rule(now)
