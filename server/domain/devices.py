"""Enrolled phones: one-time enrolment offers, device credentials (stored as SHA-256 only), rotation, revocation.

Verbs flush and write the audit log; the caller commits. See ``docs/devices.md`` for the whole design.
"""

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from server.audit import record
from server.clock import utcnow
from server.domain import DomainError
from server.domain.points import manages_point
from server.extensions import db
from server.models import Device, DeviceEnrolment, Point, Shift, User
from sync.signatures import valid_public_key

NAME_MAX = 80


class DeviceRefused(Exception):
    """Why a device or an enrolment is refused, as a stable reason code (the API's ``reason``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def digest(secret: str) -> str:
    """What the database keeps of a secret: its SHA-256, hex. Secrets are 256-bit random, so no salt is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# Enrolment.


def create_enrolment(
    user: User, name: str, points: Iterable[Point], now: datetime | None = None
) -> tuple[DeviceEnrolment, str]:
    """Offer to enrol one phone for ``points``; return the offer and its one-time token (the only time the token
    exists in clear).

    Admins may enrol for any point, coordinators only for the points they manage.
    """
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Give the phone a name, such as “Phone 1 of Noisiel”."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_l("This is too long: at most %(max)d characters.", max=NAME_MAX), field="name")
    points = list(points)
    if not points:
        raise DomainError(_l("Choose at least one point where this phone will be used."), field="points")
    if not all(manages_point(user, point.id) for point in points):
        raise DomainError(_l("You can only enrol phones for the points you coordinate."), field="points")
    token = new_secret()
    minutes = current_app.config["DEVICE_ENROLMENT_MINUTES"]
    enrolment = DeviceEnrolment(
        token_hash=digest(token),
        device_name=name,
        point_ids=sorted(point.id for point in points),
        created_by_id=user.id,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.session.add(enrolment)
    db.session.flush()
    record(
        "device.enrolment_create",
        user=user,
        target=f"device_enrolment:{enrolment.id}",
        name=name,
        points=enrolment.point_ids,
        minutes=minutes,
    )
    return enrolment, token


def redeem_enrolment(
    token: str, name: str | None = None, now: datetime | None = None, public_key: str | None = None
) -> tuple[Device, str]:
    """Use an enrolment token once: create the device and return it with its credential (shown only now).
    ``public_key``: the phone's Ed25519 public key (base64url), which it signs its events with.

    Refusals: ``public_key_invalid``, ``enrolment_unknown``, ``enrolment_expired``, ``enrolment_used``. A
    conditional UPDATE makes two phones racing with the same token enrol one device, never two.
    """
    now = now or utcnow()
    if public_key is not None and not valid_public_key(public_key):
        raise DeviceRefused("public_key_invalid")
    enrolment = db.session.scalar(select(DeviceEnrolment).where(DeviceEnrolment.token_hash == digest(token)))
    if enrolment is None:
        raise DeviceRefused("enrolment_unknown")
    if enrolment.used_at is not None:
        raise DeviceRefused("enrolment_used")
    if enrolment.expires_at <= now:
        raise DeviceRefused("enrolment_expired")
    claimed = db.session.execute(
        update(DeviceEnrolment)
        .where(DeviceEnrolment.id == enrolment.id, DeviceEnrolment.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DeviceRefused("enrolment_used")
    credential = new_secret()
    points = db.session.scalars(select(Point).where(Point.id.in_(enrolment.point_ids)).order_by(Point.name)).all()
    device = Device(
        public_id=str(uuid.uuid4()),
        name=((name or "").strip() or enrolment.device_name)[:NAME_MAX],
        credential_hash=digest(credential),
        credential_issued_at=now,
        enrolled_at=now,
        enrolled_by_id=enrolment.created_by_id,
        points=list(points),
        public_key=public_key,
        public_key_registered_at=now if public_key is not None else None,
    )
    db.session.add(device)
    db.session.flush()
    enrolment.device_id = device.id
    creator = db.session.get(User, enrolment.created_by_id) if enrolment.created_by_id else None
    record(
        "device.enrol",
        user=creator,
        target=f"device:{device.id}",
        name=device.name,
        points=sorted(device.point_ids),
        enrolment=enrolment.id,
        public_key=public_key,
    )
    db.session.flush()
    return device, credential


def register_key(device: Device, public_key: str, now: datetime | None = None) -> bool:
    """Register the phone's Ed25519 public key, once: a phone enrolled before device keys existed makes one and
    sends it at its next contact. The same key again is accepted (its first answer may have been lost): False, and
    nothing changes. Refusals: ``public_key_invalid``, ``device_key_registered`` (another key is registered: a
    phone that lost its key is enrolled again, ``docs/devices.md``)."""
    if not valid_public_key(public_key):
        raise DeviceRefused("public_key_invalid")
    if device.public_key == public_key:
        return False
    now = now or utcnow()
    changed = db.session.execute(
        update(Device)
        .where(Device.id == device.id, Device.public_key.is_(None))
        .values(public_key=public_key, public_key_registered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(device)
    if changed != 1:
        if device.public_key == public_key:
            return False
        raise DeviceRefused("device_key_registered")
    record("device.key_register", user=None, target=f"device:{device.id}", name=device.name, public_key=public_key)
    return True


# Credentials.


def authenticate_device(credential: str, now: datetime | None = None) -> tuple[Device, str]:
    """The device holding ``credential`` and the hash it matched; refusals ``device_unknown``, ``device_revoked``.

    The previous credential (kept after a rotation) is accepted too, until the device first uses the new one:
    that first use drops it. ``last_seen_at`` is updated.
    """
    now = now or utcnow()
    hashed = digest(credential)
    device = db.session.scalar(
        select(Device).where(or_(Device.credential_hash == hashed, Device.previous_credential_hash == hashed))
    )
    if device is None:
        raise DeviceRefused("device_unknown")
    if device.revoked_at is not None:
        raise DeviceRefused("device_revoked")
    if device.credential_hash == hashed and device.previous_credential_hash is not None:
        device.previous_credential_hash = None  # the new credential arrived: the old one is no longer needed
    device.last_seen_at = now
    db.session.flush()
    return device, hashed


def needs_rotation(device: Device, used_hash: str, now: datetime | None = None) -> bool:
    """Whether the device should rotate its credential: the current one is too old, or it still uses the old one
    (its rotation answer was lost; rotating again gets it a credential it really holds)."""
    now = now or utcnow()
    if used_hash != device.credential_hash:
        return True
    issued = device.credential_issued_at or device.enrolled_at
    return now - issued >= timedelta(days=current_app.config["DEVICE_CREDENTIAL_ROTATION_DAYS"])


def rotate_credential(device: Device, used_hash: str, now: datetime | None = None) -> str:
    """Issue a new credential; the one the device authenticated with stays valid as the previous one.

    Compare-and-swap on the current hash: two rotations racing from the same phone cannot both win (the loser is
    refused with ``rotation_conflict`` and the phone keeps what it already has, which still works).
    """
    now = now or utcnow()
    expected = device.credential_hash
    credential = new_secret()
    changed = db.session.execute(
        update(Device)
        .where(Device.id == device.id, Device.credential_hash == expected, Device.revoked_at.is_(None))
        .values(
            credential_hash=digest(credential),
            previous_credential_hash=used_hash,
            credential_issued_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DeviceRefused("rotation_conflict")
    db.session.refresh(device)
    return credential


# Revocation.


def revoke_device(device: Device, by: User, now: datetime | None = None) -> bool:
    """Revoke ``device`` and end its open shifts; return False if it was already revoked.

    Nothing the device sent is deleted: its events, shifts and history stay; only its next calls are refused.
    """
    if device.revoked_at is not None:
        return False
    now = now or utcnow()
    device.revoked_at = now
    device.revoked_by_id = by.id
    ended = db.session.scalars(select(Shift).where(Shift.device_id == device.id, Shift.ended_at.is_(None))).all()
    for shift in ended:
        shift.ended_at = now
    db.session.flush()
    record(
        "device.revoke",
        user=by,
        target=f"device:{device.id}",
        name=device.name,
        shifts_ended=[shift.public_id for shift in ended],
    )
    return True


def devices_visible_to(user: User):
    """A query of the devices ``user`` may see: all for an admin, those serving one of their points otherwise."""
    query = select(Device)
    if user.role != "admin":
        query = query.where(Device.points.any(Point.id.in_(user.point_ids)))
    return query


def may_manage_device(user: User, device: Device) -> bool:
    """Admins manage every device; coordinators a device that serves one of their points (a lost phone should be
    revoked by whoever notices first)."""
    return user.role == "admin" or any(manages_point(user, point_id) for point_id in device.point_ids)
