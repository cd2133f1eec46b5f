"""pwa/src/transfer.js in real Chromium: an envelope through the fountain-coded QR texts and back, whatever the
order and the frames missed; and every refusal, with its reason: a member ticket, another QR code, another
Uniform Resource, a misread frame (skipped), altered or truncated bytes, an unknown version or kind, a malformed
envelope, a transfer over the size limit (refused from its first frame)."""

import pytest
from playwright.sync_api import Page

from tests.browser.phone_fixtures import *  # noqa: F403  (the app and its built PWA)

BLANK = "/__data__"

# The modules, and a helper: the bytes of a Comptoir transfer carrying any JSON (valid or not).
SETUP = """
const transfer = await import('/assets/transfer.js');
const deflated = async (value) => {
    const json = new TextEncoder().encode(JSON.stringify(value));
    const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    const body = new Uint8Array(await new Response(stream).arrayBuffer());
    const bytes = new Uint8Array(4 + body.length);
    bytes.set(new TextEncoder().encode('CPT1'));
    bytes.set(body, 4);
    return bytes;
};
const receiveAll = async (sender, count) => {
    const receiver = new transfer.TransferReceiver();
    for (let i = 0; i < count && !receiver.complete; i += 1) receiver.receive(sender.nextFrame());
    try {
        return { ok: true, envelope: await receiver.result() };
    } catch (error) {
        return { ok: false, reason: error.reason };
    }
};
"""

ENVELOPE = {
    "v": 2,
    "kind": "events",
    "distribution_id": 7,
    "from": "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f",
    "from_name": "Téléphone 2",
    "events": [
        {
            "id": f"01956a3a-1c00-7def-8123-4567890000{n:02d}",
            "type": "handover",
            "distribution_id": 7,
            "device_id": "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f",
            "seq": n + 1,
            "prev_hash": None,
            "payload": {"order_id": 100 + n, "outcome": "all", "lines": []},
            "signature": "c2lnbmF0dXJl" * 7,
            "a_key_from_later": {"kept": True},
        }
        for n in range(40)
    ],
    "positions": {"3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6f": 40},
}


def run(page: Page, body: str, arg=None):
    return page.evaluate(f"async (arg) => {{ {SETUP} {body} }}", arg)


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto(BLANK)
    yield page
    context.close()


def test_an_envelope_comes_back_whole_from_any_frame_in_any_order_with_frames_missed(page):
    got = run(
        page,
        """
        const sender = await transfer.encodeTransfer(arg, { fragmentBytes: 100 });  // many parts
        // 400 frames of the endless sequence; the camera starts at frame 37, misses one in four, reads out of order.
        const frames = Array.from({ length: 400 }, () => sender.nextFrame()).slice(37).filter((_, i) => i % 4);
        frames.reverse();
        const receiver = new transfer.TransferReceiver();
        const percents = [];
        let read = 0;
        for (const text of frames) {
            read += 1;
            const answer = receiver.receive(text);
            percents.push(answer.percent);
            if (answer.state === 'complete') break;
        }
        return { parts: sender.parts, read, percents, envelope: await receiver.result(),
                 upper: frames[0] === frames[0].toUpperCase() };
        """,
        ENVELOPE,
    )
    assert got["envelope"] == ENVELOPE  # every key of every event, the signature included
    assert got["parts"] >= 3 and got["read"] < 3 * got["parts"]
    assert got["percents"][-1] == 100 and all(0 <= p < 100 for p in got["percents"][:-1])
    assert got["percents"] == sorted(got["percents"])
    assert got["upper"]  # upper case: the QR code's alphanumeric mode


def test_foreign_codes_and_misread_frames_are_refused_or_skipped_without_harm(page, world):
    got = run(
        page,
        """
        const receiver = new transfer.TransferReceiver();
        const sender = await transfer.encodeTransfer(arg.envelope);
        const first = sender.nextFrame();
        const altered = first.slice(0, -3) + (first.at(-3) === 'A' ? 'B' : 'A') + first.slice(-2);
        return {
            ticket: receiver.receive(arg.ticket),
            url: receiver.receive('https://example.org/'),
            psbt: receiver.receive('UR:CRYPTO-PSBT/HDCXLKAHSSQZWFVSLOFZOXWKRZ'),
            altered: receiver.receive(altered),
            skipped: receiver.skipped,
            parts: receiver.parts,
        };
        """,
        {"envelope": ENVELOPE, "ticket": world.tickets["Élodie M."]},
    )
    assert got["ticket"]["state"] == "refused" and got["ticket"]["reason"] == "ticket"
    assert got["url"]["reason"] == "not_transfer"
    assert got["psbt"]["reason"] == "not_transfer"
    assert got["altered"] == {"state": "reading", "percent": 0}  # a misread frame: skipped, the reading goes on
    assert got["skipped"] == 1 and got["parts"] == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({**ENVELOPE, "v": 1}, "unknown_version"),  # an older app's: every prev_hash on the wire
        ({**ENVELOPE, "v": 3}, "unknown_version"),
        ({**ENVELOPE, "kind": "photos"}, "unknown_kind"),
        ({**ENVELOPE, "events": [{"id": "x"}]}, "malformed"),
        ({**ENVELOPE, "events": [{**ENVELOPE["events"][0], "distribution_id": 8}]}, "malformed"),
        ({**ENVELOPE, "distribution_id": "7"}, "malformed"),
        ({key: value for key, value in ENVELOPE.items() if key != "from"}, "malformed"),
        ({**ENVELOPE, "kind": "wants", "held": {"a": -1}}, "malformed"),
        ({**ENVELOPE, "kind": "pack", "bytes": "not base64url!", "signature": "x"}, "malformed"),
        ([1, 2, 3], "malformed"),
    ],
)
def test_an_envelope_of_unknown_version_kind_or_shape_is_refused(page, content, reason):
    got = run(page, "return receiveAll(transfer.encodeBytes(await deflated(arg)), 500);", content)
    assert got == {"ok": False, "reason": reason}


def test_altered_truncated_or_foreign_bytes_are_refused(page):
    got = run(
        page,
        """
        const good = await deflated(arg);
        const cut = good.slice(0, good.length - 20);  // the deflate stream ends too soon
        const flipped = good.slice();
        flipped[10] ^= 0xff;
        return {
            cut: await receiveAll(transfer.encodeBytes(cut), 500),
            flipped: await receiveAll(transfer.encodeBytes(flipped), 500),
            foreign: await receiveAll(transfer.encodeBytes(new TextEncoder().encode('another app')), 50),
            notEnvelope: await receiveAll(transfer.encodeBytes(await deflated('x')), 50),
        };
        """,
        ENVELOPE,
    )
    assert got["cut"] == {"ok": False, "reason": "corrupt"}
    assert got["flipped"]["ok"] is False and got["flipped"]["reason"] in {"corrupt", "malformed"}
    assert got["foreign"] == {"ok": False, "reason": "not_transfer"}
    assert got["notEnvelope"] == {"ok": False, "reason": "malformed"}  # a JSON string, not an envelope


def test_a_transfer_over_the_limit_is_refused_from_its_first_frame(page):
    got = run(
        page,
        """
        const big = new Uint8Array(transfer.MAX_COMPRESSED_BYTES + 64 * 1024);
        for (let at = 0; at < big.length; at += 65536) crypto.getRandomValues(big.subarray(at, at + 65536));
        big.set(new TextEncoder().encode('CPT1'));
        const receiver = new transfer.TransferReceiver();
        const answer = receiver.receive(transfer.encodeBytes(big).nextFrame());
        let refused;
        try { await receiver.result(); } catch (error) { refused = error.reason; }
        let packed;
        try {
            // 720 KB of random text: it does not deflate below the limit.
            const noise = Array.from({ length: 24 }, () =>
                btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(30000))))).join('');
            await transfer.encodeTransfer({ ...arg, events: [{ ...arg.events[0], note: noise }] });
        } catch (error) { packed = error.reason; }
        return { answer, refused, packed };
        """,
        ENVELOPE,
    )
    assert got["answer"]["state"] == "refused" and got["answer"]["reason"] == "too_large"
    assert got["refused"] == "too_large"
    assert got["packed"] == "too_large"  # the sender refuses to show it, too


CHAIN = """
const events = await import('/assets/events.js');
const exchange = await import('/assets/exchange.js');
const base = { schema_version: 1, device_id: 'd1', volunteer_id: 12, distribution_id: 7,
               device_time: '2025-03-04T17:20:00.000Z' };
const e1 = { ...base, id: 'a1', type: 'handover', seq: 1, prev_hash: null,
             payload: { order_id: 1, outcome: 'all' }, signature: 'c2lnbmVk' };
const unsigned = ({ signature, ...event }) => event;
const e2 = { ...base, id: 'a2', type: 'payment', seq: 2, prev_hash: await events.eventHash(unsigned(e1)),
             payload: { amount_cents: 1000, method: 'cash', order_id: 1 }, signature: 'c2lnbmVk' };
const e3 = { ...base, id: 'a3', type: 'void', seq: 3, prev_hash: await events.eventHash(unsigned(e2)),
             payload: { event_id: 'a2' } };
const altered = { ...e2, payload: { ...e2.payload, amount_cents: 1 } };
const broken = async (received, held) => (await exchange.chainBreak(received, held))?.id ?? null;
return {
    whole: await broken([e1, e2, e3]),
    onTopOfHeld: await broken([e2, e3], [e1]),
    alone: await broken([e3]),
    altered: await broken([e1, altered, e3]),
    alteredBeforeHeld: await broken([altered], [e1, e3]),
    lastAltered: await broken([altered], [e1]),
    fork: await broken([{ ...e2, id: 'other' }], [e1, e2]),
    firstWithPrevious: await broken([{ ...e1, prev_hash: e2.prev_hash }]),
};
"""


def test_an_event_altered_on_the_way_breaks_its_device_chain(page):
    got = page.evaluate(f"async () => {{ {CHAIN} }}")
    assert got == {
        "whole": None,
        "onTopOfHeld": None,
        "alone": None,  # its predecessor is neither sent nor held: nothing to check it against
        "altered": "a3",  # the next event names the hash of the payment as it was recorded
        "alteredBeforeHeld": "a3",  # the held successor no longer follows
        "lastAltered": None,  # a chain's last event: only its signature (the device keys' part) can tell
        "fork": "other",
        "firstWithPrevious": "a1",
    }


# Three devices' chains, their events mixed as a day records them; the wire form, inflated; the envelope back.
WIRE = """
const events = await import('/assets/events.js');
const devices = ['d1', 'd2', 'd3'];
const last = {};
const recorded = [];
for (let n = 0; n < 12; n += 1) {
    const device = devices[n % 3];
    const event = { schema_version: 1, id: `e${n}`, type: 'handover', device_id: device, volunteer_id: 12,
                    distribution_id: 7, device_time: '2025-03-04T17:20:00.000Z', seq: Math.floor(n / 3) + 1,
                    prev_hash: last[device] ?? null, payload: { order_id: n, outcome: 'all' } };
    last[device] = await events.eventHash(event);
    recorded.push({ ...event, signature: 'c2lnbmVk' });
}
const envelope = { v: 2, kind: 'events', distribution_id: 7, from: 'd1', events: recorded, positions: { d1: 4 } };
const packed = await transfer.packEnvelope(envelope);
const inflate = new Blob([packed.subarray(4)]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
const wire = JSON.parse(await new Response(inflate).text());
// A wire event without prev_hash whose predecessor does not travel just before it.
const gap = { ...wire, events: wire.events.filter((event) => event.id !== 'e3') };
// A predecessor no hash can be made of (not a whole event): its successor comes back with no prev_hash.
const { schema_version: _version, ...partial } = wire.events[0];
const unhashable = (await transfer.unpackEnvelope(await deflated({ ...wire, events: [partial, wire.events[1]] })));
return {
    unhashable: String(unhashable.events[1].prev_hash),
    wire: wire.events.map((event) => [event.id, 'prev_hash' in event]),
    back: (await transfer.unpackEnvelope(packed)).events,
    recorded,
    gap: await receiveAll(transfer.encodeBytes(await deflated(gap)), 100),
};
"""


def test_the_wire_leaves_out_the_hashes_the_receiver_computes_again(page):
    got = run(page, WIRE)
    # By device, in chain order; only each chain's first event (seq 1, no predecessor) names its prev_hash (null).
    assert got["wire"] == [
        ["e0", True], ["e3", False], ["e6", False], ["e9", False],
        ["e1", True], ["e4", False], ["e7", False], ["e10", False],
        ["e2", True], ["e5", False], ["e8", False], ["e11", False],
    ]  # fmt: skip
    by_id = {event["id"]: event for event in got["recorded"]}
    assert got["back"] == [by_id[event_id] for event_id, _ in got["wire"]]  # every prev_hash as recorded
    assert got["gap"] == {"ok": False, "reason": "malformed"}
    assert got["unhashable"] == "undefined"  # no hash, no exception: exchange.js chainBreak refuses it (broken_chain)
