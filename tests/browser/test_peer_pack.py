"""A pack handed from one phone to another (issue 17; docs/packs.md, "Signature"), in real Chromium: phone A keeps
the pack it downloaded with its bytes and the server's signature; phone B, offline, accepts those bytes and that
signature (``acceptPeerPack``: the QR channel that carries them is another part) only if the signature holds with
the network's keys B already holds, the pack is for a point B is enrolled for and it is not older than B's, and then
works with it: it finds the distribution's members. Each refusal says why, in French."""

import json
import time
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from server.clock import utcnow
from server.extensions import db
from server.models import Point, User
from server.ticket_keys import public_keys
from sync import pack_signature
from sync.vectors.tickets import vector_key
from tests.browser.conftest import PHONE
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.test_volunteer_app import open_by_name, point_id, start_day
from tests.browser.test_whole_day import open_account
from tests.factories.primitives import distribution
from tests.factories.volunteer_app import POINT
from tests.phones import enrol_phone

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "sync/vectors/packs.json").read_text())

VERIFY_ALL = """async ({ vectors, cases }) => {
    const { importPublicKeys } = await import('/assets/tickets.js');
    const { verifyPackSignature } = await import('/assets/pack_signature.js');
    const keys = await importPublicKeys(vectors.public_keys);
    const results = [];
    for (const c of cases) results.push(await verifyPackSignature(new TextEncoder().encode(c.pack), c.signature, keys));
    return results;
}"""

STORED = """async (distributionId) => {
    const { getPack, packForPeer } = await import('/assets/packs.js');
    const record = await getPack(distributionId);
    const peer = await packForPeer(distributionId);
    return { signature: record.signature, signedAt: record.signedAt, from: record.from, etag: record.etag,
             bytes: Array.from(peer.bytes), peerSignature: peer.signature };
}"""

ACCEPT = """async ({ bytes, signature }) => {
    const { acceptPeerPack } = await import('/assets/packs.js');
    try {
        const { changed, record } = await acceptPeerPack(new Uint8Array(bytes), signature);
        return { ok: true, changed, from: record.from, members: record.pack.members.length };
    } catch (error) {
        return { ok: false, reason: error.reason, message: error.message };
    }
}"""


def test_the_signed_pack_vectors_in_chromium(phone):
    phone.goto("/auth/sign-in")
    valid = phone.evaluate(VERIFY_ALL, {"vectors": VECTORS, "cases": VECTORS["valid"]})
    assert valid == [{"ok": True, "keyId": v["key_id"], "signedAt": v["signed_at"]} for v in VECTORS["valid"]]
    invalid = phone.evaluate(VERIFY_ALL, {"vectors": VECTORS, "cases": VECTORS["invalid"]})
    for vector, result in zip(VECTORS["invalid"], invalid, strict=True):
        assert result == {"ok": False, "reason": vector["reason"]}, vector["description"]


def _server_pack(app, point: int, distribution_id: int) -> tuple[list[int], str]:
    """A pack as the server signs it, fetched by a phone enrolled for ``point`` (the admin's shift)."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        if admin is None:
            admin = User(email="admin@example.org", role="admin")
            db.session.add(admin)
            db.session.commit()
        admin_id = admin.id
    other = enrol_phone(app, [point], admin_id, "Téléphone ailleurs")
    answer = other.client.get(f"/api/distributions/{distribution_id}/pack", headers=other.headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(answer.get_data()), answer.headers[pack_signature.HEADER]


def _other_point(app) -> tuple[int, int]:
    with app.app_context():
        south = Point(name="École Sud", town="Torcy")
        elsewhere = distribution(south, utcnow())
        db.session.add_all([south, elsewhere])
        db.session.commit()
        return south.id, elsewhere.id


def test_a_pack_handed_over_by_another_phone_lets_it_work_offline_and_a_bad_one_is_refused(
    app, browser, live_server, phone, world
):
    d = world.distribution
    older = _server_pack(app, point_id(app), d)  # then a balance moves: the next pack is another, newer one
    open_account(app, world.members["Awa D."], "prepaid", 1000)
    south, elsewhere = _other_point(app)
    other_point = _server_pack(app, south, elsewhere)
    time.sleep(1.1)  # the signature's time counts seconds

    # Phone A downloads the pack: kept with its bytes and the server's signature, which verifies.
    start_day(app, phone, world)
    stored = phone.evaluate(STORED, d)
    assert stored["from"] == "server" and stored["peerSignature"] == stored["signature"]
    with app.app_context():
        keys = public_keys()
    signed = pack_signature.verify(bytes(stored["bytes"]), stored["signature"], keys)
    assert signed.signed_at == stored["signedAt"] > pack_signature.PackSignature.parse(older[1]).signed_at

    # Phone B: enrolled and signed in, never downloaded a pack, yet holds the network's keys; then offline.
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    second = context.new_page()
    try:
        start_day(app, second, world, download=False)
        second.evaluate("async () => { await import('/assets/packs.js'); }")  # loaded online, as the app is
        trust = second.evaluate(
            "async () => (await (await import('/assets/store.js')).getMeta('ticketTrust'))?.public_keys ?? null"
        )
        assert trust and set(trust) == {str(key_id) for key_id in keys}
        context.set_offline(True)

        def accept(data: list[int], signature: str) -> dict:
            return second.evaluate(ACCEPT, {"bytes": data, "signature": signature})

        genuine = stored["bytes"]
        altered = list(genuine)
        altered[len(altered) // 2] ^= 0x01
        forged = pack_signature.sign(bytes(genuine), 1, vector_key("stranger"), stored["signedAt"] + 60).header()
        not_signed = "Distribution refusée : elle n’est pas signée par le serveur."
        for data, signature in ((altered, stored["signature"]), (genuine, forged), (genuine, ""), (genuine, None)):
            assert accept(data, signature) == {"ok": False, "reason": "pack_not_signed", "message": not_signed}
        assert accept(*other_point) == {
            "ok": False,
            "reason": "pack_other_point",
            "message": "Distribution refusée : elle est pour un lieu où ce téléphone n’est pas enregistré.",
        }
        assert second.evaluate("async (d) => (await import('/assets/packs.js')).getPack(d)", d) is None

        assert accept(genuine, stored["signature"]) == {"ok": True, "changed": True, "from": "peer", "members": 4}
        assert accept(genuine, stored["signature"])["changed"] is False  # the same pack again: nothing to do
        assert accept(*older) == {
            "ok": False,
            "reason": "pack_older",
            "message": "Distribution refusée : ce téléphone en a déjà une version plus récente.",
        }

        # B works with it, offline: the distribution opens and its members are found.
        second.get_by_role("button", name=f"Ouvrir : {POINT}").click()
        expect(second.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        open_by_name(second, "awa", "Awa D.")
    finally:
        context.close()
