"""Error answers: JSON with a stable shape under ``/api/``, a plain page elsewhere; never a bare 500 page."""

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from server.sealed import SealedError


def _default_description(code: int) -> str | None:
    """Werkzeug's own descriptions are English only: the ones people meet, in the page's language."""
    return {
        400: _("The request could not be understood. Go back and try again."),
        401: _("You need to sign in to see this page."),
        403: _("You are not allowed to see this page."),
        404: _("This page does not exist. Check the address, or go back to the dashboard."),
        405: _("This page cannot be used this way. Go back and try again."),
        409: _("This was changed meanwhile. Reload the page and try again."),
        413: _("What was sent is too large."),
        429: _("Too many attempts. Wait a moment and try again."),
    }.get(code)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, reason: str, message: str, **extra) -> tuple[Response | str, int]:
    """One error answer: ``{"error": {"status", "reason", "message", …}}`` for the API, a page for people."""
    if wants_json():
        return jsonify(error={"status": status, "reason": reason, "message": message, **extra}), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400,
            "csrf_failed",
            _("This form has expired or was not sent from this site. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        reason = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.description == type(exc).description:  # werkzeug's English text, not one of ours
            message = _default_description(exc.code or 500) or message
        return error_response(exc.code or 500, reason, message)

    @app.errorhandler(SealedError)
    def sealed_error(exc: SealedError):
        """A server set up without the network's secret key: say so (and log the fix), rather than a bare 500."""
        current_app.logger.error("%s", exc.message)
        return error_response(
            503,
            "sealed_keys_unreadable",
            _(
                "This server cannot open the keys kept in the database: it was not given the same secret key "
                "(COMPTOIR_SECRET_KEY) as the other servers. Please tell the administrator: the server log says "
                "how to fix it."
            ),
        )

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        return error_response(500, "internal_error", _("Something went wrong on the server. Nothing was changed."))
