"""The phone's signing key in real Chromium: WebCrypto signs the shared vectors to Python's signatures; enrolling
the volunteer app registers its key; a hand-over recorded offline is uploaded with a signature the server verified
against that phone's key; a phone enrolled before keys existed makes one and registers it at its next sync."""

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.domain.events import event_json
from server.extensions import db
from server.models import Device, SyncedEvent, User
from sync.events import parse_event
from sync.signatures import verify
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.test_volunteer_app import open_by_name, outbox, start_day
from tests.factories.volunteer_app import VolunteerAppWorld as World
from tests.phones import enrol_phone

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "sync/vectors/signatures.json").read_text())


def test_webcrypto_signs_the_vectors_like_python_and_verifies_them(app, phone: Page):
    phone.goto("/app/")
    results = phone.evaluate(
        """async (vectors) => {
            const events = await import('/assets/events.js');
            const algorithm = { name: 'Ed25519' };
            const jwk = vectors.key.private_jwk;
            const privateKey = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign']);
            const raw = Uint8Array.from(atob(vectors.key.public_key.replaceAll('-', '+').replaceAll('_', '/') + '='),
                (c) => c.charCodeAt(0));
            const publicKey = await crypto.subtle.importKey('raw', raw, algorithm, true, ['verify']);
            const bytes = (text) => Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')
                + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
            const check = async (event, signature) => {
                let raw;
                try { raw = bytes(signature); } catch { return false; }
                const text = new TextEncoder().encode(events.canonicalJson(event));
                return crypto.subtle.verify('Ed25519', publicKey, raw, text);
            };
            const signed = [];
            for (const vector of vectors.vectors) {
                signed.push({
                    canonical: events.canonicalJson(vector.event),
                    signature: await events.signEvent(privateKey, vector.event),
                    verifies: await check(vector.event, vector.signature),
                });
            }
            const invalid = [];
            for (const vector of vectors.invalid) invalid.push(await check(vector.event, vector.signature));
            return { signed, invalid };
        }""",
        VECTORS,
    )
    for vector, result in zip(VECTORS["vectors"], results["signed"], strict=True):
        assert result == {"canonical": vector["canonical"], "signature": vector["signature"], "verifies": True}
    assert results["invalid"] == [False] * len(VECTORS["invalid"])


def device_key(page: Page) -> dict:
    return page.evaluate(
        """async () => {
            const key = await (await import('/assets/store.js')).getDeviceKey();
            if (!key) return null;
            const exported = await crypto.subtle.exportKey('jwk', key.keyPair.privateKey).then(() => true, () => false);
            return { deviceId: key.deviceId, publicKey: key.publicKey, registered: key.registered, exported };
        }"""
    )


def outbox_signatures(page: Page) -> list[str | None]:
    return page.evaluate(
        """async () => {
            const db = await (await import('/assets/store.js')).database();
            return (await db.getAllFromIndex('outbox', 'order')).map((entry) => entry.signature ?? null);
        }"""
    )


def hand_over_and_sync(app, phone: Page, world: World) -> list[SyncedEvent]:
    phone.context.set_offline(True)
    open_by_name(phone, "élodie", "Élodie M.")
    phone.get_by_text("Autre paiement").click()
    phone.get_by_role("button", name="Le reste en espèces").click()
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()
    recorded = outbox(phone)
    assert [event["type"] for event in recorded] == ["handover", "payment"]
    signatures = outbox_signatures(phone)
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    with app.app_context():
        rows = db.session.scalars(select(SyncedEvent).order_by(SyncedEvent.position)).all()
        for row in rows:
            db.session.expunge(row)
    assert [row.event_id for row in rows] == [event["id"] for event in recorded]
    assert [row.signature for row in rows] == signatures
    return rows


def test_enrolment_registers_the_key_and_hand_overs_go_up_signed(app, phone: Page, world: World):
    start_day(app, phone, world)
    key = device_key(phone)
    assert key["registered"] is True and key["exported"] is False  # the private key cannot leave the browser
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == key["deviceId"]))
        assert device.public_key == key["publicKey"]
    rows = hand_over_and_sync(app, phone, world)
    with app.app_context():
        public_key = db.session.scalar(select(Device.public_key).where(Device.public_id == key["deviceId"]))
    for row in rows:
        assert row.signature is not None and row.relayed_by_device_id is None
        event = parse_event(event_json(row, key["deviceId"]))
        assert verify(event, row.signature, public_key)


def test_a_phone_enrolled_before_keys_registers_one_at_its_next_sync(app, phone: Page, world: World):
    start_day(app, phone, world)
    device_id = device_key(phone)["deviceId"]
    # As before this change: the server has no key and the phone keeps none.
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == device_id))
        device.public_key, device.public_key_registered_at = None, None
        db.session.commit()
    phone.evaluate(
        "async () => (await import('/assets/store.js')).database().then((db) => db.delete('meta', 'deviceKey'))"
    )
    rows = hand_over_and_sync(app, phone, world)  # recorded with a new key, registered before the upload
    key = device_key(phone)
    assert key["registered"] is True and key["deviceId"] == device_id
    with app.app_context():
        assert db.session.scalar(select(Device.public_key).where(Device.public_id == device_id)) == key["publicKey"]
    assert all(row.signature for row in rows)
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", rows[0].signature)


PUT_RECEIVED = """async (entries) => {
    const db = await (await import('/assets/store.js')).database();
    const tx = db.transaction('log', 'readwrite');
    await Promise.all([...entries.map((entry) => tx.store.put(entry)), tx.done]);
}"""

SYNC_TWICE = """async () => {
    const sync = await import('/assets/sync.js');
    await sync.syncNow();
    return sync.syncNow();
}"""

READ_LOG = """async (ids) => {
    const db = await (await import('/assets/store.js')).database();
    return Promise.all(ids.map((id) => db.get('log', id)));
}"""


def test_events_received_from_another_phone_are_carried_to_the_server(app, phone: Page, world: World):
    """Store and forward: phone A's signed events, received by this phone (as the QR transfer stores them: in the log,
    `own` false, with their signature and `forward`), go up with this phone's next sync; the server checks A's
    signature and stores them as A's, relayed by this phone; an altered one is refused and kept, marked."""
    start_day(app, phone, world)
    carrier = device_key(phone)["deviceId"]
    with app.app_context():
        point = db.session.scalar(select(Device).where(Device.public_id == carrier)).points[0].id
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
    other = enrol_phone(app, [point], victor, "Téléphone 2", keyed=True)
    handover = {"order_id": world.orders["Élodie M."], "outcome": "all"}
    good = other.signed(other.record("handover", handover, world.distribution))
    altered = other.signed(other.record("note", {"text": "bonjour"}, world.distribution))
    altered["payload"]["text"] = "au revoir"
    entries = [
        {
            "id": item["id"],
            "distributionId": world.distribution,
            "event": {key: value for key, value in item.items() if key != "signature"},
            "signature": item["signature"],
            "own": False,
            "forward": 1,
            "confirmedAt": None,
        }
        for item in (good, altered)
    ]
    phone.evaluate(PUT_RECEIVED, entries)
    # A sync that started before they arrived (the app syncs by itself) is waited for, then one more runs.
    result = phone.evaluate(SYNC_TWICE)
    assert result["ok"], result
    kept = phone.evaluate(READ_LOG, [good["id"], altered["id"]])
    assert "forward" not in kept[0] and kept[0]["signature"] == good["signature"]  # then pulled back, as stored
    # Refused: kept, marked, out of the `forward` index (not sent again by itself).
    assert "forward" not in kept[1] and kept[1]["forwardRefused"]["reason"] == "signature_invalid"
    with app.app_context():
        row = db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == good["id"]))
        assert row.device.public_id == other.device_id and row.signature == good["signature"]
        assert db.session.get(Device, row.relayed_by_device_id).public_id == carrier
        assert db.session.scalar(select(SyncedEvent).where(SyncedEvent.event_id == altered["id"])) is None
