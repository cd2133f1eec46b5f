"""The ticket test vectors: valid tickets under two keys, and one invalid ticket per refusal reason."""

import base64
import hashlib
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync import tickets
from sync.tickets import Ticket


def vector_key(label: str) -> Ed25519PrivateKey:
    """A fixed, public test key: never a network's real key."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"comptoir test key {label}".encode()).digest())


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _flip(text: str, index: int) -> str:
    """Change one byte of the encoded ticket and re-encode it (an altered ticket, still well-formed base32)."""
    raw = bytearray(base64.b32decode(text + "=" * (-len(text) % 8)))
    raw[index] ^= 0x01
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def _spare_bits_set(last: str) -> str:
    """The base32 character whose top two bits match ``last`` but whose three spare low bits are not zero."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return alphabet[alphabet.index(last) | 0b001]


def build() -> dict[str, Any]:
    key1, key2, stranger = vector_key("1"), vector_key("2"), vector_key("stranger")
    valid = [
        (Ticket(key_id=1, member_id=1, serial=0, issued_on=date(2026, 1, 5)), key1, "first ticket of member 1"),
        (Ticket(key_id=1, member_id=4242, serial=3, issued_on=date(2026, 11, 23)), key1, "re-issued ticket"),
        (Ticket(key_id=2, member_id=4_294_967_295, serial=65535, issued_on=date(2203, 6, 6)), key2, "largest values"),
        (Ticket(key_id=2, member_id=77, serial=2, issued_on=date(2024, 1, 1)), key2, "second key (rotation)"),
    ]
    good = tickets.sign(valid[1][0], key1)
    invalid = [
        ("bad_signature", tickets.sign(valid[1][0], stranger), "signed by a key that is not the network's"),
        ("bad_signature", _flip(good, 2), "member id altered"),
        ("bad_signature", _flip(good, 20), "signature altered"),
        ("unknown_key", tickets.sign(Ticket(9, 4242, 3, date(2026, 11, 23)), key1), "key id 9 is not published"),
        ("unknown_key", tickets.sign(Ticket(3, 12, 0, date(2025, 3, 1)), vector_key("3")), "withdrawn key 3"),
        (
            "unsupported_version",
            tickets.sign(Ticket(1, 4242, 3, date(2026, 11, 23), version=2), key1),
            "format version 2",
        ),
        ("revoked", tickets.sign(Ticket(1, 4242, 2, date(2026, 6, 1)), key1), "serial 2 after serial 3 was issued"),
        ("truncated", good[:-8], "last 8 characters missing"),
        ("too_long", good + "AA", "two characters too many"),
        ("malformed", "HELLO WORLD", "not base32"),
        ("malformed", "https://example.org/ticket", "a web address"),
        ("malformed", "", "empty"),
        ("malformed", good[:-1] + "1", "a character outside base32"),
        ("malformed", good[:-1] + _spare_bits_set(good[-1]), "same bytes, spare bits of the last character set"),
        ("malformed", "\ufeff" + good, "a leading byte order mark (U+FEFF) is not white space"),
        ("malformed", good + "\u00a0", "a trailing no-break space is not white space"),
        ("malformed", good[:60] + " " + good[60:], "white space inside the text"),
    ]
    # Other writings of the second valid ticket that readers accept: any case, space, tab, CR and LF around it.
    same = [
        (good.lower(), "lower case"),
        (" \t" + good + "\r\n", "space and tab before, CR LF after"),
        ("\n" + good.lower() + " ", "line feed before, lower case, space after"),
    ]
    return {
        "description": "Comptoir member ticket test vectors; see docs/tickets.md. Test keys only.",
        "format_version": tickets.VERSION,
        # The shape devices download (``trust_json``), so the verifiers are tested on exactly that.
        **tickets.trust_json({1: raw_public(key1), 2: raw_public(key2)}, {4242: 3}),
        "withdrawn_key_ids": [3],
        "valid": [
            {
                "description": description,
                "text": tickets.sign(ticket, key),
                "key_id": ticket.key_id,
                "member_id": ticket.member_id,
                "serial": ticket.serial,
                "issued_on": ticket.issued_on.isoformat(),
            }
            for ticket, key, description in valid
        ],
        "invalid": [{"description": d, "text": text, "reason": reason} for reason, text, d in invalid],
        "same_as_valid_1": [{"description": d, "text": text} for text, d in same],
    }
