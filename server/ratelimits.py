"""Rate limits, in one readable place: which endpoints are limited, by what, and how a refusal answers.

The endpoints below are open to anyone and spend one-time secrets (sign-in links, passkey ceremonies, invitations,
device enrolment, shift sign-in). Every secret there is a passkey or a 256-bit token, which no rate of guessing
finds; the limits bound floods (each passkey ceremony stores a challenge, each refusal an audit entry) and
hammering of one target. Two limits, both counted per endpoint:

- ``AUTH_RATE_LIMIT`` (``"60 per minute"``), per client address: a short burst limit only. Phones of one mobile
  carrier often share one public address (CGNAT), and a point's volunteers share the hall's Wi-Fi, so a daily cap per
  address would lock a whole carrier or hall out for a day once anyone there had used it up. Behind a reverse proxy
  the address is the client's only when the WSGI server trusts the proxy (``deploy/serve``, docs/deployment.md).
- ``AUTH_TARGET_RATE_LIMIT`` (``"20 per minute;100 per hour"``), per target, whatever address it comes from: the
  link or invitation token in the URL, the enrolment token or the e-mail in the body, the phone's device credential
  (``TARGETS``). A target's lock-out lasts an hour at most, and only an e-mail's is in a stranger's hands: the
  sign-in without an e-mail is never limited by target.

Every request to a limited endpoint counts, whatever its method or answer, once it has passed the CSRF check.

Configuration (each also as a ``COMPTOIR_``-prefixed environment variable):

- ``RATELIMIT_ENABLED``: ``false`` turns every limit off (a load test, a trusted kiosk network);
- ``RATELIMIT_STORAGE_URI``: ``memory://`` (one process) or ``redis://127.0.0.1:6379`` when several app servers
  must share the counts; ``RATELIMIT_KEY_PREFIX`` separates two deployments sharing one Redis;
- ``AUTH_RATE_LIMIT`` and ``AUTH_TARGET_RATE_LIMIT``: the limits, in Flask-Limiter's notation, read at each request.

A refused request answers 429 with ``Retry-After`` (seconds), as JSON with the reason ``rate_limited`` under
``/api/`` and as a page elsewhere (``server.errors.error_response``).

The ``limiter`` of ``server.extensions`` is one object per process: each ``create_app`` (each test) gives it a
fresh storage, so counts never leak from one test's app into the next one's.
"""

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from server.errors import error_response
from server.extensions import limiter

# Endpoint names; a name the app does not have (yet) is skipped here and reported by tests/test_rate_limits.py.
LIMITED_ENDPOINTS = (
    # one-time sign-in links (bootstrap and recovery): GET shows the button, POST redeems
    "auth.link",
    # passkey sign-in ceremony
    "auth.sign_in_options",
    "auth.sign_in_verify",
    # invitation link and the passkey registration it leads to
    "auth.invitation",
    "auth.invitation_options",
    "auth.invitation_verify",
    # a phone redeeming its enrolment link
    "api.device_enrol",
    # a volunteer signing in on an enrolled phone to get a shift credential
    "api.shift_options",
    "api.shift_start",
)


def _url_token() -> str | None:
    token = (request.view_args or {}).get("token")
    return f"token:{token}" if token else None


def _body_field(name: str) -> Any:
    """A field of the JSON body, read as the views read it (gzip included), or None for any body they refuse."""
    from server.api.body import read_json_object  # late: the API package imports much of the app

    try:
        return read_json_object().get(name)
    except Exception:  # the view answers the bad body itself; here it only has no target
        return None


def _body_token() -> str | None:
    token = _body_field("token")
    return f"token:{token.strip()}" if isinstance(token, str) and token.strip() else None


def _email() -> str | None:
    email = _body_field("email")
    return f"email:{email.strip().lower()}" if isinstance(email, str) and email.strip() else None


def _device() -> str | None:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return f"device:{credential.strip()}" if scheme == "Device" and credential.strip() else None


# What each endpoint's target is: what an attacker hammering it would be after, whatever address they come from.
# auth.sign_in_verify has none: it answers a one-time challenge, which only the passkey's private key can sign.
TARGETS: dict[str, Callable[[], str | None]] = {
    "auth.link": _url_token,
    "auth.sign_in_options": _email,  # without an e-mail (a username-less sign-in): no target
    "auth.invitation": _url_token,
    "auth.invitation_options": _url_token,
    "auth.invitation_verify": _url_token,
    "api.device_enrol": _body_token,
    "api.shift_options": _device,
    "api.shift_start": _device,
}

DEFAULT_RETRY_AFTER_SECONDS = 60
LIMITER_MARK = "__wrapper-limiter-instance"  # what Flask-Limiter sets on the views it wraps (copied by functools.wraps)


def auth_rate_limit() -> str:
    """Read at each request, so every app (and every test) uses its own configured value."""
    return current_app.config["AUTH_RATE_LIMIT"]


def target_rate_limit() -> str:
    return current_app.config["AUTH_TARGET_RATE_LIMIT"]


def target_key() -> str | None:
    """The request's target as a digest: tokens, e-mails and credentials never sit in the storage (Redis) as such.
    Worked out once per request (the limiter asks twice: whether to skip the limit, then the key)."""
    if "rate_limit_target" not in g:
        target = TARGETS[request.endpoint]()
        g.rate_limit_target = None if target is None else "target:" + hashlib.sha256(target.encode()).hexdigest()[:32]
    return g.rate_limit_target


def has_no_target() -> bool:
    return target_key() is None


# One limit object each for all endpoints and apps: Flask-Limiter keeps decorated limits in a set keyed by the view's
# qualified name, so wrapping the same view again in the next create_app adds nothing twice. Stacked on one view,
# the inner wrapper checks both limits of that view at once, and the outer one checks nothing more.
_limit_by_address = limiter.limit(auth_rate_limit, key_func=get_remote_address)
_limit_by_target = limiter.limit(target_rate_limit, key_func=target_key, exempt_when=has_no_target)


def apply_rate_limits(app: Flask) -> list[str]:
    """Wrap the listed views of ``app`` in the limit per address, and those with a target in the limit per target;
    returns the endpoints limited.

    Call it once blueprints are registered. The wrapper keeps the view's attributes (``functools.wraps`` copies
    ``__dict__``), so the ``access`` tag the authorization matrix reads survives.
    """
    limited = []
    for endpoint in LIMITED_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        if has_own_limit(view):
            # Wrapping again would count each request twice; tests/test_rate_limits.py reports such views.
            app.logger.warning("%s has its own @limiter.limit: declare it in server/ratelimits.py only", endpoint)
            continue
        view = _limit_by_address(view)
        if endpoint in TARGETS:
            view = _limit_by_target(view)
        app.view_functions[endpoint] = view
        limited.append(endpoint)
    app.extensions["comptoir_rate_limited"] = tuple(limited)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    return limited


def has_own_limit(view) -> bool:
    """Whether ``view`` (or a view it wraps) was already decorated with ``limiter.limit``."""
    return getattr(view, LIMITER_MARK, None) is not None


def retry_after_seconds() -> int:
    """Seconds until the breached limit's window resets (at least 1)."""
    limit = limiter.current_limit
    if limit is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(1, math.ceil(limit.reset_at - time.time()))


def too_many_requests(exc: RateLimitExceeded) -> Response:
    seconds = retry_after_seconds()
    minutes = max(1, math.ceil((seconds - 1) / 60))  # seconds were rounded up: 61 is "1 min"
    if exc.limit.key_func is target_key:
        message = _("Too many attempts with this link, e-mail or phone. Try again in %(minutes)d min.", minutes=minutes)
    else:
        message = _("Too many attempts from this connection. Try again in %(minutes)d min.", minutes=minutes)
    response = make_response(error_response(429, "rate_limited", message, retry_after=seconds))
    response.headers["Retry-After"] = str(seconds)
    return response
