"""Push subscriptions: a browser's ``PushSubscription`` kept for a member or for a volunteer on a device.

Opt-in only: a subscription exists because the person pressed the button in their browser, and it goes when they
press it again, when an admin removes it, or when the push service says it is gone (404/410, ``push_sending``).
The endpoint is where the server will POST, so only known push services are taken (``PUSH_SERVICE_HOSTS``): a
page token or a device must not make the server call arbitrary addresses.
"""

import base64
import binascii
import hashlib
import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import select

from server.extensions import db
from server.models import Device, Household, PushSubscription, User

LANGUAGES = ("fr", "en")


class SubscriptionRefused(Exception):
    """Why a subscription is refused, as a stable reason code (the API's ``reason``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url(value: str, length: int) -> bytes | None:
    """``value`` decoded if it is base64url (padding optional) of ``length`` bytes. Strict: Python's decoder would
    skip characters out of the alphabet, so a key with stray ones could pass here and mean something else."""
    bare = value.removesuffix("==").removesuffix("=")
    if not _BASE64URL.fullmatch(bare):
        return None
    try:
        raw = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def keys_valid(p256dh: str, auth: str) -> bool:
    """Whether pywebpush can encrypt to these keys: ``p256dh`` an uncompressed P-256 point (65 bytes), ``auth`` 16
    bytes, both base64url. Checked on subscribing, and again before sending (keys stored before this check)."""
    point = _b64url(p256dh, 65)
    if point is None or _b64url(auth, 16) is None:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:  # not on the curve, or not an uncompressed point
        return False
    return True


def known_push_service(endpoint: str) -> bool:
    """Whether ``endpoint`` is at a push service of ``PUSH_SERVICE_HOSTS``: a host (itself or a subdomain, over
    https) or an exact origin (``http://127.0.0.1:8123`` for a local one)."""
    parts = urlsplit(endpoint)
    if not parts.hostname or parts.username or parts.password:
        return False
    origin = f"{parts.scheme}://{parts.netloc}"
    for allowed in current_app.config["PUSH_SERVICE_HOSTS"]:
        if "://" in allowed:
            if origin == allowed.rstrip("/"):
                return True
        elif parts.scheme == "https" and (parts.hostname == allowed or parts.hostname.endswith("." + allowed)):
            return True
    return False


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def subscribe(
    endpoint: str,
    p256dh: str,
    auth: str,
    lang: str,
    *,
    household: Household | None = None,
    user: User | None = None,
    device: Device | None = None,
) -> PushSubscription:
    """Keep a subscription for ``household`` or for ``user`` (on ``device``); the same endpoint again takes the
    existing one over (a browser has one subscription per worker). Refusals: ``push_service_unknown``,
    ``subscription_keys_invalid``, ``language_unknown``."""
    if not known_push_service(endpoint):
        raise SubscriptionRefused("push_service_unknown")
    if not keys_valid(p256dh, auth):
        raise SubscriptionRefused("subscription_keys_invalid")
    if lang not in LANGUAGES:
        raise SubscriptionRefused("language_unknown")
    digest = endpoint_hash(endpoint)
    subscription = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint_hash == digest))
    if subscription is None:
        subscription = PushSubscription(endpoint_hash=digest, endpoint=endpoint)
        db.session.add(subscription)
    elif (subscription.p256dh, subscription.auth) != (p256dh, auth):
        subscription.deliveries.clear()  # new keys: a new subscription as far as sending is concerned
    subscription.p256dh, subscription.auth, subscription.lang = p256dh, auth, lang
    subscription.household, subscription.user, subscription.device = household, user, device
    db.session.flush()
    return subscription


def find(endpoint: str, *, household: Household | None = None, user: User | None = None) -> PushSubscription | None:
    """The subscription at ``endpoint`` if it belongs to ``household`` or ``user``."""
    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint_hash == endpoint_hash(endpoint))
    )
    if subscription is None:
        return None
    if household is not None and subscription.household_id != household.id:
        return None
    if user is not None and subscription.user_id != user.id:
        return None
    return subscription


def remove(subscription: PushSubscription) -> None:
    db.session.delete(subscription)
    db.session.flush()
