"""Sign-in: one-time links now (bootstrap and recovery), the session, and the ``admin_required`` guard."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from server.auth import views  # noqa: E402,F401
