"""Device signatures: each phone signs the events it records with its own Ed25519 key, so that any other phone can
carry them to the server (store and forward) and the server can tell that the device named in an event recorded it.

The signed bytes are the event's canonical encoding (``sync.chain.canonical_json``), the very bytes that are hashed.
The signature is not part of the event: it travels beside the event's fields as ``signature`` (an upload item, a
pulled event) and is left out of the canonical bytes and of the hash, so chains and the event vectors stay as they
were. Keys and signatures are written in base64url without padding. See ``docs/sync-protocol.md``, "Device
signatures and store-and-forward".
"""

import base64
import binascii
import hashlib
import re
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync.chain import canonical_json
from sync.events import Event

SIGNATURE_FIELD: Final = "signature"
PUBLIC_KEY_LENGTH: Final = 32  # bytes of a raw Ed25519 public key
SIGNATURE_LENGTH: Final = 64
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

# Why the server refuses a relayed or signed event (besides ``sync.ingest.AUTHORISATION_REASONS``).
SIGNATURE_REASONS: Final = (
    "signature_missing",  # an event of another device came without a signature
    "signature_invalid",  # the signature does not verify with the recording device's key (forged, or event altered)
    "device_unknown",  # the event names a device the server does not know
    "device_has_no_key",  # the recording device never registered a public key
    "device_revoked",  # the recording device was revoked: its events are not taken from other phones
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: Any, length: int) -> bytes | None:
    """The bytes of ``text`` (base64url, no padding) if it is ``length`` bytes written canonically, else None."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text) or len(text) != -(-length * 4 // 3):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length and b64url(raw) == text else None


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The raw public key, base64url: what a phone registers and the server keeps in ``devices.public_key``."""
    return b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def valid_public_key(text: Any) -> bool:
    """Whether ``text`` is a raw Ed25519 public key in base64url (43 characters) that the library accepts."""
    raw = from_b64url(text, PUBLIC_KEY_LENGTH)
    if raw is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return False
    return True


def fingerprint(public_key: str) -> str:
    """A short fingerprint to show people: the first 8 bytes of SHA-256 of the raw key, as 4 groups of 4 hex."""
    raw = from_b64url(public_key, PUBLIC_KEY_LENGTH) or public_key.encode()
    digest = hashlib.sha256(raw).hexdigest()[:16].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def signing_bytes(event: Event) -> bytes:
    """What a device signs: the event's canonical encoding, without any signature (it is no field of the event)."""
    return canonical_json(event)


def sign(event: Event, key: Ed25519PrivateKey) -> str:
    """The event's signature, base64url (Ed25519 is deterministic: the same key and event give the same text)."""
    return b64url(key.sign(signing_bytes(event)))


def verify(event: Event, signature: Any, public_key: str) -> bool:
    """Whether ``signature`` (base64url) is ``public_key``'s signature of the event's canonical bytes."""
    raw_signature = from_b64url(signature, SIGNATURE_LENGTH)
    raw_key = from_b64url(public_key, PUBLIC_KEY_LENGTH)
    if raw_signature is None or raw_key is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, signing_bytes(event))
    except (InvalidSignature, ValueError):
        return False
    return True


def split_signature(item: Any) -> tuple[Any, Any]:
    """An upload item without its ``signature`` field, and that field (None when absent). Anything that is not an
    object is given back as it is: its validation refuses it."""
    if not isinstance(item, dict) or SIGNATURE_FIELD not in item:
        return item, None
    rest = {key: value for key, value in item.items() if key != SIGNATURE_FIELD}
    return rest, item[SIGNATURE_FIELD]
