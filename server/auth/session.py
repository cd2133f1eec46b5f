"""Who is signed in: the cookie session of the admin pages."""

from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from server.clock import utcnow
from server.extensions import db
from server.models import User


def sign_in(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session on every sign-in (no fixation); only the chosen language carries over
    if lang:
        session["lang"] = lang
    session["user_id"] = user.id
    session[RENEWED] = int(utcnow().timestamp())
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


RENEWED = "_renewed"  # when the cookie was last written, in seconds since the epoch
RENEWAL_MAX_SECONDS = 300


class RenewingSessionInterface(SecureCookieSessionInterface):
    """Writes the session cookie when the session changed, or to renew its idle lifetime every few minutes.

    Flask's ``SESSION_REFRESH_EACH_REQUEST`` rewrites it on every request instead: then each concurrent request (a
    page's scripts and assets, a service worker, another tab) sends back its own copy of the session, and the one
    answered last wins, dropping a CSRF token another request had just stored (a form then fails with a 400).
    """

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        now = int(utcnow().timestamp())
        every = min(RENEWAL_MAX_SECONDS, app.permanent_session_lifetime.total_seconds() / 10)
        if now - session.get(RENEWED, 0) < every:
            return False
        session[RENEWED] = now
        return True
