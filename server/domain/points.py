"""Points: the places where distributions happen. A point is deactivated, never deleted: its history stays.

Who may change what is decided here too, for every domain module: ``actor`` is the signed-in user making the change,
``None`` the system (the CLI, the demo loader, tests). Admins may do everything; a coordinator acts only within the
points they manage (``manages_point``, the one rule the web layer's decorators ask too). Only admins create points
and (de)activate them; a coordinator edits the details of their own points. The views refuse earlier (403, or 404
for another point's objects); these checks are the last guard, so the rule holds for every caller.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from server.audit import record
from server.domain import DomainError, apply_changes, clean, is_taken, require_text
from server.extensions import db
from server.models import Point, User

POINT_FIELDS = ("name", "town", "address", "ephemeral", "active", "notes")
ADMIN_ONLY = _l("Only an administrator can make this change.")
NOT_MANAGED = _l("Choose a point from the list.")  # what a coordinator sees: the list offers only their points


def manages_point(user: User, point_id: int | None) -> bool:
    """Admins manage every point; coordinators only theirs."""
    return user.role == "admin" or (user.role == "coordinator" and point_id in user.point_ids)


class NotAllowed(DomainError):
    """The acting user's role or points do not allow this change."""


def require_admin(actor: User | None, field: str | None = None) -> None:
    if actor is not None and actor.role != "admin":
        raise NotAllowed(ADMIN_ONLY, field=field)


def require_manager(actor: User | None, point_id: int | None, field: str | None = "point") -> None:
    """Refuse unless ``actor`` manages the point ``point_id`` (``None``, no point, is managed by admins only)."""
    if actor is not None and not manages_point(actor, point_id):
        raise NotAllowed(NOT_MANAGED, field=field)


def create_point(data: Mapping[str, Any], *, actor: User | None = None) -> Point:
    require_admin(actor)
    values = _checked(data, None)
    point = Point(**values)
    db.session.add(point)
    db.session.flush()
    record("point.create", target=f"point:{point.id}", name=point.name, town=point.town)
    return point


def update_point(point: Point, data: Mapping[str, Any], *, actor: User | None = None) -> Point:
    require_manager(actor, point.id, field=None)
    values = _checked(data, point)
    if "active" in values and values["active"] != point.active:
        require_admin(actor, field="active")
    changes = apply_changes(point, values)
    if changes:
        db.session.flush()
        record("point.update", target=f"point:{point.id}", changes=changes)
    return point


def _checked(data: Mapping[str, Any], point: Point | None) -> dict[str, Any]:
    values = clean(Point, data, POINT_FIELDS)
    if point is None:
        values.setdefault("name", "")
        values.setdefault("town", "")
    require_text(values, "name", _l("Give the point a name."))
    require_text(values, "town", _l("Give the town of the point."))
    if "name" in values and is_taken(Point, Point.name, values["name"], point):
        raise DomainError(_l("Another point already has this name."), field="name")
    return values
