"""A phone checks, offline, the signatures of the events another phone hands it (issue 17): the pack lists the phones
enrolled for the point with their keys (docs/packs.md, "Devices"), so phone B refuses a transfer from phone A whose
last event was altered after A signed it (only its signature can tell: no later event names its hash), re-signed with
another key, or stripped of its signature; nothing is stored from any of them, and the volunteer reads why, in French
and English. A's genuine transfer is taken. Real Chromium, real server, real enrolments, keys and events
(``test_volunteer_app``'s distribution), ``exchange.js`` driven in the page (the camera path is
``test_phone_to_phone``'s)."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.browser import test_volunteer_app as screens
from tests.browser.test_phone_to_phone import hand_over_awa, received_from_phones, sharing_phone
from tests.browser.test_volunteer_app import World, start_day
from tests.browser.volunteer import stored_outbox

world = screens.world

# In phone B: A's envelope as A made it, then altered three ways; what acceptEvents says of each, in this order.
ACCEPT = """async (envelope) => {
    const [exchange, events, packs] = await Promise.all(
        [import('/assets/exchange.js'), import('/assets/events.js'), import('/assets/packs.js')]);
    const last = envelope.events.reduce((a, b) => (b.seq > a.seq ? b : a));
    const others = envelope.events.filter((event) => event !== last);
    const { signature, ...recorded } = last;
    const changed = { ...recorded, device_time: '2020-01-01T00:00:00.000Z' };  // recorded "years ago"
    const stranger = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const variants = {
        altered: [...others, { ...changed, signature }],
        resigned: [...others, { ...changed, signature: await events.signEvent(stranger.privateKey, changed) }],
        removed: [...others, recorded],
    };
    const answers = {};
    for (const [name, list] of Object.entries(variants)) {
        try {
            answers[name] = await exchange.acceptEvents({ ...envelope, events: list });
        } catch (error) {
            answers[name] = error.reason ?? String(error);
        }
    }
    const devices = (await packs.getPack(envelope.distribution_id)).pack.devices;
    return { answers, devices, signed: envelope.events.every((event) => typeof event.signature === 'string') };
}"""

GENUINE = """async (envelope) => (await import('/assets/exchange.js')).acceptEvents(envelope)"""

ENVELOPE = """async (distributionId) => (await import('/assets/exchange.js')).eventsEnvelope(distributionId)"""

WORDS = """
globalThis.navigator = { languages: ['fr'] };
const i18n = await import(process.argv[1]);
const out = {};
for (const lang of ['fr', 'en']) {
  i18n.setLanguage(lang);
  out[lang] = i18n.t('receive.refused_bad_signature');
}
console.log(JSON.stringify(out));
"""


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_a_transfer_whose_last_event_is_not_signed_by_its_phone_is_refused(app, browser, live_server, world: World):
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)  # A enrols with its key: B's pack, downloaded next, lists it
    sender.evaluate("async () => { await import('/assets/exchange.js'); }")
    receiver = sharing_phone(browser, live_server)
    start_day(app, receiver, world)
    receiver.evaluate(
        "async () => { for (const m of ['exchange', 'events', 'packs']) await import(`/assets/${m}.js`); }"
    )
    sender.context.set_offline(True)
    receiver.context.set_offline(True)
    hand_over_awa(sender)
    envelope = sender.evaluate(ENVELOPE, world.distribution)
    assert {event["type"] for event in envelope["events"]} == {"handover", "payment"}

    got = receiver.evaluate(ACCEPT, envelope)
    assert got["signed"]
    sender_id = envelope["from"]
    assert sender_id in {device["id"] for device in got["devices"]}
    assert len(got["devices"]) == 2  # A and B, each with its key
    assert got["answers"] == {"altered": "bad_signature", "resigned": "bad_signature", "removed": "bad_signature"}
    assert received_from_phones(receiver) == []
    assert stored_outbox(receiver) == []

    assert receiver.evaluate(GENUINE, envelope) == {"events": 2, "actions": 1}
    assert len(received_from_phones(receiver)) == 2

    i18n = Path(__file__).resolve().parents[2] / "pwa/src/i18n.js"
    words = subprocess.run(
        ["node", "--input-type=module", "-e", WORDS, str(i18n)], capture_output=True, text=True, check=True
    )
    assert json.loads(words.stdout) == {
        "fr": "Transfert refusé : une action n’est pas signée par le téléphone qui l’a enregistrée. "
        "Rien n’a été enregistré.",
        "en": "Transfer refused: an action is not signed by the phone that recorded it. Nothing was recorded.",
    }
    receiver.context.close()
    sender.context.close()
