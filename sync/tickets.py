"""Member tickets: a compact, Ed25519-signed payload that a phone verifies offline with public keys alone.

Byte layout (big-endian, 10 bytes), then a 64-byte Ed25519 signature over ``CONTEXT + payload``:

    offset  size  field
    0       1     format version (1)
    1       1     key id (which network key signed it; several may be valid at once)
    2       4     member id (households.id)
    6       2     serial (a re-issued ticket has a higher serial; older serials are revoked)
    8       2     issue date, days since 2024-01-01

The 74 bytes are written in RFC 4648 base32 without padding (119 characters of ``A–Z 2–7``), which QR codes
store in alphanumeric mode: version 7 at error-correction level Q. Nothing personal is in a ticket.
The full specification, with the refusal reasons, is ``docs/tickets.md``; test vectors are in
``sync/vectors/tickets.json``.
"""

import base64
import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
CONTEXT = b"comptoir-ticket\x00"  # domain separation: the network key signs nothing else with the same bytes
EPOCH = date(2024, 1, 1)
PAYLOAD = struct.Struct(">BBIHH")
SIGNATURE_SIZE = 64
TICKET_SIZE = PAYLOAD.size + SIGNATURE_SIZE  # 74 bytes
TEXT_LENGTH = 119  # base32 of 74 bytes, without padding
# What readers strip around a ticket (what a scanner or a copy-paste adds), and nothing else: a byte order mark
# (U+FEFF) or a no-break space is not white space here, in Python as in the PWA.
WHITE_SPACE = " \t\r\n"
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

# Refusal reasons, in the order they are checked.
REASONS = (
    "malformed",  # not base32 text of a ticket's shape
    "truncated",  # shorter than a ticket
    "too_long",  # longer than a ticket
    "unsupported_version",
    "unknown_key",  # no valid public key with this id (never known, or withdrawn)
    "bad_signature",  # forged or altered
    "revoked",  # a newer serial was issued, or the member's ticket was revoked
)


class TicketRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Ticket:
    key_id: int
    member_id: int
    serial: int
    issued_on: date
    version: int = VERSION

    def payload(self) -> bytes:
        days = (self.issued_on - EPOCH).days
        return PAYLOAD.pack(self.version, self.key_id, self.member_id, self.serial, days)


def sign(ticket: Ticket, private_key: Ed25519PrivateKey) -> str:
    """The ticket's text (what the QR code holds)."""
    payload = ticket.payload()
    signature = private_key.sign(CONTEXT + payload)
    return base64.b32encode(payload + signature).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    text = text.strip(WHITE_SPACE).upper()
    if not text or not set(text) <= ALPHABET:
        raise TicketRefused("malformed")
    if len(text) < TEXT_LENGTH:
        raise TicketRefused("truncated")
    if len(text) > TEXT_LENGTH:
        raise TicketRefused("too_long")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise TicketRefused("malformed") from exc
    if len(raw) != TICKET_SIZE or base64.b32encode(raw).decode().rstrip("=") != text:
        raise TicketRefused("malformed")  # the 3 spare bits of the last character must be zero: one text per ticket
    return raw


def verify(
    text: str,
    public_keys: Mapping[int, Ed25519PublicKey | bytes],
    min_serials: Mapping[int, int] | None = None,
) -> Ticket:
    """The ticket in ``text`` if it is genuine and current, else :class:`TicketRefused` with its reason.

    ``public_keys`` maps key id → key (raw 32 bytes or a key object); ``min_serials`` maps member id → the lowest
    serial still valid (the revocation list carried in packs).
    """
    raw = _decode(text)
    payload, signature = raw[: PAYLOAD.size], raw[PAYLOAD.size :]
    version, key_id, member_id, serial, days = PAYLOAD.unpack(payload)
    if version != VERSION:
        raise TicketRefused("unsupported_version")
    key = public_keys.get(key_id)
    if key is None:
        raise TicketRefused("unknown_key")
    if isinstance(key, bytes):
        key = Ed25519PublicKey.from_public_bytes(key)
    try:
        key.verify(signature, CONTEXT + payload)
    except InvalidSignature as exc:
        raise TicketRefused("bad_signature") from exc
    if min_serials is not None and serial < min_serials.get(member_id, 0):
        raise TicketRefused("revoked")
    return Ticket(key_id=key_id, member_id=member_id, serial=serial, issued_on=EPOCH + timedelta(days=days))


def trust_json(public_keys: Mapping[int, bytes], min_serials: Mapping[int, int]) -> dict[str, dict[str, object]]:
    """What a phone needs to verify tickets offline, as JSON (the ``tickets`` part of what devices download): every
    key that still verifies, by id (raw 32 bytes, base64), and the revocation list (member id → lowest valid
    serial). JSON object keys are strings; the verifiers in Python and JavaScript read this shape directly."""
    return {
        "public_keys": {
            str(key_id): base64.b64encode(raw).decode("ascii") for key_id, raw in sorted(public_keys.items())
        },
        "min_serials": {str(member_id): serial for member_id, serial in sorted(min_serials.items())},
    }
