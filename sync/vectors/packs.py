"""The signed pack test vectors (docs/packs.md, "Signature"): a small pack's canonical bytes signed by fixed test
keys (Ed25519 signatures are deterministic), and one refused pack or signature per reason."""

from typing import Any

from sync import pack_signature
from sync.pack import canonical_json
from sync.signatures import public_key_text
from sync.tickets import trust_json
from sync.vectors.tickets import raw_public, vector_key

SIGNED_AT = 1_773_158_400  # 2026-03-10T16:00:00Z

PACK = {
    "format_version": 3,
    "distribution": {
        "id": 42,
        "starts_at": "2026-03-10T16:30:00Z",
        "ends_at": "2026-03-10T18:00:00Z",
        "status": "planned",
    },
    "point": {"id": 3, "name": "Maison de quartier du Luzard", "town": "Noisiel", "address": "2 place du Luzard"},
    "network": {
        "name": "Comptoirs Coopératifs",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "payment_methods": ["cash", "cheque"],
    },
    "tickets": {"public_keys": {}, "min_serials": {"4242": 3}},
    "members": [
        {
            "id": 4242,
            "manual_code": "K7QM4ZRT9",
            "first_name": "Awa",
            "last_name": "Diallo",
            "display_name": "Awa D.",
            "status": "active",
            "tier": {"id": 2, "name": "Tarif solidaire", "share_percent": 70},
            "order": {
                "id": 9001,
                "share_percent": 70,
                "lines": [
                    {
                        "product_id": 17,
                        "product_name": "Œufs plein air ×6",
                        "quantity": 2,
                        "unit_price_cents": 270,
                        "due_cents": 378,
                        "producer_id": None,
                    }
                ],
                "total_due_cents": 378,
                "solidarity_share_cents": 162,
            },
            "balances": {"prepaid_cents": 1500, "allowance_cents": 3000},
        }
    ],
}


def _flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


# A phone of the point with its signing key (docs/packs.md, "Devices").
DEVICE = {"id": "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f", "name": "Téléphone du Luzard"}


def build() -> dict[str, Any]:
    key1, key2 = vector_key("1"), vector_key("2")
    keys = {1: raw_public(key1), 2: raw_public(key2)}
    device = {**DEVICE, "public_key": public_key_text(vector_key("device"))}
    body = canonical_json({**PACK, "tickets": trust_json(keys, {4242: 3}), "devices": [device]})
    good = pack_signature.sign(body, 1, key1, SIGNED_AT)
    rotated = pack_signature.sign(body, 2, key2, SIGNED_AT + 3600)
    header = good.header()
    flipped = _flip(good.signature, 10)
    invalid = [
        (
            "bad_signature",
            body,
            pack_signature.sign(body, 1, vector_key("stranger"), SIGNED_AT).header(),
            "signed by a key that is not the network's",
        ),
        ("bad_signature", _flip(body, len(body) // 2), header, "one byte of the pack changed"),
        ("bad_signature", body, pack_signature.PackSignature(1, SIGNED_AT, flipped).header(), "signature altered"),
        (
            "bad_signature",
            body,
            pack_signature.PackSignature(1, SIGNED_AT + 1, good.signature).header(),
            "the time changed: an older pack passed off as newer",
        ),
        ("bad_signature", body[:-1], header, "the pack's last byte missing"),
        ("unknown_key", body, pack_signature.sign(body, 3, vector_key("3"), SIGNED_AT).header(), "withdrawn key 3"),
        ("malformed", body, "", "no signature"),
        ("malformed", body, header[:-1], "signature truncated"),
        ("malformed", body, "1." + header, "three dots"),
        ("malformed", body, header.replace("1.", "01.", 1), "a leading zero in the key id"),
    ]
    return {
        "description": 'Comptoir signed pack test vectors; see docs/packs.md, "Signature". Test keys only.',
        "context": pack_signature.CONTEXT.decode("ascii"),
        "public_keys": trust_json(keys, {})["public_keys"],
        "withdrawn_key_ids": [3],
        "valid": [
            {
                "description": "signed by key 1",
                "pack": body.decode(),
                "signature": header,
                "key_id": 1,
                "signed_at": SIGNED_AT,
            },
            {
                "description": "the same pack signed an hour later by key 2 (rotation)",
                "pack": body.decode(),
                "signature": rotated.header(),
                "key_id": 2,
                "signed_at": SIGNED_AT + 3600,
            },
        ],
        "invalid": [
            {"description": d, "pack": data.decode(errors="strict"), "signature": s, "reason": r}
            for r, data, s, d in invalid
        ],
    }
