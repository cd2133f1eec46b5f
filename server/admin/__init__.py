"""The admin area: server-rendered pages for coordinators and admins."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from server.admin import (  # noqa: E402,F401  (they register their routes on bp)
    allowance,
    audit,
    contracts,
    devices,
    exports,
    history,
    households,
    log,
    membership,
    notifications,
    orders,
    settings,
    sign_off,
    tickets,
    users,
    views,
    week,
)
