"""Who may open what. Every view carries an ``access`` tag set by one of these decorators; the authorization
matrix test walks the URL map and fails on a view without one (see docs/security.md).

Tags: ``public``, ``member`` (a member's personal page: its token is the credential), ``user`` (any signed-in
user), ``staff`` (admin, or coordinator within their points), ``admin``, and for the device API ``device`` (an
enrolled, unrevoked device) and ``shift`` (device + a volunteer's shift).
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for

from server.auth.session import current_user
from server.domain.points import manages_point
from server.models import User

STAFF_ROLES = ("admin", "coordinator")


def tag(view: Callable[..., Any], access: str) -> Callable[..., Any]:
    view.access = access  # type: ignore[attr-defined]
    return view


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Open to anyone (sign-in pages, one-time links, static files)."""
    return tag(view, "public")


def member_link(view: Callable[..., Any]) -> Callable[..., Any]:
    """A member's personal page ``/m/<page_token>``: the long random token is the member's credential. The view
    gets the household; an unknown or rotated token, or a member who left, gets 404 (nothing tells them apart)."""

    @wraps(view)
    def wrapped(page_token: str, **kwargs: Any) -> Any:
        from server.domain.tickets import member_by_page_token  # late: the domain imports the models

        household = member_by_page_token(page_token)
        if household is None:
            abort(404)
        return view(household, **kwargs)

    return tag(wrapped, "member")


def _requiring(access: str, allowed: Callable[[User], bool]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in_page", next=request.full_path))
            if not allowed(user):
                abort(403)
            return view(*args, **kwargs)

        return tag(wrapped, access)

    return decorator


signed_in = _requiring("user", lambda user: True)
staff_required = _requiring("staff", lambda user: user.role in STAFF_ROLES)
admin_required = _requiring("admin", lambda user: user.role == "admin")


def device_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Device API: an enrolled, unrevoked device (``Authorization: Device …``); refusals are JSON (401/403)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from server.api.auth import load_device  # late: the API imports this module

        load_device()
        return view(*args, **kwargs)

    return tag(wrapped, "device")


def shift_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Device API: the device and a volunteer's current shift on it (``X-Comptoir-Shift``)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from server.api.auth import load_shift

        load_shift()
        return view(*args, **kwargs)

    return tag(wrapped, "shift")


def require_points(point_ids: Iterable[int | None]) -> None:
    """404 unless the signed-in staff member manages every one of ``point_ids`` (a coordinator must not even
    learn that another point's objects exist)."""
    user = current_user()
    if user is None or not all(manages_point(user, point_id) for point_id in point_ids):
        abort(404)
