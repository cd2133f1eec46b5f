"""Web push: who asked to be notified on which browser, and what was sent to each (docs/push.md)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.people import Household, User
from server.models.sync import Device
from server.models.types import UTCDateTime


class PushSubscription(db.Model):
    """A browser's push subscription (``PushSubscription.toJSON()``), owned by a member or by a user on a device.

    The endpoint is a capability URL at the browser vendor's push service; it is unique, so subscribing again from
    the same browser takes the subscription over rather than doubling it.
    """

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256: endpoints can be long
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5), default="fr")
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household | None] = relationship()
    user: Mapped[User | None] = relationship()
    device: Mapped[Device | None] = relationship()
    deliveries: Mapped[list["PushDelivery"]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("(household_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
        # The admin's list, a page at a time in this order: a person's browsers together.
        db.Index("ix_push_subscriptions_owner", "household_id", "user_id", "id"),
    )


class PushDelivery(db.Model):
    """One notification to one subscription: the row is written before sending, so it is never sent twice.

    ``status``: ``sending`` (written, not yet answered: a run that died there never retries it), ``sent``,
    ``failed`` (the push service failed; retried by later runs up to ``MAX_ATTEMPTS``), ``gone`` (404/410: the
    subscription was removed).
    """

    __tablename__ = "push_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160), index=True)  # the due notices' keys, looked up at once
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="sending", index=True)  # failures to retry are few
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[PushSubscription] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("subscription_id", "key", name="once_per_subscription"),
        # The last delivery of a subscription (the admin's list): one index probe, not all its deliveries.
        db.Index("ix_push_deliveries_last", "subscription_id", "created_at", "id"),
    )


class HeldPack(db.Model):
    """The pack version a device last downloaded: when the pack changes after that, its volunteers are told."""

    __tablename__ = "held_packs"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("distributions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    # SHA-256 of what that pack was built from (``server.domain.packs.inputs_digests``): while the inputs are the
    # same, the pack is, and the "pack changed" check need not build it. None: not known (built to compare).
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushCheck(db.Model):
    """A rule's decision about one subject, made once: ``member_uncollected`` reads who came to a distribution that
    ended when it may first tell the others, and notes it here, so later runs neither read its log again nor change
    their mind (a later sync, or a later void, no longer starts a "your basket awaits")."""

    __tablename__ = "push_checks"

    rule: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
