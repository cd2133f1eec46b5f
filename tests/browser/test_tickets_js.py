"""The browser's ticket verifier (pwa/src/tickets.js, WebCrypto Ed25519) against the shared vectors."""

import base64
import json
import random
from pathlib import Path

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "sync/vectors/tickets.json").read_text())

VERIFY_ALL = """async ({ vectors, texts }) => {
    const { importPublicKeys, verifyTicket } = await import('/assets/tickets.js');
    const keys = await importPublicKeys(vectors.public_keys);
    const results = [];
    for (const text of texts) results.push(await verifyTicket(text, keys, vectors.min_serials));
    return results;
}"""


def verify_in_browser(page, texts):
    return page.evaluate(VERIFY_ALL, {"vectors": VECTORS, "texts": texts})


def test_vectors_in_chromium(phone):
    phone.goto("/auth/sign-in")
    valid = verify_in_browser(phone, [v["text"] for v in VECTORS["valid"]])
    for vector, result in zip(VECTORS["valid"], valid, strict=True):
        assert result == {
            "ok": True,
            "ticket": {
                "keyId": vector["key_id"],
                "memberId": vector["member_id"],
                "serial": vector["serial"],
                "issuedOn": vector["issued_on"],
            },
        }, vector["description"]
    invalid = verify_in_browser(phone, [v["text"] for v in VECTORS["invalid"]])
    for vector, result in zip(VECTORS["invalid"], invalid, strict=True):
        assert result == {"ok": False, "reason": vector["reason"]}, vector["description"]
    same = verify_in_browser(phone, [v["text"] for v in VECTORS["same_as_valid_1"]])
    assert same == [valid[1]] * len(same)


def test_a_thousand_single_byte_alterations_are_refused_in_chromium(phone):
    phone.goto("/auth/sign-in")
    text = VECTORS["valid"][1]["text"]
    raw = base64.b32decode(text + "=" * (-len(text) % 8))
    rng = random.Random(11)
    altered_texts = []
    for _ in range(1000):
        altered = bytearray(raw)
        index = rng.randrange(len(altered))
        altered[index] = (altered[index] + rng.randrange(1, 256)) % 256
        altered_texts.append(base64.b32encode(bytes(altered)).decode().rstrip("="))
    results = verify_in_browser(phone, altered_texts)
    assert all(not result["ok"] for result in results)
