"""One-time sign-in links: a random token shown once, stored only as its SHA-256, single use, short-lived."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from server.audit import record
from server.clock import utcnow
from server.extensions import db
from server.models import SignInLink, User


class LinkRefused(Exception):
    """Why a link cannot be used: ``unknown``, ``expired`` or ``used``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_sign_in_link(user: User, minutes: int, purpose: str = "sign_in") -> str:
    """Store a new link for ``user`` and return its token (the only time it exists in clear)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        SignInLink(
            user=user,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    return token


def find_link(token: str, purpose: str = "sign_in") -> SignInLink:
    """The usable link for ``token``, or :class:`LinkRefused`."""
    link = db.session.scalar(
        select(SignInLink).where(SignInLink.token_hash == _digest(token), SignInLink.purpose == purpose)
    )
    if link is None or not link.user.active:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= utcnow():
        raise LinkRefused("expired")
    return link


def redeem_link(token: str, purpose: str = "sign_in") -> User:
    """Mark the link used and return its user; a conditional UPDATE makes concurrent redemptions single-use."""
    link = find_link(token, purpose)
    now = utcnow()
    claimed = db.session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LinkRefused("used")
    link.user.last_sign_in_at = now
    db.session.flush()
    return link.user


class NotAnAdmin(Exception):
    """The e-mail belongs to a coordinator or a volunteer: making them an administrator is said, never implied."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


def ensure_admin(email: str, *, promote: bool = False) -> User:
    """The admin with this e-mail, created (or reactivated) if needed; a coordinator or volunteer is promoted only
    when ``promote`` says so (audited as a role change), else ``NotAnAdmin``."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=email.split("@")[0], role="admin")
        db.session.add(user)
    elif user.role != "admin":
        if not promote:
            raise NotAnAdmin(user)
        record("user.update", user=None, target=f"user:{user.id}", changes={"role": [user.role, "admin"]}, via="cli")
        user.role = "admin"
    user.active = True
    db.session.flush()
    return user
