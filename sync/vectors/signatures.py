"""The device signature test vectors: a fixed test key (from a fixed seed), events of ``events.json`` as that
device's, their canonical bytes and Ed25519 signatures (deterministic), and signatures that must not verify.

Python (``tests/test_sync_signatures.py``) and the phone (``tests/browser/test_device_keys.py``, WebCrypto with the
key imported from its JWK) sign the same bytes to the same signature and verify them all.
"""

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from sync.chain import canonical_json
from sync.events import parse_event
from sync.signatures import b64url, fingerprint, public_key_text, sign
from sync.vectors import events

DEVICE = events.PHONE


def device_key(label: str) -> Ed25519PrivateKey:
    """A fixed, public test key of a phone: never a real device's key."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"comptoir test device key {label}".encode()).digest())


def _key_json(key: Ed25519PrivateKey) -> dict[str, Any]:
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = public_key_text(key)
    return {
        "seed_hex": seed.hex(),
        "public_key": public,
        "private_jwk": {"kty": "OKP", "crv": "Ed25519", "d": b64url(seed), "x": public},
        "fingerprint": fingerprint(public),
    }


def build() -> dict[str, Any]:
    key, stranger = device_key("A"), device_key("stranger")
    mine = [vector["event"] for vector in events.build()["vectors"] if vector["event"]["device_id"] == DEVICE]
    vectors = []
    for event in mine[:6]:
        parsed = parse_event(event)
        vectors.append(
            {"event": event, "canonical": canonical_json(parsed).decode("utf-8"), "signature": sign(parsed, key)}
        )
    first = vectors[0]
    altered = json.loads(json.dumps(first["event"]))
    altered["payload"]["kind"] = "closing"
    signature = first["signature"]
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    invalid = [
        ("one field changed after signing", altered, signature),
        ("signed by another key", first["event"], sign(parse_event(first["event"]), stranger)),
        ("signature altered", first["event"], flipped),
        ("signature of another event", first["event"], vectors[1]["signature"]),
        ("signature truncated", first["event"], signature[:-2]),
        ("not base64url", first["event"], "+" * 86),
    ]
    return {
        "description": (
            "Comptoir device signature test vectors: Ed25519 over each event's canonical encoding (the hashed bytes, "
            "no signature in them), base64url without padding; see docs/sync-protocol.md, 'Device signatures and "
            "store-and-forward'."
        ),
        "key": _key_json(key),
        "vectors": vectors,
        "invalid": [
            {"description": description, "event": event, "signature": signature}
            for description, event, signature in invalid
        ],
    }
