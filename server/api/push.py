"""Push subscriptions of the volunteer app (the member page's are in ``server.members.views``): the server's
public VAPID key, subscribe and unsubscribe for the signed-in volunteer on this phone. See ``docs/push.md``."""

from flask import jsonify
from pydantic import Field

from server.api import bp
from server.api.auth import current_device, current_shift
from server.api.body import Body, read_json
from server.api.errors import ApiError
from server.api.openapi import described
from server.auth.access import public, shift_required
from server.domain.push_subscriptions import SubscriptionRefused, find, remove, subscribe
from server.extensions import db
from server.models import PushSubscription
from server.push_keys import application_server_key


class SubscriptionKeys(Body):
    p256dh: str = Field(min_length=1, max_length=128)
    auth: str = Field(min_length=1, max_length=64)


class BrowserSubscription(Body):
    """What ``PushSubscription.toJSON()`` gives in the browser."""

    endpoint: str = Field(min_length=1, max_length=2048)
    expirationTime: float | None = None  # the browser's name and type (milliseconds, or null)
    keys: SubscriptionKeys


class SubscribeBody(Body):
    subscription: BrowserSubscription
    lang: str = Field(default="fr", max_length=5)


class UnsubscribeBody(Body):
    endpoint: str = Field(min_length=1, max_length=2048)


def subscription_json(subscription: PushSubscription) -> dict:
    return {"id": subscription.id, "created_at": subscription.created_at.isoformat()}


def subscribe_from(body: SubscribeBody, **owner) -> PushSubscription:
    """Keep the subscription of ``body`` for ``owner`` (household, or user and device); refusals as ``ApiError``."""
    browser = body.subscription
    try:
        subscription = subscribe(browser.endpoint, browser.keys.p256dh, browser.keys.auth, body.lang, **owner)
    except SubscriptionRefused as refused:
        db.session.rollback()
        raise ApiError(refused.reason) from refused
    db.session.commit()
    return subscription


@bp.get("/push/key")
@public
@described("The server's public VAPID key: the applicationServerKey browsers subscribe with.")
def push_key():
    return jsonify(public_key=application_server_key())


@bp.post("/push/subscriptions")
@shift_required
@described(
    "Subscribe the signed-in volunteer to notifications on this phone (opt-in).",
    body=SubscribeBody,
    answers={201: "The subscription is kept (the same endpoint again replaces it)."},
)
def push_subscribe():
    body = read_json(SubscribeBody)
    subscription = subscribe_from(body, user=current_shift().user, device=current_device())
    return jsonify(subscription=subscription_json(subscription)), 201


@bp.delete("/push/subscriptions")
@shift_required
@described(
    "Unsubscribe this phone's volunteer from notifications.",
    body=UnsubscribeBody,
    answers={204: "Removed. No body."},
)
def push_unsubscribe():
    body = read_json(UnsubscribeBody)
    subscription = find(body.endpoint, user=current_shift().user)
    if subscription is None:
        raise ApiError("subscription_unknown")
    remove(subscription)
    db.session.commit()
    return "", 204
