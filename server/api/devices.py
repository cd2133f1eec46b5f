"""Device endpoints: enrol with a one-time token (and the phone's signing key), read its own state, rotate its
credential, register the signing key of a phone enrolled before device keys existed."""

from datetime import datetime
from typing import Any

from flask import current_app, g, jsonify, request
from pydantic import Field

from server.api import bp
from server.api.auth import SHIFT_HEADER, current_device, load_shift
from server.api.body import Body, Empty, read_json
from server.api.errors import ApiError
from server.api.openapi import described
from server.auth.access import device_required, public
from server.domain.devices import DeviceRefused, redeem_enrolment, register_key, rotate_credential
from server.extensions import db
from server.models import Device, Point, Shift


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def point_json(point: Point) -> dict[str, Any]:
    return {"id": point.id, "name": point.name, "town": point.town, "address": point.address}


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.public_id,
        "name": device.name,
        "points": [point_json(p) for p in sorted(device.points, key=lambda p: p.name)],
        "enrolled_at": iso(device.enrolled_at),
        "credential_issued_at": iso(device.credential_issued_at),
        "public_key": device.public_key,
    }


def shift_json(shift: Shift, token: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": shift.public_id,
        "started_at": iso(shift.started_at),
        "valid_until": iso(shift.valid_until),
        "user": {"id": shift.user.id, "display_name": shift.user.display_name or shift.user.email},
    }
    if token is not None:
        data["token"] = token
    return data


KEY_TEXT = "the phone's raw Ed25519 public key, base64url without padding"


class EnrolBody(Body):
    token: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=80)
    public_key: str | None = Field(default=None, min_length=43, max_length=43, description=KEY_TEXT)


class KeyBody(Body):
    public_key: str = Field(min_length=43, max_length=43, description=KEY_TEXT)


@bp.post("/devices/enrol")
@public
@described(
    "Enrol this phone with the one-time token of an enrolment link.",
    body=EnrolBody,
    answers={201: "The device and its credential (shown only in this answer)."},
)
def device_enrol():
    """Redeem an enrolment token (from the QR code's link): the new device and its credential, shown only here."""
    body = read_json(EnrolBody)
    try:
        device, credential = redeem_enrolment(body.token, body.name, public_key=body.public_key)
    except DeviceRefused as refused:
        db.session.rollback()
        raise ApiError(refused.reason) from refused
    answer = {"device": device_json(device), "credential": credential}
    db.session.commit()
    current_app.logger.info("device %s enrolled", device.public_id)
    return jsonify(answer), 201


@bp.get("/device")
@device_required
@described("The calling device; with a shift header, whether that volunteer is still signed in.")
def device():
    """The calling device, whether it should rotate its credential, and (given ``X-Comptoir-Shift``) whether that
    volunteer is still signed in: ``shift`` is then the shift, or null with ``shift_refused`` giving the reason."""
    answer: dict[str, Any] = {"device": device_json(current_device()), "rotate": bool(g.get("rotate"))}
    if request.headers.get(SHIFT_HEADER):
        try:
            answer["shift"] = shift_json(load_shift())
        except ApiError as refused:
            answer["shift"], answer["shift_refused"] = None, refused.reason
    return jsonify(answer)


@bp.post("/device/rotate")
@device_required
@described("A new credential for the calling device.", body=Empty, answers={200: "The new credential."})
def device_rotate():
    """A new credential for the calling device; the one it used stays valid until the new one is first used."""
    read_json(Empty)
    try:
        credential = rotate_credential(current_device(), g.credential_hash)
    except DeviceRefused as refused:
        db.session.rollback()
        raise ApiError(refused.reason) from refused
    g.rotate = False
    answer = {"credential": credential, "credential_issued_at": iso(current_device().credential_issued_at)}
    db.session.commit()
    return jsonify(answer)


@bp.post("/device/key")
@device_required
@described(
    "Register the calling phone's signing key, once (a phone enrolled before device keys existed).",
    body=KeyBody,
    answers={200: "The device, its key registered."},
)
def device_key():
    """Register the phone's Ed25519 public key: accepted once per device; the same key again is a no-op (a lost
    answer), another key ``409 device_key_registered`` (a phone that lost its key is enrolled again)."""
    body = read_json(KeyBody)
    device = current_device()
    try:
        register_key(device, body.public_key)
    except DeviceRefused as refused:
        db.session.rollback()
        raise ApiError(refused.reason) from refused
    answer = {"device": device_json(device)}
    db.session.commit()
    return jsonify(answer)
