"""Passkey ceremonies with py_webauthn: options out, responses verified, challenges kept server-side and used once.

Both the admin pages (cookie session) and the volunteer app (device API) run the same four functions; a ceremony
is named by a random id the browser sends back, so a replayed response finds its challenge already used.

Callers commit after a ``PasskeyRefused`` too (never roll back): the challenge must stay used and the audit entry of
a suspicious response must stay written.
"""

import json
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.audit import record
from server.clock import utcnow
from server.extensions import db
from server.models import Passkey, User, WebAuthnChallenge


class PasskeyRefused(Exception):
    """Why a ceremony failed, as a stable reason: ``unknown_ceremony``, ``expired``, ``used``, ``invalid``,
    ``unknown_credential``, ``wrong_user``, ``inactive_user`` or ``sign_count``."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _config(name: str) -> Any:
    return current_app.config[name]


def _start(purpose: str, challenge: bytes, user: User | None) -> str:
    ceremony = secrets.token_urlsafe(24)
    now = utcnow()
    db.session.add(
        WebAuthnChallenge(
            ceremony=ceremony,
            purpose=purpose,
            challenge=challenge,
            user_id=user.id if user else None,
            created_at=now,
            expires_at=now + timedelta(seconds=_config("WEBAUTHN_TIMEOUT_SECONDS")),
        )
    )
    db.session.flush()
    return ceremony


def _consume(ceremony: str, purpose: str) -> WebAuthnChallenge:
    """The pending challenge of ``ceremony``, marked used by a conditional UPDATE (so only one response wins)."""
    found = db.session.scalar(
        select(WebAuthnChallenge).where(WebAuthnChallenge.ceremony == ceremony, WebAuthnChallenge.purpose == purpose)
    )
    if found is None:
        raise PasskeyRefused("unknown_ceremony")
    if found.used_at is not None:
        raise PasskeyRefused("used")
    if found.expires_at <= utcnow():
        raise PasskeyRefused("expired")
    claimed = db.session.execute(
        update(WebAuthnChallenge)
        .where(WebAuthnChallenge.id == found.id, WebAuthnChallenge.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise PasskeyRefused("used")
    return found


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=passkey.credential_id, transports=[AuthenticatorTransport(t) for t in passkey.transports]
        )
        for passkey in user.passkeys
    ]


def begin_registration(user: User) -> dict[str, Any]:
    """Options for ``navigator.credentials.create``: a discoverable passkey with user verification."""
    options = generate_registration_options(
        rp_id=_config("WEBAUTHN_RP_ID"),
        rp_name=_config("WEBAUTHN_RP_NAME"),
        user_id=bytes.fromhex(user.webauthn_handle),
        user_name=user.email,
        user_display_name=user.display_name or user.email,
        timeout=_config("WEBAUTHN_TIMEOUT_SECONDS") * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    ceremony = _start("registration", options.challenge, user)
    return {"ceremony": ceremony, "options": json.loads(options_to_json(options))}


def finish_registration(user: User, ceremony: str, credential: dict[str, Any] | str, name: str = "") -> Passkey:
    """Verify the new credential and store it as one more passkey of ``user``."""
    pending = _consume(ceremony, "registration")
    if pending.user_id != user.id:
        raise PasskeyRefused("wrong_user")
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=pending.challenge,
            expected_rp_id=_config("WEBAUTHN_RP_ID"),
            expected_origin=_config("WEBAUTHN_ORIGINS"),
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError, TypeError, KeyError) as exc:
        raise PasskeyRefused("invalid", str(exc)) from exc
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)):
        raise PasskeyRefused("invalid", "credential already registered")
    transports = [t.value for t in (parsed.response.transports or [])]
    passkey = Passkey(
        user=user,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        name=(name.strip() or "Passkey")[:80],
        backed_up=bool(getattr(verified, "credential_backed_up", False)),
    )
    db.session.add(passkey)
    db.session.flush()
    record("passkey.register", user=user, target=f"user:{user.id}", passkey=passkey.id, name=passkey.name)
    return passkey


def begin_authentication(user: User | None = None) -> dict[str, Any]:
    """Options for ``navigator.credentials.get``: username-less (discoverable) when ``user`` is None."""
    options = generate_authentication_options(
        rp_id=_config("WEBAUTHN_RP_ID"),
        timeout=_config("WEBAUTHN_TIMEOUT_SECONDS") * 1000,
        allow_credentials=_descriptors(user) if user else None,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    ceremony = _start("authentication", options.challenge, user)
    return {"ceremony": ceremony, "options": json.loads(options_to_json(options))}


def finish_authentication(ceremony: str, credential: dict[str, Any] | str) -> Passkey:
    """Verify an assertion; return the passkey used (its user is who signed in)."""
    pending = _consume(ceremony, "authentication")
    try:
        parsed = parse_authentication_credential_json(credential)
    except (InvalidJSONStructure, ValueError, TypeError, KeyError) as exc:
        raise PasskeyRefused("invalid", str(exc)) from exc
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == parsed.raw_id))
    if passkey is None:
        raise PasskeyRefused("unknown_credential")
    user = passkey.user
    handle = parsed.response.user_handle
    if (pending.user_id is not None and pending.user_id != user.id) or (
        handle is not None and handle != bytes.fromhex(user.webauthn_handle)
    ):
        raise PasskeyRefused("wrong_user")
    if not user.active:
        raise PasskeyRefused("inactive_user")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=pending.challenge,
            expected_rp_id=_config("WEBAUTHN_RP_ID"),
            expected_origin=_config("WEBAUTHN_ORIGINS"),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except InvalidAuthenticationResponse as exc:
        if "sign count" in str(exc):
            # The library's advice: a counter that went backwards may mean a cloned authenticator. Refuse and
            # leave a trace for the admins; the passkey stays so its owner can remove it knowingly.
            record("passkey.sign_count_regression", user=user, target=f"user:{user.id}", passkey=passkey.id)
            raise PasskeyRefused("sign_count", str(exc)) from exc
        raise PasskeyRefused("invalid", str(exc)) from exc
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = utcnow()
    user.last_sign_in_at = passkey.last_used_at
    db.session.flush()
    return passkey
