"""Which push notifications are due now, for whom, and what they say (in the subscriber's language).

Each due notification is a ``Notice`` with a ``key`` that names it once and for all ("the reminder of order 42"):
``push_sending`` sends a key at most once to each subscription, so computing the same notices again (every cron
run) is harmless. The rules, their windows and their texts are in ``docs/push.md``.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from server.domain.events import distribution_state, refresh_conflicts
from server.domain.packs import distribution_pack
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
    PushSubscription,
    SyncedEvent,
    User,
)
from server.models.people import user_points
from server.urls import external_url
from sync.projection import NOT_COLLECTED

CONFLICT_DAYS = 7  # conflicts of distributions older than this are not announced any more
UNCOLLECTED_HOURS = 24  # how long after its end a distribution's "your basket awaits" may still go


@dataclass(frozen=True)
class Notice:
    """One notification to some subscriptions; ``text`` gives (title, body) in the current locale."""

    key: str
    kind: str
    subscriptions: list[PushSubscription]
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
    """Distributions that start tomorrow in the network's timezone (and are not over)."""
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


def _household_subscriptions(household_ids: set[int]) -> dict[int, list[PushSubscription]]:
    found: dict[int, list[PushSubscription]] = {}
    if household_ids:
        rows = db.session.scalars(select(PushSubscription).where(PushSubscription.household_id.in_(household_ids)))
        for subscription in rows:
            found.setdefault(subscription.household_id, []).append(subscription)
    return found


def _user_subscriptions(users: list[User]) -> list[PushSubscription]:
    ids = [user.id for user in users if user.active]
    if not ids:
        return []
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id.in_(ids))))


def _staff_of(point_ids: set[int]) -> list[User]:
    """Who resolves a point's problems: admins, and the coordinators of one of those points."""
    coordinating = select(user_points.c.user_id).where(user_points.c.point_id.in_(point_ids))
    return list(
        db.session.scalars(
            select(User).where(
                User.active.is_(True),
                or_(User.role == "admin", (User.role == "coordinator") & User.id.in_(coordinating)),
            )
        )
    )


# Members.


def member_reminders(now: datetime) -> Iterator[Notice]:
    """The day before a distribution: where, when, what and how much, to each member with an order there."""
    for distribution in _starting_tomorrow(now):
        orders = db.session.scalars(
            select(Order)
            .join(Household)
            .where(Order.distribution_id == distribution.id, Household.status == "active")
            .options(selectinload(Order.lines))
        ).all()
        subscriptions = _household_subscriptions({order.household_id for order in orders})
        for order in orders:
            if order.household_id not in subscriptions:
                continue

            def text(order: Order = order, distribution: Distribution = distribution) -> tuple[str, str]:
                basket = ", ".join(f"{line.quantity} × {line.product.name}" for line in order.lines)
                body = _(
                    "Tomorrow, %(day)s, %(start)s–%(end)s at %(point)s: %(basket)s. To pay: %(due)s.",
                    basket=basket,
                    due=money(order.due_cents),
                    **_slot(distribution),
                )
                return _("Your pick-up tomorrow"), body

            yield Notice(
                key=f"member_reminder:{order.id}",
                kind="member_reminder",
                subscriptions=subscriptions[order.household_id],
                url=external_url("members.page", page_token=order.household.page_token),
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


def member_uncollected(now: datetime) -> Iterator[Notice]:
    """After a distribution: "your basket awaits" to members who did not come (not to those who refused it).

    Only once the distribution is closed, or ``PUSH_UNCOLLECTED_AFTER_MINUTES`` after its end, and only when no
    phone that ran it still holds unsent events: a hand-over not yet synced must not become a false alarm."""
    grace = timedelta(minutes=current_app.config["PUSH_UNCOLLECTED_AFTER_MINUTES"])
    ended = db.session.scalars(
        select(Distribution).where(
            Distribution.ends_at <= now,
            Distribution.ends_at > now - timedelta(hours=UNCOLLECTED_HOURS),
            or_(Distribution.status == "closed", Distribution.ends_at <= now - grace),
        )
    ).all()
    for distribution in ended:
        ordering = select(Order.household_id).where(Order.distribution_id == distribution.id)
        household_ids = set(db.session.scalars(ordering))
        subscriptions = _household_subscriptions(household_ids)
        if not subscriptions or _phones_still_holding_events(distribution):
            continue
        state, _conflicts = distribution_state(distribution)
        for order in state.orders:
            if order.status != NOT_COLLECTED or order.outcome is not None or order.household_id not in subscriptions:
                continue
            household = db.session.get(Household, order.household_id)

            def text(distribution: Distribution = distribution) -> tuple[str, str]:
                body = _(
                    "You did not collect your basket at %(point)s on %(day)s. Contact your pick-up point's "
                    "coordinators to arrange another pick-up.",
                    **_slot(distribution),
                )
                return _("Your basket is waiting for you"), body

            yield Notice(
                key=f"member_uncollected:{order.order_id}",
                kind="member_uncollected",
                subscriptions=subscriptions[order.household_id],
                url=external_url("members.page", page_token=household.page_token),
                ttl=_ttl(distribution.ends_at + timedelta(hours=UNCOLLECTED_HOURS), now),
                text=text,
            )


# Volunteers.


def volunteer_reminders(now: datetime) -> Iterator[Notice]:
    """The day before a distribution: to each volunteer assigned to it."""
    for distribution in _starting_tomorrow(now):
        for volunteer in distribution.volunteers:
            subscriptions = _user_subscriptions([volunteer])
            if not subscriptions:
                continue

            def text(distribution: Distribution = distribution) -> tuple[str, str]:
                body = _(
                    "You are assigned to the distribution at %(point)s tomorrow, %(day)s, %(start)s–%(end)s. "
                    "Download it on your phone before you leave.",
                    **_slot(distribution),
                )
                return _("Distribution tomorrow"), body

            yield Notice(
                key=f"volunteer_reminder:{distribution.id}:{volunteer.id}",
                kind="volunteer_reminder",
                subscriptions=subscriptions,
                url=external_url("pwa.app"),
                ttl=_ttl(distribution.starts_at, now),
                text=text,
            )


def pack_changes(now: datetime) -> Iterator[Notice]:
    """A pack a phone downloaded has changed since (an order, a ticket, a balance): to that phone's volunteers."""
    held = db.session.scalars(
        select(HeldPack)
        .join(Distribution, Distribution.id == HeldPack.distribution_id)
        .join(Device, Device.id == HeldPack.device_id)
        .where(Distribution.ends_at > now, Device.revoked_at.is_(None))
    ).all()
    digests: dict[int, str] = {}
    for copy in held:
        distribution = db.session.get(Distribution, copy.distribution_id)
        if distribution.id not in digests:
            digests[distribution.id] = distribution_pack(distribution).digest
        digest = digests[distribution.id]
        if digest == copy.digest:
            continue
        subscriptions = list(
            db.session.scalars(select(PushSubscription).where(PushSubscription.device_id == copy.device_id))
        )
        if not subscriptions:
            continue

        def text(distribution: Distribution = distribution) -> tuple[str, str]:
            body = _(
                "The distribution at %(point)s on %(day)s changed since this phone downloaded it: update it "
                "while you have a network.",
                **_slot(distribution),
            )
            return _("Distribution updated"), body

        yield Notice(
            key=f"pack_changed:{distribution.id}:{copy.device_id}:{digest[:16]}",
            kind="pack_changed",
            subscriptions=subscriptions,
            url=external_url("pwa.app"),
            ttl=_ttl(distribution.ends_at, now),
            text=text,
        )


# Coordinators and admins.


def new_conflicts(now: datetime) -> Iterator[Notice]:
    """A conflict to resolve, to the admins and the point's coordinators. Conflicts are found when a log is read
    (``refresh_conflicts``); this reads the logs of the distributions that received events lately."""
    since = now - timedelta(days=CONFLICT_DAYS)
    recent = select(SyncedEvent.distribution_id).where(SyncedEvent.received_at >= since).distinct()
    for distribution in db.session.scalars(select(Distribution).where(Distribution.id.in_(recent))):
        refresh_conflicts(distribution)
        open_conflicts = db.session.scalars(
            select(Conflict).where(Conflict.distribution_id == distribution.id, Conflict.status == "open")
        ).all()
        if not open_conflicts:
            continue
        subscriptions = _user_subscriptions(_staff_of({distribution.point_id}))
        if not subscriptions:
            continue
        for conflict in open_conflicts:

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
    """A phone said it holds events not yet sent, then stayed silent longer than ``PUSH_UNSYNCED_AFTER_MINUTES``."""
    silent_since = now - timedelta(minutes=current_app.config["PUSH_UNSYNCED_AFTER_MINUTES"])
    devices = db.session.scalars(
        select(Device).where(
            Device.revoked_at.is_(None), Device.pending_events > 0, Device.last_seen_at <= silent_since
        )
    ).all()
    for device in devices:
        subscriptions = _user_subscriptions(_staff_of(device.point_ids))
        if not subscriptions:
            continue

        def text(device: Device = device) -> tuple[str, str]:
            seen = device.last_seen_at.astimezone(_zone())
            body = ngettext(
                "%(name)s has kept %(num)d action unsent since %(time)s. Ask its volunteer to connect it to a network.",
                "%(name)s has kept %(num)d actions unsent since %(time)s. Ask its volunteer to connect it to a "
                "network.",
                device.pending_events,
                name=device.name,
                time=f"{format_date(seen, 'd MMMM')} {format_time(seen, 'HH:mm')}",
            )
            return _("A phone has not synced"), body

        yield Notice(
            key=f"device_unsynced:{device.id}:{int(device.last_seen_at.timestamp())}",
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
