"""What an enrolled phone downloads to check member tickets offline: public keys and the revocations, by page."""

from flask import jsonify, request
from pydantic import BaseModel, Field

from server.api import bp
from server.api.errors import ApiError
from server.api.events import decimal_text
from server.api.openapi import described
from server.auth.access import device_required
from server.domain.tickets import latest_revision, revocations_since
from server.ticket_keys import public_keys
from sync.pack import PackTickets
from sync.tickets import trust_json

MAX_TRUST_PAGE = 5000  # revocations a page: about 60 KB of JSON at most
TRUST_PAGE = 2000


class TrustQuery(BaseModel):
    since: str = Field(default="0", pattern=r"^[0-9]{1,18}$", description="the cursor of the last download")
    limit: int = Field(default=TRUST_PAGE, ge=1, le=MAX_TRUST_PAGE)


class TrustAnswer(PackTickets):
    """Every key that still verifies, and the revocations after ``since`` (``min_serials``), oldest change first:
    the phone merges them into what it holds and asks again from ``cursor`` while ``more`` is true."""

    cursor: str
    more: bool


@bp.get("/tickets/trust")
@device_required
@described(
    "The public keys, and the revocations since a cursor, that check tickets offline (409 cursor_unknown: start "
    "again from 0).",
    query=TrustQuery,
    answers={200: TrustAnswer},
)
def ticket_trust():
    """Any enrolled phone, with or without a volunteer: nothing here is personal (member ids and serials only), and
    a phone must be able to refresh it before the first volunteer of the day signs in. A page, never the whole
    network: from ``since=0`` the phone pages through every revocation once, then asks only for what changed."""
    since, limit = request.args.get("since", "0"), request.args.get("limit", str(TRUST_PAGE))
    if not decimal_text(since, 18):
        raise ApiError("invalid_field", field="since")
    if not decimal_text(limit, 18) or not 1 <= int(limit) <= MAX_TRUST_PAGE:
        raise ApiError("invalid_field", field="limit")
    min_serials, cursor, more = revocations_since(int(since), int(limit))
    if not min_serials and int(since) > latest_revision():
        raise ApiError("cursor_unknown")
    return jsonify(trust_json(public_keys(), min_serials) | {"cursor": str(cursor), "more": more})
