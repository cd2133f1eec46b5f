"""Who is signed in: the cookie session of the admin pages."""

from flask import g, session

from server.extensions import db
from server.models import User


def sign_in(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session on every sign-in (no fixation); only the chosen language carries over
    if lang:
        session["lang"] = lang
    session["user_id"] = user.id
    session.permanent = True


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        user = db.session.get(User, user_id) if isinstance(user_id, int) else None
        g.user = user if user is not None and user.active else None
    return g.user
