"""Users of the admin and the volunteer app, their invitations and who may manage whom.

Admins manage everyone. Coordinators manage the volunteers of their points: they invite volunteers only (never a
coordinator or an admin), only for points they manage, and change only those points of a volunteer; they see
themselves but cannot change their own role, points or status. The network always keeps one active admin.

An invitation is a one-time link (``SignInLink`` with purpose ``invitation``) valid ``INVITATION_HOURS``: opening it
lets the invitee create their first passkey. A new invitation for the same user (lost phone) cancels the earlier
ones still pending, so only the last link handed out works.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, update

from server.audit import record
from server.clock import utcnow
from server.domain import DomainError, clean, is_taken, require_text
from server.domain.links import create_sign_in_link, find_link
from server.extensions import db
from server.models import Point, SignInLink, User
from server.models.people import user_points
from server.urls import MAX_ID
from sync.vocabulary import USER_ROLES

USER_FIELDS = ("email", "display_name")


class Invitation:
    """A freshly created invitation: its token exists in clear only here, to be shown once."""

    def __init__(self, user: User, token: str, expires_at: datetime):
        self.user = user
        self.token = token
        self.expires_at = expires_at


# Who may see and manage whom.


def can_manage(actor: User, user: User) -> bool:
    """Admins manage everyone; a coordinator manages the volunteers of at least one of their points."""
    if actor.role == "admin":
        return True
    return actor.role == "coordinator" and user.role == "volunteer" and bool(user.point_ids & actor.point_ids)


def can_see(actor: User, user: User) -> bool:
    return actor.id == user.id or can_manage(actor, user)


def visible_users_query(actor: User):
    """The users ``actor`` may list: everyone for an admin; a coordinator's volunteers and themselves."""
    query = select(User)
    if actor.role == "admin":
        return query
    if actor.role != "coordinator":
        return query.where(User.id == actor.id)
    in_my_points = exists().where(
        and_(user_points.c.user_id == User.id, user_points.c.point_id.in_(actor.point_ids or [-1]))
    )
    return query.where(or_(User.id == actor.id, and_(User.role == "volunteer", in_my_points)))


def offered_roles(actor: User) -> tuple[str, ...]:
    """The roles ``actor`` may give: any for an admin, volunteer only for a coordinator."""
    return USER_ROLES if actor.role == "admin" else ("volunteer",)


def offered_points(actor: User) -> list[Point]:
    """The points ``actor`` may attach users to: every active point for an admin, their own for a coordinator."""
    query = select(Point).order_by(Point.name)
    if actor.role != "admin":
        query = query.where(Point.id.in_(actor.point_ids or [-1]))
    else:
        query = query.where(Point.active.is_(True))
    return list(db.session.scalars(query))


# Operations.


def invite_user(actor: User, data: Mapping[str, Any]) -> Invitation:
    """Create the user described by ``data`` (email, display_name, role, points) and a first invitation."""
    values = clean(User, data, USER_FIELDS)
    values.setdefault("email", "")
    values.setdefault("display_name", "")
    values["email"] = values["email"].lower()
    require_text(values, "email", _l("Give the e-mail address of the person you invite."))
    require_text(values, "display_name", _l("Give the name of the person you invite."))
    if "@" not in values["email"] or any(c.isspace() for c in values["email"]):
        raise DomainError(_l("Enter an e-mail address such as name@example.org."), field="email")
    if is_taken(User, User.email, values["email"]):
        raise DomainError(
            _l("Someone already has this e-mail address: send them a new invitation from their page instead."),
            field="email",
        )
    role = data.get("role")
    _check_role(actor, role)
    points = _checked_points(actor, data.get("points") or [])
    if role == "coordinator" and not points:
        raise DomainError(_l("Choose the points this coordinator manages."), field="points")
    if actor.role != "admin" and not points:
        raise DomainError(_l("Choose at least one of your points for this volunteer."), field="points")
    user = User(**values, role=role, active=True, points=points if role != "admin" else [])
    db.session.add(user)
    db.session.flush()
    record(
        "user.create",
        user=actor,
        target=f"user:{user.id}",
        email=user.email,
        role=user.role,
        points=sorted(user.point_ids),
    )
    return create_invitation(actor, user)


def create_invitation(actor: User, user: User) -> Invitation:
    """A new one-time invitation link for ``user`` (first one, or a re-invitation after a lost phone)."""
    if not can_manage(actor, user):
        raise DomainError(_l("You cannot invite this person."))
    if not user.active:
        raise DomainError(_l("This account is deactivated: reactivate it before sending an invitation."))
    now = utcnow()
    # Only the newest link works: earlier pending invitations of this user expire now.
    db.session.execute(
        update(SignInLink)
        .where(
            SignInLink.user_id == user.id,
            SignInLink.purpose == "invitation",
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    hours = current_app.config["INVITATION_HOURS"]
    token = create_sign_in_link(user, hours * 60, purpose="invitation")
    link = find_link(token, purpose="invitation")
    link.created_by_id = actor.id
    db.session.flush()
    record("user.invite", user=actor, target=f"user:{user.id}", link=link.id, expires_at=link.expires_at.isoformat())
    return Invitation(user, token, link.expires_at)


def update_user(actor: User, user: User, data: Mapping[str, Any]) -> User:
    """Change ``user``'s display name, role, points and active flag as far as ``actor`` may.

    Only the keys present in ``data`` change. A coordinator editing a volunteer changes only the volunteer's
    points among their own (the others stay); editing themselves, only their name.
    """
    if not can_see(actor, user):
        raise DomainError(_l("You cannot change this person."))
    myself_only = not can_manage(actor, user)  # a coordinator on their own account
    values = clean(User, data, ("display_name",))
    require_text(values, "display_name", _l("Give the person's name."))
    changes: dict[str, list[Any]] = {}
    if "display_name" in values and values["display_name"] != user.display_name:
        changes["display_name"] = [user.display_name, values["display_name"]]
        user.display_name = values["display_name"]

    role = data.get("role", user.role)
    active = data.get("active", user.active)
    if not isinstance(active, bool):
        raise DomainError(_l("Choose whether the account is active."), field="active")
    if role != user.role:
        if actor.role != "admin":
            raise DomainError(_l("Only an administrator can change a role."), field="role")
        _check_role(actor, role)
    if myself_only and not active:
        raise DomainError(_l("Ask an administrator to deactivate your account."), field="active")
    if user.role == "admin" and user.active and (role != "admin" or not active) and _other_active_admins(user) == 0:
        raise DomainError(
            _l("This is the last active administrator: make someone else an administrator first."),
            field="role" if role != "admin" else "active",
        )
    if role != user.role:
        changes["role"] = [user.role, role]
        user.role = role
    if active != user.active:
        changes["active"] = [user.active, active]
        user.active = active

    if "points" in data and not myself_only:
        wanted = _checked_points(actor, data["points"] or [])
        if actor.role == "admin":
            new_points = wanted
        else:  # a coordinator changes only their own points; the volunteer's other points stay
            new_points = [p for p in user.points if p.id not in actor.point_ids] + wanted
        old_ids, new_ids = sorted(user.point_ids), sorted({p.id for p in new_points})
        if old_ids != new_ids:
            changes["points"] = [old_ids, new_ids]
            user.points = sorted(set(new_points), key=lambda p: p.id)
    if changes:
        db.session.flush()
        record("user.update", user=actor, target=f"user:{user.id}", changes=changes)
    return user


# Rules.


def _check_role(actor: User, role: Any) -> None:
    if role not in USER_ROLES:
        raise DomainError(_l("Choose a role from the list."), field="role")
    if role not in offered_roles(actor):
        raise DomainError(_l("A coordinator can only invite volunteers."), field="role")


def _checked_points(actor: User, points: Iterable[Any]) -> list[Point]:
    """``points`` (rows or ids) as rows, each one ``actor`` manages."""
    rows: list[Point] = []
    for point in points:
        row = point if isinstance(point, Point) else _point_by_id(point)
        if row is None:
            raise DomainError(_l("Choose points from the list."), field="points")
        if actor.role != "admin" and row.id not in actor.point_ids:
            raise DomainError(_l("You can only choose points you coordinate."), field="points")
        if row not in rows:
            rows.append(row)
    return rows


def _point_by_id(value: Any) -> Point | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return db.session.get(Point, value)


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    )
