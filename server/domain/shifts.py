"""Shifts: a volunteer signed in with a passkey on one device, until the end of the distribution day.

The device keeps the shift token (the server only its SHA-256) and sends it with the device credential; offline it
is the volunteer's identity. Verbs flush and audit; the caller commits. See ``docs/devices.md``.
"""

import uuid
from datetime import datetime

from sqlalchemy import select

from server.audit import record
from server.clock import utcnow
from server.domain.devices import DeviceRefused, digest, new_secret
from server.extensions import db
from server.models import Device, NetworkSettings, Point, Shift, User
from sync.shifts import end_of_day


class ShiftRefused(Exception):
    """Why a shift cannot start or be used, as a stable reason code (the API's ``reason``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def may_work_at(user: User, point_id: int) -> bool:
    """Admins may work at any point; coordinators and volunteers at their own points."""
    return user.active and (user.role == "admin" or point_id in user.point_ids)


def shared_points(device: Device, user: User) -> list[Point]:
    """The device's points where ``user`` may act, by name."""
    return sorted((point for point in device.points if may_work_at(user, point.id)), key=lambda p: p.name)


def start_shift(device: Device, user: User, now: datetime | None = None) -> tuple[Shift, str]:
    """Give ``user`` a shift on ``device`` until the end of today (network timezone); return it and its token.

    Refusals: ``device_revoked``, ``user_inactive``, ``forbidden_point`` (no point of the device is one of the
    user's). The user's earlier open shifts on this device end: signing in again replaces them.
    """
    now = now or utcnow()
    if device.revoked_at is not None:
        raise DeviceRefused("device_revoked")
    if not user.active:
        raise ShiftRefused("user_inactive")
    if not shared_points(device, user):
        raise ShiftRefused("forbidden_point")
    replaced = db.session.scalars(
        select(Shift).where(Shift.device_id == device.id, Shift.user_id == user.id, Shift.ended_at.is_(None))
    ).all()
    for old in replaced:
        old.ended_at = now
    token = new_secret()
    shift = Shift(
        public_id=str(uuid.uuid4()),
        token_hash=digest(token),
        user=user,
        device=device,
        started_at=now,
        valid_until=end_of_day(now, NetworkSettings.current().timezone),
    )
    db.session.add(shift)
    device.last_user = user
    db.session.flush()
    record(
        "shift.start",
        user=user,
        target=f"device:{device.id}",
        shift=shift.public_id,
        valid_until=shift.valid_until.isoformat(),
        replaced=[old.public_id for old in replaced],
    )
    return shift, token


def end_shift(shift: Shift, now: datetime | None = None) -> None:
    """End ``shift`` now (the volunteer signed out); ending an ended shift changes nothing."""
    if shift.ended_at is not None:
        return
    shift.ended_at = now or utcnow()
    db.session.flush()
    record("shift.end", user=shift.user, target=f"device:{shift.device_id}", shift=shift.public_id)


def authenticate_shift(device: Device, token: str, now: datetime | None = None) -> Shift:
    """The usable shift for ``token`` on ``device``.

    Refusals: ``shift_unknown``, ``shift_wrong_device`` (a token from another phone), ``shift_ended`` (signed out
    or the device was revoked), ``shift_expired`` (past the end of its day), ``user_inactive``.
    """
    now = now or utcnow()
    shift = db.session.scalar(select(Shift).where(Shift.token_hash == digest(token)))
    if shift is None:
        raise ShiftRefused("shift_unknown")
    if shift.device_id != device.id:
        raise ShiftRefused("shift_wrong_device")
    if shift.ended_at is not None:
        raise ShiftRefused("shift_ended")
    if shift.valid_until <= now:
        raise ShiftRefused("shift_expired")
    if not shift.user.active:
        raise ShiftRefused("user_inactive")
    return shift
