"""Packs signed by the server (docs/packs.md, "Signature"): the signature covers the pack's exact bytes and the time
it was signed, with the network's ticket signing key, and verifies with the trust data's public keys alone; the
pack's bytes, ETag and 304s are what they were."""

import base64
import gzip
import json
from pathlib import Path

import pytest

from server.extensions import db
from server.ticket_keys import create_key, withdraw_key
from sync import pack_signature
from sync.pack_signature import PackSignature, PackSignatureRefused
from sync.vectors.tickets import raw_public, vector_key
from tests.factories.packs import PacksWorld as World
from tests.factories.packs import packs_world
from tests.test_packs import get_pack, phone

VECTORS = json.loads((Path(__file__).parents[1] / "sync" / "vectors" / "packs.json").read_text())
BODY = b'{"distribution":{"id":42},"format_version":3,"point":{"id":3,"name":"Maison de quartier du Luzard"}}'


# The rule, no database.


def test_a_signature_verifies_with_the_trust_key_and_not_once_one_byte_changed():
    key = vector_key("1")
    signed = pack_signature.sign(BODY, 1, key, 1_773_158_400)
    header = signed.header()
    assert pack_signature.verify(BODY, header, {1: raw_public(key)}) == signed
    for index in (0, len(BODY) // 2, len(BODY) - 1):
        altered = bytearray(BODY)
        altered[index] ^= 0x01
        with pytest.raises(PackSignatureRefused, match="bad_signature"):
            pack_signature.verify(bytes(altered), header, {1: raw_public(key)})
    later = PackSignature(1, signed.signed_at + 3600, signed.signature)  # an old pack passed off as newer
    with pytest.raises(PackSignatureRefused, match="bad_signature"):
        pack_signature.verify(BODY, later, {1: raw_public(key)})
    with pytest.raises(PackSignatureRefused, match="bad_signature"):  # signed by a key that is not the network's
        pack_signature.verify(
            BODY, pack_signature.sign(BODY, 1, vector_key("stranger"), 1).header(), {1: raw_public(key)}
        )


def test_any_key_still_in_the_trust_data_verifies_and_a_withdrawn_one_does_not():
    old, new = vector_key("1"), vector_key("2")
    trust = {1: raw_public(old), 2: raw_public(new)}
    assert pack_signature.verify(BODY, pack_signature.sign(BODY, 1, old, 5).header(), trust).key_id == 1
    assert pack_signature.verify(BODY, pack_signature.sign(BODY, 2, new, 6).header(), trust).key_id == 2
    with pytest.raises(PackSignatureRefused, match="unknown_key"):
        pack_signature.verify(BODY, pack_signature.sign(BODY, 1, old, 5).header(), {2: raw_public(new)})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.5",
        "1.5.abc",
        "0.5." + "A" * 86,
        "256.5." + "A" * 86,
        "1.-5." + "A" * 86,
        "1.05." + "A" * 86,
        "1.5." + "A" * 85 + "B",
        "1.5." + "A" * 85 + "=",
        "1.5." + "A" * 87,
    ],
)
def test_a_malformed_header_is_refused(text):
    with pytest.raises(PackSignatureRefused, match="malformed"):
        PackSignature.parse(text)


def test_the_shared_vectors():
    keys = {int(k): base64.b64decode(v) for k, v in VECTORS["public_keys"].items()}
    for case in VECTORS["valid"]:
        signed = pack_signature.verify(case["pack"].encode(), case["signature"], keys)
        assert signed.key_id == case["key_id"] and signed.signed_at == case["signed_at"], case["description"]
    for case in VECTORS["invalid"]:
        with pytest.raises(PackSignatureRefused) as refused:
            pack_signature.verify(case["pack"].encode(), case["signature"], keys)
        assert refused.value.reason == case["reason"], case["description"]


# The endpoint, on both databases.


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return packs_world()


@pytest.fixture
def volunteer_phone(app, world) -> dict[str, str]:
    return phone(app, [world.north], world.volunteer)


def trust_keys(client, headers: dict[str, str]) -> dict[int, bytes]:
    answer = client.get("/api/tickets/trust", headers={"Authorization": headers["Authorization"]})
    assert answer.status_code == 200
    return {int(k): base64.b64decode(v) for k, v in answer.get_json()["public_keys"].items()}


def test_the_pack_carries_a_signature_that_verifies_with_the_trust_keys(app, world, client, volunteer_phone):
    answer = get_pack(client, world, volunteer_phone)
    assert answer.status_code == 200
    signed = pack_signature.verify(
        answer.get_data(), answer.headers[pack_signature.HEADER], trust_keys(client, volunteer_phone)
    )
    assert signed.key_id == 1
    with app.app_context():
        from server.clock import utcnow

        assert abs(utcnow().timestamp() - signed.signed_at) < 60
    # Over the plain bytes whatever the wire's encoding; the ETag names the same bytes.
    zipped = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "gzip"})
    body = gzip.decompress(zipped.get_data())
    assert body == answer.get_data()
    pack_signature.verify(body, zipped.headers[pack_signature.HEADER], trust_keys(client, volunteer_phone))


def test_a_304_is_unchanged_and_carries_a_fresh_signature_of_the_same_bytes(app, world, client, volunteer_phone):
    first = get_pack(client, world, volunteer_phone)
    etag = first.headers["ETag"]
    again = get_pack(client, world, volunteer_phone, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    pack_signature.verify(first.get_data(), again.headers[pack_signature.HEADER], trust_keys(client, volunteer_phone))


def test_after_a_rotation_the_new_key_signs_and_a_pack_signed_before_still_verifies(
    app, world, client, volunteer_phone
):
    before = get_pack(client, world, volunteer_phone)
    with app.app_context():
        create_key()
        db.session.commit()
    after = get_pack(client, world, volunteer_phone)
    keys = trust_keys(client, volunteer_phone)
    assert set(keys) == {1, 2}
    assert pack_signature.verify(after.get_data(), after.headers[pack_signature.HEADER], keys).key_id == 2
    assert pack_signature.verify(before.get_data(), before.headers[pack_signature.HEADER], keys).key_id == 1
    with app.app_context():  # key 1 leaked: what it signed is no longer trusted
        withdraw_key(1)
        db.session.commit()
    keys = trust_keys(client, volunteer_phone)
    with pytest.raises(PackSignatureRefused, match="unknown_key"):
        pack_signature.verify(before.get_data(), before.headers[pack_signature.HEADER], keys)
