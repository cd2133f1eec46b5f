"""The admin area: server-rendered pages for coordinators and admins."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from server.admin import (  # noqa: E402,F401  (they register their routes on bp)
    allowance,
    audit,
    cheque_calendar,
    cheques,
    contract_import,
    contracts,
    devices,
    exports,
    extras,
    history,
    households,
    log,
    membership,
    notifications,
    orders,
    producer_reports,
    producers,
    settings,
    sign_off,
    tickets,
    users,
    views,
    week,
)
