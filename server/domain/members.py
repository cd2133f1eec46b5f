"""Members: households and the pricing tiers they belong to.

A household leaves (status) rather than being deleted: its orders, payments and accounts stay traceable. A tier
can be deleted only while no household uses it. The audit log keeps which household fields changed, not their
personal values.

Tiers are the network's pricing: admins only. A coordinator creates and edits the households whose home point is
one of theirs, may set their tier, and cannot give them a home point they do not manage, nor none (``actor``: see
``server.domain.points``).
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from server.audit import record
from server.domain import DomainError, apply_changes, clean, is_taken, require_text
from server.domain.cheque_calendar import replan_household
from server.domain.points import require_admin, require_manager
from server.extensions import db
from server.models import Household, Point, Tier, User
from sync.vocabulary import HOUSEHOLD_STATUSES

TIER_FIELDS = ("name", "share_percent", "description")
HOUSEHOLD_FIELDS = ("first_name", "last_name", "email", "phone", "tier", "point", "status", "notes")


def create_tier(data: Mapping[str, Any], *, actor: User | None = None) -> Tier:
    require_admin(actor)
    values = _checked_tier(data, None)
    tier = Tier(**values)
    db.session.add(tier)
    db.session.flush()
    record("tier.create", target=f"tier:{tier.id}", name=tier.name, share_percent=tier.share_percent)
    return tier


def update_tier(tier: Tier, data: Mapping[str, Any], *, actor: User | None = None) -> Tier:
    require_admin(actor)
    changes = apply_changes(tier, _checked_tier(data, tier))
    if changes:
        db.session.flush()
        record("tier.update", target=f"tier:{tier.id}", changes=changes)
    return tier


def delete_tier(tier: Tier, *, actor: User | None = None) -> None:
    require_admin(actor)
    used_by = db.session.scalar(select(func.count(Household.id)).where(Household.tier_id == tier.id))
    if used_by:
        raise DomainError(
            ngettext(
                "%(num)d household still has this tier: move it to another tier first.",
                "%(num)d households still have this tier: move them to another tier first.",
                used_by,
            )
        )
    record("tier.delete", target=f"tier:{tier.id}", name=tier.name, share_percent=tier.share_percent)
    db.session.delete(tier)
    db.session.flush()


def _checked_tier(data: Mapping[str, Any], tier: Tier | None) -> dict[str, Any]:
    values = clean(Tier, data, TIER_FIELDS)
    if tier is None:
        values.setdefault("name", "")
        values.setdefault("share_percent", None)
    require_text(values, "name", _l("Give the tier a name."))
    if "name" in values and is_taken(Tier, Tier.name, values["name"], tier):
        raise DomainError(_l("Another tier already has this name."), field="name")
    if "share_percent" in values:
        share = values["share_percent"]
        if not isinstance(share, int) or isinstance(share, bool) or not 0 <= share <= 100:
            raise DomainError(
                _l("The share must be a whole number between 0 and 100 (100 is the full price)."),
                field="share_percent",
            )
    return values


def create_household(data: Mapping[str, Any], *, actor: User | None = None) -> Household:
    values = _checked_household(data, None)
    point = values.get("point")
    require_manager(actor, point.id if point is not None else None)
    household = Household(**values)
    db.session.add(household)
    db.session.flush()
    record(
        "household.create",
        target=f"household:{household.id}",
        tier=household.tier.id,
        point=household.point.id if household.point else None,
        status=household.status,
    )
    return household


def update_household(household: Household, data: Mapping[str, Any], *, actor: User | None = None) -> Household:
    require_manager(actor, household.point_id, field=None)
    values = _checked_household(data, household)
    if "point" in values:
        require_manager(actor, values["point"].id if values["point"] is not None else None)
    changes = apply_changes(household, values)
    if changes:
        db.session.flush()
        record("household.update", target=f"household:{household.id}", fields=sorted(changes))
    if "tier" in changes:
        replan_household(household)  # the season's cheques follow the household's share
    return household


def _checked_household(data: Mapping[str, Any], household: Household | None) -> dict[str, Any]:
    values = clean(Household, data, HOUSEHOLD_FIELDS)
    if household is None:
        values.setdefault("first_name", "")
        values.setdefault("tier", None)
        values.setdefault("status", "active")
    require_text(values, "first_name", _l("Give the first name of the household's contact person."))
    if "email" in values:
        values["email"] = (values["email"] or "").lower() or None
        if values["email"] and is_taken(Household, Household.email, values["email"], household):
            raise DomainError(_l("Another household already uses this e-mail address."), field="email")
    if "tier" in values and not isinstance(values["tier"], Tier):
        raise DomainError(_l("Choose the household's tier."), field="tier")
    if "point" in values and values["point"] is not None and not isinstance(values["point"], Point):
        raise DomainError(_l("Choose a point from the list."), field="point")
    if "status" in values and values["status"] not in HOUSEHOLD_STATUSES:
        raise DomainError(_l("Choose a status from the list."), field="status")
    return values
