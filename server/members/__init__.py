"""The member's personal page: their QR ticket, next pick-up and balances, opened by a private link."""

from flask import Blueprint

bp = Blueprint("members", __name__)

from server.members import contracts, views  # noqa: E402,F401
