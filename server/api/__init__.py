"""The JSON API of the volunteer app (blueprint ``api`` at ``/api``).

Devices authenticate by headers (``server.api.auth``), never by cookie, so the blueprint is exempt from CSRF.
Every answer is JSON, errors included: ``{"error": {"status", "reason", "message", …}}``. See ``docs/devices.md``.
"""

from flask import Blueprint, g, request

from server.api.body import MAX_BODY_BYTES
from server.api.errors import ApiError

bp = Blueprint("api", __name__)


@bp.before_request
def limit_body() -> None:
    from server.api.events import MAX_UPLOAD_BYTES  # late: the views import this package

    request.max_content_length = MAX_UPLOAD_BYTES if request.endpoint == "api.upload_events" else MAX_BODY_BYTES


@bp.after_request
def api_headers(response):
    # Never cached: answers carry credentials and who is signed in.
    response.headers["Cache-Control"] = "no-store"
    if g.get("rotate"):
        from server.api.auth import ROTATE_HEADER

        response.headers[ROTATE_HEADER] = "true"
    return response


@bp.app_errorhandler(ApiError)
def api_error(exc: ApiError):
    return exc.response()


from server.api import devices, events, openapi, packs, push, shifts, tickets  # noqa: E402,F401  (they register their routes on bp)
