"""Events between phones and the server: upload a batch (idempotent, one result per event), download the other
phones' events of a distribution since a cursor. The rules are ``sync.ingest``; see ``docs/sync-protocol.md``."""

from typing import Any, Literal

from flask import jsonify, request
from pydantic import BaseModel, Field

from server.api import bp
from server.api.auth import current_device, require_distribution
from server.api.body import read_json_object
from server.api.errors import ApiError
from server.api.openapi import described
from server.auth.access import device_required, shift_required
from server.domain.events import events_since, latest_position, mark_conflicts_stale, store_upload
from server.extensions import db
from sync.events import Event

MAX_UPLOAD_EVENTS = 1000
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # 1,000 events of about 1 KB, with room; gzip counts unzipped
MAX_PULL = 1000


class UploadBody(BaseModel):
    """A batch of events recorded on this phone, oldest first; each is checked on its own."""

    events: list[Event] = Field(max_length=MAX_UPLOAD_EVENTS)


class ItemResult(BaseModel):
    index: int
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    errors: list[dict[str, Any]] | None = None


class UploadAnswer(BaseModel):
    """One result per event, in the batch's order, and the server's cursor after this upload. With any rejected
    event the status is 422 and ``error`` names them; the other events of the batch are stored all the same."""

    results: list[ItemResult]
    cursor: str
    error: dict[str, Any] | None = None


class PullQuery(BaseModel):
    since: str = Field(default="0", pattern=r"^[0-9]{1,18}$", description="the cursor of the last download")
    limit: int = Field(default=500, ge=1, le=MAX_PULL)


class PullAnswer(BaseModel):
    """The other phones' events of the distribution after ``since``, in the server's order."""

    events: list[dict[str, Any]]
    cursor: str
    more: bool


@bp.post("/events")
@device_required
@described(
    "Upload a batch of events recorded on this phone (gzip accepted).",
    body=UploadBody,
    answers={200: UploadAnswer, 422: UploadAnswer},
)
def upload_events():
    """Store what may be stored, commit, then answer: nothing accepted is lost if the answer never arrives.

    The distributions that received events are flagged (``mark_conflicts_stale``): their conflicts are looked for
    by ``flask --app wsgi sync check-conflicts`` (cron, every minute) or a coordinator's "check now", not here, so
    an upload stays as fast with the 20,000th event of a distribution as with the first."""
    body = read_json_object(MAX_UPLOAD_BYTES, per_item=True)
    items = body.get("events")
    if set(body) - {"events"} or not isinstance(items, list):
        raise ApiError("invalid_field", field=next(iter(set(body) - {"events"}), "events"))
    if len(items) > MAX_UPLOAD_EVENTS:
        raise ApiError("too_many_events", field="events", max=MAX_UPLOAD_EVENTS)
    upload = store_upload(current_device(), items)
    mark_conflicts_stale(upload.distribution_ids)
    db.session.commit()
    answer: dict[str, Any] = {
        "results": [result.json() for result in upload.plan.results],
        "cursor": str(upload.cursor),
    }
    rejected = upload.plan.rejected
    if not rejected:
        return jsonify(answer)
    refusal = ApiError("events_rejected", rejected=[result.index for result in rejected])
    answer["error"] = {"status": refusal.status, "reason": refusal.reason, "message": refusal.message} | refusal.extra
    return jsonify(answer), refusal.status


@bp.get("/distributions/<id:distribution_id>/events")
@shift_required
@described(
    "The other phones' events of a distribution since a cursor (409 cursor_unknown: reload the pack).",
    query=PullQuery,
    answers={200: PullAnswer},
)
def pull_events(distribution_id: int):
    distribution = require_distribution(distribution_id)
    since, limit = request.args.get("since", "0"), request.args.get("limit", "500")
    if not decimal_text(since, 18):  # str.isdigit alone takes "²", which int() refuses
        raise ApiError("invalid_field", field="since")
    if not decimal_text(limit, 18) or not 1 <= int(limit) <= MAX_PULL:
        raise ApiError("invalid_field", field="limit")
    if int(since) > latest_position():
        raise ApiError("cursor_unknown")
    events, cursor, more = events_since(distribution.id, int(since), int(limit), except_device=current_device())
    return jsonify(events=events, cursor=str(cursor), more=more)


def decimal_text(value: str, max_digits: int) -> bool:
    """Plain ASCII decimal digits, at most ``max_digits`` of them."""
    return 0 < len(value) <= max_digits and value.isascii() and value.isdigit()
