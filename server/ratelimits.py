"""Rate limits, in one readable place: which endpoints are limited, by what, and how a refusal answers.

The endpoints below are open to anyone and spend or guess one-time secrets (sign-in links, passkey ceremonies,
invitations, device enrolment, shift sign-in). Each gets ``AUTH_RATE_LIMIT`` (``"20 per minute;300 per day"`` by
default), counted per endpoint and per client address: ``request.remote_addr``, which is the client's own address
behind a reverse proxy when ``PROXY_FIX`` says how many proxies to trust (see ``server/__init__.py``). Every request
to a limited endpoint counts, whatever its method or answer, once it has passed the CSRF check.

Configuration (each also as a ``COMPTOIR_``-prefixed environment variable):

- ``RATELIMIT_ENABLED``: ``false`` turns every limit off (a load test, a trusted kiosk network);
- ``RATELIMIT_STORAGE_URI``: ``memory://`` (one process) or ``redis://127.0.0.1:6379`` when several app servers
  must share the counts; ``RATELIMIT_KEY_PREFIX`` separates two deployments sharing one Redis;
- ``AUTH_RATE_LIMIT``: the limit itself, in Flask-Limiter's notation, read at each request.

A refused request answers 429 with ``Retry-After`` (seconds), as JSON with the reason ``rate_limited`` under
``/api/`` and as a page elsewhere (``server.errors.error_response``).

The ``limiter`` of ``server.extensions`` is one object per process: each ``create_app`` (each test) gives it a
fresh storage, so counts never leak from one test's app into the next one's.
"""

import math
import time

from flask import Flask, Response, current_app, make_response
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

DEFAULT_RETRY_AFTER_SECONDS = 60
LIMITER_MARK = "__wrapper-limiter-instance"  # what Flask-Limiter sets on the views it wraps (copied by functools.wraps)


def auth_rate_limit() -> str:
    """Read at each request, so every app (and every test) uses its own configured value."""
    return current_app.config["AUTH_RATE_LIMIT"]


# One limit object for all endpoints and apps: Flask-Limiter keeps decorated limits in a set keyed by the view's
# qualified name, so wrapping the same view again in the next create_app adds nothing twice.
_limit_auth = limiter.limit(auth_rate_limit, key_func=get_remote_address)


def apply_rate_limits(app: Flask) -> list[str]:
    """Wrap the listed views of ``app`` in the auth limit; returns the endpoints limited.

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
        app.view_functions[endpoint] = _limit_auth(view)
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
    response = make_response(
        error_response(
            429,
            "rate_limited",
            _("Too many attempts from this connection. Try again in %(minutes)d min.", minutes=minutes),
            retry_after=seconds,
        )
    )
    response.headers["Retry-After"] = str(seconds)
    return response
