"""Who is calling the device API: the device (``Authorization: Device <credential>``) and, for a volunteer's calls,
their shift (``X-Comptoir-Shift: <token>``). Both are headers, never cookies, so the API needs no CSRF token.

``load_device`` and ``load_shift`` run in ``device_required`` / ``shift_required`` (``server.auth.access``) and put
what they found on ``flask.g``: ``g.device``, ``g.credential_hash``, ``g.rotate`` and ``g.shift``.
"""

from flask import g, request

from server.api.errors import ApiError
from server.domain.devices import DeviceRefused, authenticate_device, needs_rotation
from server.domain.shifts import ShiftRefused, authenticate_shift, may_work_at
from server.extensions import db
from server.models import Device, Distribution, Shift

DEVICE_SCHEME = "Device"
SHIFT_HEADER = "X-Comptoir-Shift"
ROTATE_HEADER = "X-Comptoir-Rotate"
PENDING_HEADER = "X-Comptoir-Pending"  # events the app holds and has not uploaded yet (docs/push.md)
PENDING_MAX = 10**6
SECRET_MAX = 128  # credentials and tokens are 43 characters; anything much longer is not one of ours


def _header_secret(value: str | None, missing: str, unknown: str, scheme: str | None = None) -> str:
    if not value:
        raise ApiError(missing)
    if scheme is not None:
        given, _, value = value.partition(" ")
        if given != scheme:
            raise ApiError(missing)
    value = value.strip()
    if not value or len(value) > SECRET_MAX:
        raise ApiError(unknown)
    return value


def load_device() -> Device:
    """Authenticate the calling device (refusals: ``device_credential_missing``, ``device_unknown``,
    ``device_revoked``) and commit its ``last_seen_at`` and the end of a rotation right away, so a refusal later in
    the request keeps them."""
    if "device" in g:
        return g.device
    credential = _header_secret(
        request.headers.get("Authorization"), "device_credential_missing", "device_unknown", DEVICE_SCHEME
    )
    try:
        device, used_hash = authenticate_device(credential)
    except DeviceRefused as refused:
        db.session.rollback()
        raise ApiError(refused.reason) from refused
    g.rotate = needs_rotation(device, used_hash)
    pending = request.headers.get(PENDING_HEADER, "")
    if pending.isdigit() and int(pending) <= PENDING_MAX:  # anything else is ignored: it is only a hint
        device.pending_events = int(pending)
    db.session.commit()
    g.device, g.credential_hash = device, used_hash
    return device


def load_shift() -> Shift:
    """Authenticate the device, then the volunteer's shift on it (refusals: ``shift_required``, ``shift_unknown``,
    ``shift_wrong_device``, ``shift_ended``, ``shift_expired``, ``user_inactive``)."""
    if "shift" in g:
        return g.shift
    device = load_device()
    token = _header_secret(request.headers.get(SHIFT_HEADER), "shift_required", "shift_unknown")
    try:
        shift = authenticate_shift(device, token)
    except ShiftRefused as refused:
        raise ApiError(refused.reason) from refused
    g.shift = shift
    return shift


def current_device() -> Device:
    return g.device


def current_shift() -> Shift:
    return g.shift


def require_distribution(distribution_id: int) -> Distribution:
    """The distribution, if both the calling device and the signed-in volunteer may act at its point.

    ``distribution_unknown`` (404) if there is none; ``forbidden_point`` (403) if its point is not one of the
    device's, or not one where the volunteer works (admins work everywhere, still only on the device's points).
    A revoked device never gets here: ``load_device`` refused it.
    """
    shift = load_shift()
    distribution = db.session.get(Distribution, distribution_id)
    if distribution is None:
        raise ApiError("distribution_unknown")
    point_id = distribution.point_id
    if point_id not in shift.device.point_ids or not may_work_at(shift.user, point_id):
        raise ApiError("forbidden_point")
    return distribution
