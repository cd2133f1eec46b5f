// What two phones exchange through the screen (transfer.js carries it; docs/pwa.md, "Phone to phone"): the
// envelopes of kind `events` (what this phone holds of a distribution), `wants` (what a receiver already holds) and
// `pack` (the distribution's pack as the server signed it), and what the receiver does with them: store the new
// events as if pulled (sync.js storeReceived), keep the pack if its signature holds (packs.js acceptPeerPack).
import { base64urlnopad } from '@scure/base';
import { TransferError, VERSION } from './envelope.js';
import { importDevicePublicKey } from './device-key.js';
import { chainHash, verifyEventSignature } from './events.js';
import { acceptPeerPack, getPack, packForPeer } from './packs.js';
import { knownEvents } from './projection.js';
import { getDevice } from './store.js';
import { pendingActions, storeReceived } from './sync.js';

/** Per device, the highest `seq` among `events`: `{<device id>: <seq>}`. */
export function positionsOf(events) {
  const positions = {};
  for (const event of events) {
    if (!(event.device_id in positions) || event.seq > positions[event.device_id]) positions[event.device_id] = event.seq;
  }
  return positions;
}

/**
 * The events of `events` a receiver lacks, by its `held` positions: those of a device beyond the seq it holds.
 * @param {object[]} events
 * @param {Object<string, number>} [held] a `wants` envelope's `held`; none: every event
 */
export function lacking(events, held = {}) {
  return events.filter((event) => !(event.device_id in held) || event.seq > held[event.device_id]);
}

async function sender() {
  const device = await getDevice();
  if (!device?.id) throw new Error('not enrolled');
  return { from: String(device.id), ...(device.name ? { from_name: String(device.name).slice(0, 200) } : {}) };
}

/**
 * The `events` envelope this phone shows: every event it holds of the distribution (its own, sent or not, and those
 * it pulled or received from other phones), each as recorded, or only those a receiver lacks (`held`).
 * @param {number} distributionId
 * @param {Object<string, number>} [held]
 */
export async function eventsEnvelope(distributionId, held) {
  // Each with its recording device's signature beside it, when it has one: the receiver can carry it to the server.
  const events = (await knownEvents(distributionId)).map((known) =>
    known.signature ? { ...known.event, signature: known.signature } : known.event,
  );
  return {
    v: VERSION,
    kind: 'events',
    distribution_id: distributionId,
    ...(await sender()),
    events: lacking(events, held),
    positions: positionsOf(events),
  };
}

/**
 * How many of this phone's events of the distribution a phone holding `held` (its envelope's `positions`) lacks:
 * none, and there is nothing to show it.
 * @param {number} distributionId
 * @param {Object<string, number>} held
 */
export async function lackedBy(distributionId, held) {
  return lacking((await knownEvents(distributionId)).map((known) => known.event), held).length;
}

/**
 * The events of an `events` envelope counted as the volunteers recorded them (`pendingActions`: a hand-over and its
 * payments are one action), the count the receiver will say: both phones show the same number.
 */
export function actionsOf(envelope) {
  return pendingActions(envelope.events.map((event) => ({ distributionId: envelope.distribution_id, event })));
}

/** The `wants` envelope: what this phone holds of the distribution, for a sender to send only what it lacks. */
export async function wantsEnvelope(distributionId) {
  const events = (await knownEvents(distributionId)).map((known) => known.event);
  return { v: VERSION, kind: 'wants', distribution_id: distributionId, ...(await sender()), held: positionsOf(events) };
}

/** An event's place in its device's chain for the distribution. */
const place = (event, seq = event.seq) => `${event.device_id}\u0000${seq}`;

/**
 * Check each device's hash chain across what a transfer brings and what this phone holds (docs/sync-protocol.md,
 * "Hash chain"): every event whose predecessor (same device, seq − 1) is known must name that predecessor's hash as
 * `prev_hash` (received events, and held ones that follow a received one); a seq 1 names none; two different events
 * in one place are a fork. An event altered on the way breaks the link to its successor, sent or held; the last one
 * of a chain only its signature covers, which the server checks when the event reaches it (store and forward).
 * @param {object[]} events received
 * @param {object[]} held this phone's events of the distribution
 * @returns {Promise<object|null>} the first event whose link is broken, or null
 */
export async function chainBreak(events, held = []) {
  const byPlace = new Map();
  for (const event of held) byPlace.set(place(event), event);
  for (const event of events) {
    const there = byPlace.get(place(event));
    if (there && there.id !== event.id) return event; // a fork: another event at the same place
    byPlace.set(place(event), event);
  }
  const received = new Set(events.map((event) => event.id));
  for (const event of byPlace.values()) {
    if (event.seq <= 1) {
      if (received.has(event.id) && event.prev_hash !== null) return event;
      continue;
    }
    const previous = byPlace.get(place(event, event.seq - 1));
    if (!previous) continue; // not held here nor sent: nothing to check it against yet
    if (!received.has(event.id) && !received.has(previous.id)) continue; // held links: checked when they came
    let hash;
    try {
      hash = await chainHash(previous);
    } catch {
      return previous; // not an event this phone can read
    }
    if (hash !== event.prev_hash) return event;
  }
  return null;
}

/**
 * Check the signatures of received events with the keys of the distribution's pack (docs/packs.md, "Devices"): an
 * event recorded by a device the pack lists must carry that device's signature, and it must hold over the event as
 * recorded. An event of a device the pack does not list (enrolled after the pack was downloaded, or before it had a
 * key) is not checked here: the server checks it when it arrives (store and forward).
 * @param {object[]} events received, each with its `signature` beside it
 * @param {Array<{id: string, public_key: string}>} [devices] the pack's `devices`
 * @returns {Promise<object|null>} the first event whose signature is missing or does not hold, or null
 */
export async function badSignature(events, devices = []) {
  const listed = new Map(devices.map((device) => [device.id, device.public_key]));
  const keys = new Map(); // device id → Promise<CryptoKey|null>, each imported once
  for (const event of events) {
    if (!listed.has(event.device_id)) continue;
    const { signature, ...recorded } = event;
    if (typeof signature !== 'string') return event;
    if (!keys.has(event.device_id)) keys.set(event.device_id, importDevicePublicKey(listed.get(event.device_id)));
    const key = await keys.get(event.device_id);
    if (!key || !(await verifyEventSignature(key, recorded, signature))) return event;
  }
  return null;
}

/**
 * Take an `events` envelope: check the chains (a broken one: TransferError `broken_chain`) and the signatures of the
 * devices the distribution's pack lists (one missing or not holding: TransferError `bad_signature`), nothing stored
 * when either fails; then store the events this phone lacks, as if pulled.
 * @returns {Promise<{events: number, actions: number}>} the new events, and the same counted as the volunteer
 *   recorded them (a hand-over and its payments: one action)
 */
export async function acceptEvents(envelope) {
  const held = (await knownEvents(envelope.distribution_id)).map((known) => known.event);
  if (await chainBreak(envelope.events, held)) throw new TransferError('broken_chain');
  const pack = (await getPack(envelope.distribution_id))?.pack;
  if (await badSignature(envelope.events, pack?.devices ?? [])) throw new TransferError('bad_signature');
  const fresh = await storeReceived(envelope.distribution_id, envelope.events, envelope.from);
  const actions = pendingActions(fresh.map((event) => ({ distributionId: envelope.distribution_id, event })));
  return { events: fresh.length, actions };
}

/**
 * The `pack` envelope: the distribution's pack as this phone holds it, its exact bytes (base64url) and the server's
 * signature, for a phone that does not have it; null when this phone holds no signed pack of it.
 * @param {number} distributionId
 */
export async function peerPackEnvelope(distributionId) {
  const peer = await packForPeer(distributionId);
  if (!peer) return null;
  return {
    v: VERSION,
    kind: 'pack',
    distribution_id: distributionId,
    ...(await sender()),
    bytes: base64urlnopad.encode(peer.bytes),
    signature: peer.signature,
  };
}

/**
 * Take a `pack` envelope: its bytes, then packs.js `acceptPeerPack` (the server's signature with this phone's trust
 * keys, a point it is enrolled for, not older than its own). The signed pack says which distribution it is; the
 * envelope's `distribution_id` is only a label. Bytes that are no base64url: TransferError `malformed`; a pack
 * refused: its PackRefused (translated message).
 * @returns {Promise<{changed: boolean, record: object}>}
 */
export async function acceptPackEnvelope(envelope) {
  let bytes;
  try {
    bytes = base64urlnopad.decode(envelope.bytes);
  } catch {
    throw new TransferError('malformed', 'pack bytes');
  }
  return acceptPeerPack(bytes, envelope.signature);
}
