"""Device signatures on their own (``sync/signatures.py``): the signed bytes, the shared vectors, bad input."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import ingest
from sync.chain import canonical_json, event_hash
from sync.events import parse_event
from sync.signatures import (
    fingerprint,
    public_key_text,
    sign,
    signing_bytes,
    split_signature,
    valid_public_key,
    verify,
)
from sync.vectors import signatures as signature_vectors

VECTORS = json.loads((Path(signature_vectors.__file__).parent / "signatures.json").read_text())


def test_the_vectors_file_is_what_the_generator_writes():
    assert json.loads(json.dumps(signature_vectors.build())) == VECTORS


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["event"]["type"])
def test_every_vector_verifies_with_the_test_key_and_signs_to_the_same_text(vector):
    event = parse_event(vector["event"])
    assert signing_bytes(event).decode("utf-8") == vector["canonical"]
    assert verify(event, vector["signature"], VECTORS["key"]["public_key"])
    key = signature_vectors.device_key("A")
    assert public_key_text(key) == VECTORS["key"]["public_key"]
    assert sign(event, key) == vector["signature"]  # Ed25519 is deterministic


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["description"])
def test_the_invalid_vectors_do_not_verify(vector):
    assert not verify(parse_event(vector["event"]), vector["signature"], VECTORS["key"]["public_key"])


def test_the_signed_bytes_are_the_hashed_bytes_and_hold_no_signature():
    vector = VECTORS["vectors"][0]
    item = vector["event"] | {"signature": vector["signature"]}
    rest, signature = split_signature(item)
    assert signature == vector["signature"] and "signature" not in rest
    event = parse_event(rest)
    assert signing_bytes(event) == canonical_json(event)
    assert b"signature" not in signing_bytes(event)
    assert event_hash(event) == event_hash(parse_event(vector["event"]))  # the hash does not see it either


def test_an_equivalent_writing_of_the_event_verifies_the_same():
    vector = VECTORS["vectors"][0]
    rewritten = vector["event"] | {"device_time": "2025-03-04T16:20:00.000Z"}  # the same instant in UTC
    assert verify(parse_event(rewritten), vector["signature"], VECTORS["key"]["public_key"])


@pytest.mark.parametrize(
    "key",
    ["", "A" * 42, "A" * 44, "+" * 43, "_kgoXP3j8AeRIJhX9Q8-oitv6i29nvGv1QUI2m1xlDp", None, 12, ["x"]],
)
def test_a_public_key_that_is_no_raw_ed25519_key_is_refused(key):
    assert not valid_public_key(key)
    event = parse_event(VECTORS["vectors"][0]["event"])
    assert not verify(event, VECTORS["vectors"][0]["signature"], key)


def test_signatures_of_any_type_never_raise():
    event = parse_event(VECTORS["vectors"][0]["event"])
    for signature in (None, 5, [], {}, "", "A" * 86, "=" * 86, "é" * 86):
        assert not verify(event, signature, VECTORS["key"]["public_key"])


def test_a_fingerprint_is_short_and_stable():
    assert fingerprint(VECTORS["key"]["public_key"]) == VECTORS["key"]["fingerprint"]
    assert len(VECTORS["key"]["fingerprint"]) == 19


def test_plan_batch_passes_each_items_signature_and_keeps_those_it_accepts():
    key = Ed25519PrivateKey.generate()
    vector = VECTORS["vectors"][0]
    signed = vector["event"] | {"signature": sign(parse_event(vector["event"]), key)}
    unsigned = VECTORS["vectors"][1]["event"]
    seen = []

    def authorise(event, signature):
        seen.append((event.id, signature))
        return None

    plan = ingest.plan_batch([signed, unsigned], {}, authorise)
    assert [result.status for result in plan.results] == ["accepted", "accepted"]
    assert seen == [(signed["id"], signed["signature"]), (unsigned["id"], None)]
    assert plan.signatures == {signed["id"]: signed["signature"]}
