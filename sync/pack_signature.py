"""The server's signature on a distribution pack, so a phone can trust a pack handed over by another phone.

The pack's bytes and its ETag stay as they are: the signature travels beside them, in the answer's header
``Comptoir-Pack-Signature: <key id>.<signed at>.<signature>`` (key id in decimal, the server's Unix time in seconds
in decimal, the 64-byte Ed25519 signature in base64url without padding). What is signed is

    CONTEXT ("comptoir-pack\\0", 14 bytes) + signed at (8 bytes, big-endian) + the pack's canonical bytes

with the network's ticket signing key (``server.ticket_keys``): the phones already hold its public half in their
trust data. The context keeps a pack's signature from ever reading as a ticket's (and the reverse); the time, signed
with the bytes, lets a phone refuse a genuine but older pack than the one it has. The specification is
``docs/packs.md``, "Signature"; the vectors ``sync/vectors/packs.json``; the phone's twin ``pwa/src/pack_signature.js``.
"""

import base64
import binascii
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "Comptoir-Pack-Signature"
CONTEXT = b"comptoir-pack\x00"
SIGNED_AT = struct.Struct(">Q")
SIGNATURE_SIZE = 64
_SHAPE = re.compile(r"^([1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{86})$")

# Refusal reasons, in the order they are checked.
REASONS = (
    "malformed",  # not a signature header of the right shape
    "unknown_key",  # no trusted public key with this id (never known, or withdrawn)
    "bad_signature",  # forged, or the pack or its time altered
)


class PackSignatureRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PackSignature:
    key_id: int
    signed_at: int  # Unix time in seconds, by the server's clock
    signature: bytes

    def header(self) -> str:
        """The header's value: ``<key id>.<signed at>.<signature, base64url without padding>``."""
        encoded = base64.urlsafe_b64encode(self.signature).decode("ascii").rstrip("=")
        return f"{self.key_id}.{self.signed_at}.{encoded}"

    @classmethod
    def parse(cls, text: str) -> "PackSignature":
        match = _SHAPE.match(text.strip(" \t"))
        if match is None or int(match[1]) > 255:
            raise PackSignatureRefused("malformed")
        try:
            signature = base64.urlsafe_b64decode(match[3] + "==")
        except binascii.Error as exc:  # pragma: no cover - the pattern lets only base64url through
            raise PackSignatureRefused("malformed") from exc
        if len(signature) != SIGNATURE_SIZE or cls(0, 0, signature).header().split(".")[2] != match[3]:
            raise PackSignatureRefused("malformed")  # one text per signature: the spare bits are zero
        return cls(key_id=int(match[1]), signed_at=int(match[2]), signature=signature)


def signed_bytes(body: bytes, signed_at: int) -> bytes:
    """What the signature covers: the context, the time, the pack's canonical bytes."""
    return CONTEXT + SIGNED_AT.pack(signed_at) + body


def sign(body: bytes, key_id: int, private_key: Ed25519PrivateKey, signed_at: int) -> PackSignature:
    return PackSignature(key_id, signed_at, private_key.sign(signed_bytes(body, signed_at)))


def verify(
    body: bytes, signature: "PackSignature | str", public_keys: Mapping[int, Ed25519PublicKey | bytes]
) -> PackSignature:
    """The signature if it holds for ``body`` with one of ``public_keys`` (key id → key, raw 32 bytes or a key
    object: the trust data's keys), else :class:`PackSignatureRefused` with its reason."""
    parsed = PackSignature.parse(signature) if isinstance(signature, str) else signature
    key = public_keys.get(parsed.key_id)
    if key is None:
        raise PackSignatureRefused("unknown_key")
    if isinstance(key, bytes):
        key = Ed25519PublicKey.from_public_bytes(key)
    try:
        key.verify(parsed.signature, signed_bytes(body, parsed.signed_at))
    except InvalidSignature as exc:
        raise PackSignatureRefused("bad_signature") from exc
    return parsed
