"""The device API's refusals: one stable ``reason`` per refusal, with its HTTP status and a plain message.

The PWA branches on ``reason`` and shows its own words for it (``pwa/src/i18n.js``); the message is for people
reading logs or calling the API by hand.
"""

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from server.errors import error_response

REASONS: dict[str, tuple[int, Callable[[], str]]] = {
    # Request bodies.
    "invalid_body": (400, lambda: _("Send a JSON object with the Content-Type application/json.")),
    "invalid_field": (400, lambda: _("A field of the request is missing or wrong.")),
    "body_too_large": (413, lambda: _("This request is too large.")),
    # Enrolment.
    "enrolment_unknown": (404, lambda: _("This enrolment code is not valid. Ask a coordinator for a new QR code.")),
    "enrolment_expired": (410, lambda: _("This enrolment code has expired. Ask a coordinator for a new QR code.")),
    "enrolment_used": (410, lambda: _("This enrolment code was already used. Ask a coordinator for a new QR code.")),
    # The device.
    "device_credential_missing": (
        401,
        lambda: _("This phone is not enrolled. Ask a coordinator for an enrolment QR code."),
    ),
    "device_unknown": (
        401,
        lambda: _("This phone is not known to the server. Ask a coordinator to enrol it again."),
    ),
    "device_revoked": (
        403,
        lambda: _(
            "This phone was revoked by a coordinator: it can no longer send or receive anything. What it sent "
            "before is kept. Ask a coordinator to enrol it again."
        ),
    ),
    "public_key_invalid": (400, lambda: _("This phone's signing key is not a valid Ed25519 public key.")),
    "device_key_registered": (
        409,
        lambda: _(
            "This phone already registered another signing key. A phone that lost its key is enrolled again: ask "
            "a coordinator for an enrolment QR code."
        ),
    ),
    "rotation_conflict": (409, lambda: _("This phone's credential was just changed by another request. Try again.")),
    # The volunteer.
    "shift_required": (401, lambda: _("Sign in with your passkey first.")),
    "shift_unknown": (401, lambda: _("This sign-in is not known. Sign in again with your passkey.")),
    "shift_wrong_device": (403, lambda: _("This sign-in belongs to another phone. Sign in again on this one.")),
    "shift_ended": (401, lambda: _("This sign-in has ended. Sign in again with your passkey.")),
    "shift_expired": (401, lambda: _("This sign-in expired at the end of its day. Sign in again with your passkey.")),
    "user_inactive": (403, lambda: _("This account is deactivated. Ask a coordinator.")),
    "forbidden_point": (
        403,
        lambda: _("You or this phone may not act at this point. Ask a coordinator to add you to it."),
    ),
    "distribution_unknown": (404, lambda: _("This distribution does not exist.")),
    # Sync.
    "too_many_events": (413, lambda: _("Too many events in one upload: send them in smaller batches.")),
    "events_rejected": (
        422,
        lambda: _("Some events were refused (see their results); the others are stored."),
    ),
    "cursor_unknown": (409, lambda: _("This position is not known to the server: download the distribution again.")),
    # Push subscriptions.
    "push_service_unknown": (
        422,
        lambda: _("This browser's push service is not one this server sends to. Ask the server's administrator."),
    ),
    "subscription_keys_invalid": (400, lambda: _("The subscription's keys are not valid.")),
    "language_unknown": (400, lambda: _("Choose fr or en.")),
    "subscription_unknown": (404, lambda: _("There is no such subscription.")),
    # Passkey ceremonies (``passkey_`` + the reason of ``server.auth.webauthn.PasskeyRefused``).
    "passkey_unknown_ceremony": (401, lambda: _("This sign-in attempt is not known. Try again.")),
    "passkey_expired": (401, lambda: _("This sign-in attempt took too long. Try again.")),
    "passkey_used": (401, lambda: _("This sign-in attempt was already used. Try again.")),
    "passkey_invalid": (401, lambda: _("The passkey's answer could not be verified. Try again.")),
    "passkey_unknown_credential": (401, lambda: _("This passkey is not registered here. Use another one.")),
    "passkey_wrong_user": (401, lambda: _("This passkey belongs to someone else. Use your own.")),
    "passkey_inactive_user": (403, lambda: _("This account is deactivated. Ask a coordinator.")),
    "passkey_sign_count": (
        401,
        lambda: _("This passkey looks copied and was refused. Ask a coordinator to check your passkeys."),
    ),
}

# A reason a lower layer adds before it is listed above still answers a clear refusal, never a 500.
UNLISTED: tuple[int, Callable[[], str]] = (403, lambda: _("This request was refused."))


class ApiError(Exception):
    """A refusal raised anywhere under ``/api/``; ``server.api`` turns it into the JSON error answer."""

    def __init__(self, reason: str, message: str | None = None, **extra: Any):
        super().__init__(reason)
        self.status, default = REASONS.get(reason, UNLISTED)
        self.reason = reason
        self.message = message or default()
        self.extra = extra

    def response(self):
        return error_response(self.status, self.reason, self.message, **self.extra)
