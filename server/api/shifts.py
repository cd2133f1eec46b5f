"""Volunteer endpoints: sign in on the device with a passkey (a shift), sign out, who and where, a distribution."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, jsonify
from pydantic import Field
from sqlalchemy import func, select

from server.api import bp
from server.api.auth import current_device, current_shift, require_distribution
from server.api.body import Body, read_json
from server.api.devices import device_json, iso, point_json, shift_json
from server.api.errors import ApiError
from server.api.openapi import described
from server.auth.access import device_required, shift_required
from server.auth.webauthn import PasskeyRefused, begin_authentication, finish_authentication
from server.clock import utcnow
from server.domain.devices import DeviceRefused
from server.domain.shifts import ShiftRefused, end_shift, shared_points, start_shift
from server.extensions import db
from server.models import Distribution, NetworkSettings, Order, User

UPCOMING_DAYS = 14  # how far ahead ``/api/me`` lists distributions
UPCOMING_MAX = 50


class ShiftOptionsBody(Body):
    email: str | None = Field(default=None, max_length=254)


class ShiftStartBody(Body):
    ceremony: str = Field(min_length=1, max_length=64)
    credential: dict[str, Any] | str  # the browser's answer, as @simplewebauthn/browser gives it


@bp.post("/shifts/options")
@device_required
@described("Options for the passkey prompt on the phone.", body=ShiftOptionsBody)
def shift_options():
    """Options for the passkey prompt on the phone: for the user with ``email`` if one is known and has passkeys,
    else username-less (the same answer either way, so the API tells nobody which e-mails exist)."""
    body = read_json(ShiftOptionsBody)
    user = None
    if body.email:
        user = db.session.scalar(select(User).where(func.lower(User.email) == body.email.lower()))
        if user is not None and (not user.active or not user.passkeys):
            user = None
    started = begin_authentication(user)
    db.session.commit()
    return jsonify(started)


@bp.post("/shifts")
@device_required
@described(
    "Verify a passkey answer and start a volunteer shift on this phone.",
    body=ShiftStartBody,
    answers={201: "The shift and its token, and the points where the volunteer may act."},
)
def shift_start():
    """Verify the passkey's answer and give the volunteer a shift on this device until the end of the day."""
    body = read_json(ShiftStartBody)
    device = current_device()
    try:
        passkey = finish_authentication(body.ceremony, body.credential)
    except PasskeyRefused as refused:
        db.session.commit()  # the challenge stays used and any audit entry stays written
        current_app.logger.info("passkey refused on device %s: %s", device.public_id, refused.reason)
        raise ApiError(f"passkey_{refused.reason}") from refused
    try:
        shift, token = start_shift(device, passkey.user)
    except (ShiftRefused, DeviceRefused) as refused:
        db.session.commit()  # the passkey's new sign count is kept: the assertion was real
        raise ApiError(refused.reason) from refused
    answer = {"shift": shift_json(shift, token), "points": [point_json(p) for p in shared_points(device, shift.user)]}
    db.session.commit()
    return jsonify(answer), 201


@bp.delete("/shifts/current")
@shift_required
@described("Sign the current volunteer out of this phone.")
def shift_end():
    """Sign the current volunteer out of this device."""
    shift = current_shift()
    end_shift(shift)
    answer = {"shift": {"id": shift.public_id, "ended_at": iso(shift.ended_at)}}
    db.session.commit()
    return jsonify(answer)


@bp.get("/me")
@shift_required
@described("The device, the volunteer, their points and the coming distributions there.")
def me():
    """The device, the volunteer, the device's points where they may act, and today's and upcoming distributions
    there."""
    shift, device = current_shift(), current_device()
    points = shared_points(device, shift.user)
    zone = ZoneInfo(NetworkSettings.current().timezone)
    today = datetime.combine(utcnow().astimezone(zone).date(), time(0), tzinfo=zone)
    distributions = db.session.scalars(
        select(Distribution)
        .where(
            Distribution.point_id.in_([p.id for p in points]),
            Distribution.ends_at >= today,
            Distribution.starts_at < today + timedelta(days=UPCOMING_DAYS),
        )
        .order_by(Distribution.starts_at, Distribution.id)
        .limit(UPCOMING_MAX)
    ).all()
    return jsonify(
        device=device_json(device),
        volunteer={
            "id": shift.user.id,
            "display_name": shift.user.display_name or shift.user.email,
            "role": shift.user.role,
        },
        shift=shift_json(shift),
        points=[point_json(p) for p in points],
        distributions=[distribution_json(d) | {"assigned": shift.user in d.volunteers} for d in distributions],
    )


@bp.get("/distributions/<id:distribution_id>")
@shift_required
@described("A distribution this phone and volunteer may run.")
def distribution(distribution_id: int):
    """A distribution this device and volunteer may run (its pack: ``GET …/pack``, ``server.api.packs``)."""
    found = require_distribution(distribution_id)
    orders = db.session.scalar(select(func.count(Order.id)).where(Order.distribution_id == found.id))
    return jsonify(distribution=distribution_json(found) | {"orders": orders})


def distribution_json(distribution: Distribution) -> dict[str, Any]:
    return {
        "id": distribution.id,
        "point": point_json(distribution.point),
        "starts_at": iso(distribution.starts_at),
        "ends_at": iso(distribution.ends_at),
        "status": distribution.status,
    }
