"""The network's own settings an admin changes: its name, whether the phone names a member's tier at the counter,
how far a prepaid balance may go below zero (``docs/accounts.md``, "Overdraft"), and the two thresholds of the
dashboard's "to check" (``docs/dashboard.md``). Phones get them with their next
pack. The membership fee has its own page (``server.domain.membership.update_settings``)."""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from server.audit import record
from server.domain import DomainError, apply_changes
from server.domain.points import require_admin
from server.extensions import db
from server.models import NetworkSettings, User

MAX_FLOOR_CENTS = 100_000  # a prepaid balance never goes below −1 000 €


def update_network_settings(data: Mapping[str, Any], *, actor: User) -> NetworkSettings:
    """``name``, ``show_tier_at_counter``, ``prepaid_floor_cents`` (how far below zero, 0: never below),
    ``cash_gap_threshold_cents`` (a phone's cash gap beyond it is to check) and ``low_balance_cents`` (a balance
    below it is to check); admins only, audited. A threshold left out keeps its value."""
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
    values = {
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
