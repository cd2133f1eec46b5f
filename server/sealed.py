"""Private keys kept in the database, sealed with a key derived from the app's secret key.

Every app server shares the database and ``COMPTOIR_SECRET_KEY``, nothing else: the ticket signing keys and the
VAPID key live in the database, encrypted at rest, so a database dump (a backup, a pack, a leaked copy) does not hold
them in clear. The sealing key is HKDF-SHA256 of the secret key; each value is AES-256-GCM with a random 96-bit nonce
and, as associated data, what the value is (``ticket_key:1:<public key>``, ``vapid``), so a sealed value copied onto
another row does not open. Text form: ``v1.<base64url(nonce ‖ ciphertext ‖ tag)>``.

``SECRET_KEY_FALLBACKS`` (Flask's own list, also used for session cookies) are tried after ``SECRET_KEY``: to change
the master secret, give the new one as ``COMPTOIR_SECRET_KEY`` and the old one in ``COMPTOIR_SECRET_KEY_FALLBACKS``,
then run ``flask --app wsgi secrets reseal`` (docs/deployment.md, "Secrets shared by every app server").
"""

import base64
import os
from collections.abc import Sequence

import click
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = "v1"
NONCE_BYTES = 12
FIX = (
    "give every app server the same COMPTOIR_SECRET_KEY, the one that sealed it; if the secret was changed on "
    "purpose, add the old one to COMPTOIR_SECRET_KEY_FALLBACKS and run `flask --app wsgi secrets reseal` "
    "(docs/deployment.md, “Secrets shared by every app server”)"
)


class SealedError(click.ClickException):
    """A sealed value this server cannot open: its secret key is not the one that sealed it (or the value is
    damaged). The message names the value and the fix; it never holds a secret. A page answers 503 with the fix
    (server/errors.py); a ``flask`` command prints it and exits 1 (hence a ClickException)."""


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def _sealing_key(secret: str | bytes) -> bytes:
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"comptoir sealed keys", info=b"v1 aes-256-gcm")
    return hkdf.derive(_as_bytes(secret))


def secrets_in_use() -> list[str | bytes]:
    """The secret key, then its fallbacks (COMPTOIR_SECRET_KEY_FALLBACKS, in their order)."""
    return [current_app.config["SECRET_KEY"], *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]


def seal(plaintext: bytes, context: str, secret: str | bytes | None = None) -> str:
    """``plaintext`` sealed with the secret key (default: this app's), bound to ``context``."""
    nonce = os.urandom(NONCE_BYTES)
    key = _sealing_key(secret or current_app.config["SECRET_KEY"])
    sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(value: str, context: str, what: str, secrets: Sequence[str | bytes] | None = None) -> bytes:
    """The plaintext of a value ``seal`` made with any of ``secrets`` (default: the secret key and its fallbacks).

    Raises SealedError naming ``what`` (e.g. "the ticket key 1") and the fix."""
    version, _, body = value.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        raw = b""
    if version != VERSION or len(raw) <= NONCE_BYTES:
        raise SealedError(f"{what} in the database is not a sealed value this version of Comptoir reads")
    for secret in secrets if secrets is not None else secrets_in_use():
        try:
            return AESGCM(_sealing_key(secret)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except InvalidTag:
            continue
    source = current_app.extensions.get("comptoir_secret_source", "the configuration")
    raise SealedError(
        f"{what} in the database does not open with this server's secret key (taken from {source}): {FIX}"
    )
