"""The network's own settings an admin changes: its name, whether the phone names a member's tier at the counter,
how far a prepaid balance may go below zero (``docs/accounts.md``, "Overdraft"), the two thresholds of the
dashboard's "to check" (``docs/dashboard.md``) and when a distribution's orders close by default
(``docs/contracts.md``). Phones get them with their next
pack. The membership fee has its own page (``server.domain.membership.update_settings``)."""

from collections.abc import Mapping
from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l

from server.audit import record
from server.domain import DomainError, apply_changes
from server.domain.points import require_admin
from server.extensions import db
from server.models import NetworkSettings, User

MAX_CLOSE_DAYS = 30  # a distribution's orders close at most a month before it (by default)
MAX_FLOOR_CENTS = 100_000  # a prepaid balance never goes below −1 000 €


def update_network_settings(data: Mapping[str, Any], *, actor: User) -> NetworkSettings:
    """``name``, ``show_tier_at_counter``, ``prepaid_floor_cents`` (how far below zero, 0: never below),
    ``cash_gap_threshold_cents`` (a phone's cash gap beyond it is to check) and ``low_balance_cents`` (a balance
    below it is to check), when orders close by default (``orders_close_days`` before, at ``orders_close_time``:
    ``server.domain.orders_close``); admins only, audited. A threshold or close setting left out keeps its value."""
    require_admin(actor)
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_l("Give the network a name."), field="name")
    floor = data.get("prepaid_floor_cents") or 0
    if not isinstance(floor, int) or not 0 <= floor <= MAX_FLOOR_CENTS:
        raise DomainError(_l("Type an amount between 0 and 1 000 euros."), field="prepaid_floor_cents")
    settings = NetworkSettings.current()
    thresholds = {}
    for field in ("cash_gap_threshold_cents", "low_balance_cents"):
        value = data.get(field, getattr(settings, field))
        value = 0 if value is None else value
        if not isinstance(value, int) or not 0 <= value <= MAX_FLOOR_CENTS:
            raise DomainError(_l("Type an amount between 0 and 1 000 euros."), field=field)
        thresholds[field] = value
    days = data.get("orders_close_days")
    days = settings.orders_close_days if days is None else days
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_CLOSE_DAYS:
        raise DomainError(_l("Give a whole number of days from 0 to 30."), field="orders_close_days")
    at = data.get("orders_close_time") or settings.orders_close_time
    if not isinstance(at, time):
        raise DomainError(_l("Enter a time such as 12:00."), field="orders_close_time")
    values = {
        "orders_close_days": days,
        "orders_close_time": at.replace(second=0, microsecond=0, tzinfo=None),
        "name": name,
        "show_tier_at_counter": bool(data.get("show_tier_at_counter")),
        "prepaid_floor_cents": floor,
        **thresholds,
    }
    changes = apply_changes(settings, values)
    if changes:
        db.session.flush()
        record("network.settings", target="network", user=actor, changes=changes)
    return settings
