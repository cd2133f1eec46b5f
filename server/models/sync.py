"""What devices hold and send: enrolled devices, the append-only event log, and the conflicts it reveals."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Enum, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.distribution import Distribution, Point
from server.models.people import User
from server.models.types import UTCDateTime
from sync.signatures import fingerprint
from sync.vocabulary import CONFLICT_STATUSES

device_points = Table(
    "device_points",
    db.Model.metadata,
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", ForeignKey("points.id", ondelete="CASCADE"), primary_key=True),
)


class Device(db.Model):
    """An enrolled phone; only hashes of its credentials are kept.

    ``previous_credential_hash`` keeps the credential a rotation replaced valid until the device first uses the new
    one, so a rotation answer lost on a bad connection never locks a device out.
    """

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    credential_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the app said at its last call (``X-Comptoir-Pending``): events recorded and not yet uploaded.
    pending_events: Mapped[int | None] = mapped_column(Integer)
    # The raw Ed25519 public key the phone signs its events with (base64url, 43 characters), registered once, at
    # enrolment or at the first contact of a phone enrolled before keys existed (``docs/devices.md``, "Device key").
    public_key: Mapped[str | None] = mapped_column(String(43))
    public_key_registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    points: Mapped[list[Point]] = relationship(secondary=device_points)
    last_user: Mapped[User | None] = relationship(foreign_keys=[last_user_id])

    @property
    def point_ids(self) -> set[int]:
        return {point.id for point in self.points}

    @property
    def key_fingerprint(self) -> str | None:
        """A short fingerprint of the signing key, for people to compare (None: no key registered yet)."""
        return fingerprint(self.public_key) if self.public_key else None


class DeviceEnrolment(db.Model):
    """A one-time, short-lived offer to enrol a phone for some points (shown as a QR code and a link)."""

    __tablename__ = "device_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_name: Mapped[str] = mapped_column(String(80))
    point_ids: Mapped[list[int]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))


class Shift(db.Model):
    """A volunteer signed in with a passkey on one device, until the end of the distribution day.

    The device keeps the shift token (only its hash is stored here) and sends it with its API calls and in the
    events it records offline; those events are accepted later, even after ``valid_until``, if they were recorded
    while the shift was valid.
    """

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    device: Mapped[Device] = relationship()


class SyncedEvent(db.Model):
    """One event a device recorded, stored forever exactly as received.

    ``position`` is the server's arrival order and the cursor devices pull from; ``event_id`` is the
    client-generated UUIDv7 that makes uploads idempotent.
    """

    __tablename__ = "events"

    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)  # None: written by the server
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    device_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # None for a device's first event
    hash: Mapped[str] = mapped_column(String(64))
    device_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The event a void or a resolution names (``payload.event_id``), kept in a column so that the ledger finds a
    # payment's voids by index (``server/domain/ledger_events.py``); None for every other event.
    target_event_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The recording device's Ed25519 signature of the event's canonical bytes (base64url), as verified when stored;
    # None for an event sent unsigned by its own device, and for the server's own events (``sync/signatures.py``).
    signature: Mapped[str | None] = mapped_column(String(86))
    # The device that uploaded the event when it is not the one that recorded it (store and forward); None otherwise.
    relayed_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))

    device: Mapped[Device | None] = relationship(foreign_keys=[device_id])

    # A distribution's events of one type (its shortages, read after each upload: server/domain/shortage_credits.py).
    __table_args__ = (Index("ix_events_distribution_id_type", "distribution_id", "type"),)


class Conflict(db.Model):
    """Synced events that cannot all be true; kept and shown until an admin or coordinator resolves it."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    event_ids: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(
        Enum(*CONFLICT_STATUSES, name="conflict_status", native_enum=False, create_constraint=True),
        default="open",
    )
    resolution_event_id: Mapped[str | None] = mapped_column(String(36))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")

    distribution: Mapped[Distribution] = relationship()

    __table_args__ = (
        # The open conflicts, few among all those ever resolved: the dashboard's "to check" (docs/dashboard.md).
        Index(
            "ix_conflicts_open",
            "distribution_id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )
