// Events: what the phone records at the point, built and hashed exactly as the server reads them.
//
// The rules are docs/sync-protocol.md ("Event envelope", "Event types", "Hash chain"); the Python twins are
// sync/events.py (the fields and their defaults) and sync/chain.py (the canonical encoding and the hash). Both are
// held to the same vectors, sync/vectors/events.json (tests/browser/test_pwa_data.py runs them here).
//
// `record()` and `recordMany()` are the only ways the screens write events: they write the events to the outbox and
// advance the distribution's hash chain in one IndexedDB transaction, and resolve only once that transaction
// committed, so the screen may say "recorded" when they resolve and not before. One confirmation on screen (a
// hand-over and its payments) is one `recordMany()`: all of it is recorded, or nothing.
import { base64urlnopad } from '@scure/base';
import { currentDeviceKey, signText } from './device-key.js';
import { database, dataChanged, getCurrentShift, getDevice } from './store.js';

export const SCHEMA_VERSION = 1;

/**
 * Each payload's fields: those it must have, and the optional ones with the default the server fills in (pydantic's
 * defaults in sync/events.py). The canonical encoding always writes every field, so a default missing here would
 * give another hash than the server's: the vectors cover every type with every optional field left out.
 */
const PAYLOADS = {
  handover: {
    required: ['order_id', 'outcome'],
    defaults: { lines: () => [], substitution_note: null },
    // The grams weighed of lines sold by weight (sync.events.Handover `weighed`) and the lines given as another
    // product (`substituted`): left out when empty, so a hand-over recorded before the fields existed keeps its hash.
    omitted: { weighed: [], substituted: [] },
  },
  payment: {
    required: ['amount_cents', 'method'],
    defaults: {
      order_id: null,
      household_id: null,
      method_details: null,
      from_prepaid_cents: 0,
      from_allowance_cents: 0,
      solidarity_cents: 0,
    },
    // Written only when it is not the default (sync.events.Payment `purpose`): 'order' is left out, so an event
    // recorded before the field existed keeps its hash. 'membership' (the yearly fee) or 'contribution' (SSA).
    // `payee_producer_id` (the producer a cheque is made out to) likewise: written only when a cheque names one.
    omitted: { purpose: 'order', payee_producer_id: null },
  },
  void: { required: ['event_id'], defaults: { reason: '' } },
  cash_count: { required: ['kind', 'total_cents'], defaults: { denominations: null } },
  scan_refused: { required: ['reason'], defaults: { member_id: null } },
  note: { required: ['text'], defaults: {} },
  conflict_resolved: { required: ['conflict_key', 'action', 'comment'], defaults: { event_id: null } },
  top_up: { required: ['household_id', 'amount_cents', 'method'], defaults: { method_details: null, account: 'prepaid' } },
  // Extras sold at the point (docs/extras.md): no household for an anonymous buyer, who pays the full price (100).
  sale: {
    required: ['lines', 'amount_cents', 'method'],
    defaults: {
      household_id: null,
      share_percent: 100,
      method_details: null,
      from_prepaid_cents: 0,
      from_allowance_cents: 0,
    },
    // A cheque's payee, as a payment's: written only when a cheque names one.
    omitted: { payee_producer_id: null },
  },
  // A product delivered short for the whole distribution (sync.events.Shortage): `delivered` 0 is none at all.
  shortage: { required: ['product_id'], defaults: { delivered: 0 } },
  // A product replaced by another for the whole distribution, at the substitute's full price (sync.events.Substitution).
  substitution: { required: ['product_id', 'by_product_id', 'unit_price_cents'], defaults: {} },
};

/** Every event type (sync.events.EVENT_TYPES). */
export const EVENT_TYPES = Object.freeze(Object.keys(PAYLOADS));
/** What a phone may record: `conflict_resolved` is written by the server only. */
export const DEVICE_EVENT_TYPES = Object.freeze(EVENT_TYPES.filter((type) => type !== 'conflict_resolved'));

const ENVELOPE = [
  'id',
  'type',
  'schema_version',
  'device_id',
  'volunteer_id',
  'distribution_id',
  'device_time',
  'seq',
  'prev_hash',
  'payload',
];

/**
 * A UUID version 7 (RFC 9562), as sync.events.new_event_id makes them: 48 bits of Unix time in milliseconds, the
 * version, 12 random bits, the variant, 62 random bits. The time prefix keeps ids roughly in recording order; the
 * 74 random bits make two phones' ids distinct without asking anyone.
 * @param {number} [unixMs] the time (Date.now() by default)
 * @param {Uint8Array} [random] 10 random bytes (crypto.getRandomValues by default)
 * @returns {string} lower-case canonical form
 */
export function uuidv7(unixMs = Date.now(), random = crypto.getRandomValues(new Uint8Array(10))) {
  const bytes = new Uint8Array(16);
  bytes.set(random.subarray(0, 10), 6);
  let ms = Math.floor(unixMs);
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The one written form of a time: UTC, milliseconds, `Z` (sync.events.format_time). */
export function formatTime(value) {
  return new Date(value).toISOString();
}

function clone(value) {
  return typeof value === 'function' ? value() : value;
}

/**
 * The event with every field the server fills in: the payload's defaults for the fields left out, `device_time`
 * in its one written form. Throws a TypeError for an unknown type, a missing or unknown field: an app bug, better
 * found when recording than when the server refuses the event hours later.
 * @param {object} event
 * @returns {object} a new object (the argument is not changed)
 */
export function withDefaults(event) {
  const spec = PAYLOADS[event?.type];
  if (!spec) throw new TypeError(`unknown event type: ${event?.type}`);
  for (const field of ENVELOPE) {
    if (event[field] === undefined) throw new TypeError(`event field missing: ${field}`);
  }
  const unknown = Object.keys(event).filter((field) => !ENVELOPE.includes(field));
  if (unknown.length) throw new TypeError(`unknown event fields: ${unknown.join(', ')}`);
  const payload = { ...event.payload };
  for (const field of spec.required) {
    if (payload[field] === undefined) throw new TypeError(`${event.type} payload field missing: ${field}`);
  }
  for (const [field, value] of Object.entries(spec.defaults)) {
    if (payload[field] === undefined) payload[field] = clone(value);
  }
  for (const [field, value] of Object.entries(spec.omitted ?? {})) {
    const empty = Array.isArray(value) && Array.isArray(payload[field]) && payload[field].length === 0;
    if (payload[field] === value || empty) delete payload[field];
  }
  const known = [...spec.required, ...Object.keys(spec.defaults), ...Object.keys(spec.omitted ?? {})];
  const extra = Object.keys(payload).filter((field) => !known.includes(field));
  if (extra.length) throw new TypeError(`unknown ${event.type} payload fields: ${extra.join(', ')}`);
  return { ...event, device_time: formatTime(event.device_time), payload };
}

/** Compare strings by Unicode code point, as Python's sorted() does (plain `<` compares UTF-16 code units). */
function byCodePoint(a, b) {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const difference = left[i].codePointAt(0) - right[i].codePointAt(0);
    if (difference) return difference;
  }
  return left.length - right.length;
}

function encode(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // Events hold integers only (cents, ids, quantities): a float would be written differently by Python.
    if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (typeof value === 'object') {
    // Sorted explicitly: JSON.stringify would put integer-like keys ("200", "5") first, in numeric order.
    const keys = Object.keys(value).sort(byCodePoint);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${encode(value[key])}`).join(',')}}`;
  }
  throw new TypeError(`not allowed in an event: ${typeof value}`);
}

/**
 * The canonical encoding of an event (sync.chain.canonical_json), as a string: every field with defaults filled
 * in, object keys sorted by code point at every level, no white space, non-ASCII characters as themselves.
 * @param {object} event
 * @returns {string}
 */
export function canonicalJson(event) {
  return encode(withDefaults(event));
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The event's hash (sync.chain.event_hash): SHA-256 of the UTF-8 canonical encoding, 64 lower-case hex digits.
 * @param {object} event
 * @returns {Promise<string>}
 */
export async function eventHash(event) {
  return sha256Hex(canonicalJson(event));
}

/**
 * The hash the next event of a chain names as `prev_hash`: `eventHash` of the event as recorded, its `signature`
 * (which travels beside it, in a transfer or a received event) left out.
 * @param {object} event
 * @returns {Promise<string>}
 */
export function chainHash(event) {
  const { signature: _signature, ...recorded } = event;
  return eventHash(recorded);
}

/**
 * The device's signature of an event (sync.signatures.sign): Ed25519 over its canonical encoding, the very text
 * that is hashed, base64url. The signature is no field of the event: it travels beside it.
 * @param {CryptoKey} privateKey
 * @param {object} event
 * @returns {Promise<string>}
 */
export async function signEvent(privateKey, event) {
  return signText(privateKey, canonicalJson(event));
}

/**
 * Whether `signature` (base64url) is the Ed25519 signature of `event` (as recorded, without its signature) by the
 * device whose public key is `publicKey` (device-key.js `importDevicePublicKey`): sync.signatures.verify's twin, over
 * the same canonical encoding `signEvent` signs. False for a signature that cannot be read.
 * @param {CryptoKey} publicKey
 * @param {object} event
 * @param {string} signature
 * @returns {Promise<boolean>}
 */
export async function verifyEventSignature(publicKey, event, signature) {
  let raw;
  try {
    raw = base64urlnopad.decode(signature);
  } catch {
    return false;
  }
  if (raw.length !== 64) return false;
  return crypto.subtle.verify('Ed25519', publicKey, raw, new TextEncoder().encode(canonicalJson(event)));
}

function sameChain(a, b) {
  return (a?.seq ?? 0) === (b?.seq ?? 0) && (a?.prevHash ?? null) === (b?.prevHash ?? null);
}

async function whoRecords(context) {
  if (!Number.isSafeInteger(context?.distributionId) || context.distributionId < 1) {
    throw new TypeError('record() needs context.distributionId');
  }
  const deviceId = context.deviceId ?? (await getDevice())?.id;
  if (!deviceId) throw new Error('this phone is not enrolled');
  const volunteerId = context.volunteerId ?? (await getCurrentShift())?.user?.id;
  if (!volunteerId) throw new Error('no volunteer is signed in on this phone');
  return { deviceId, volunteerId, distributionId: context.distributionId };
}

const MAX_ATTEMPTS = 20;
let queue = Promise.resolve();

/**
 * `value` with every NUL character (U+0000) removed from its strings, at any depth (object keys included). The
 * server refuses an event holding one (its database cannot store it), and nobody types one on purpose: a NUL
 * pasted into a note or a cheque number is dropped here, so the phone never records an event the server would
 * refuse for it.
 * @param {unknown} value
 * @returns {unknown} a copy (strings, arrays and plain objects), or the value itself
 */
export function withoutNul(value) {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [withoutNul(key), withoutNul(item)]));
  }
  return value;
}

/**
 * Record an event: the next of this phone's chain for the distribution. Writes the event to the outbox and the
 * chain's new end (`chains`) in ONE IndexedDB transaction with nothing else awaited inside it, and resolves only
 * after it committed: when this resolves the event survives a closed browser; when it rejects nothing was written.
 * `record(type, payload, context)` is `recordMany([{type, payload}], context)`.
 *
 * The volunteer's shift is not checked here: an event recorded is a fact. The server refuses (visibly, see
 * sync.js) an event no shift covered.
 *
 * @param {string} type one of DEVICE_EVENT_TYPES
 * @param {object} payload the payload; optional fields may be left out (the server fills the same defaults); a
 *   NUL character in its strings is removed (`withoutNul`)
 * @param {{distributionId: number, volunteerId?: number, deviceId?: string}} context the distribution; the
 *   volunteer defaults to the current shift's user, the device to the enrolled device
 * @returns {Promise<{event: object, hash: string}>} the event as stored and as it will be uploaded (defaults
 *   filled in), and its hash (the next event's `prev_hash`)
 */
export async function record(type, payload, context) {
  const [recorded] = await recordMany([{ type, payload }], context);
  return recorded;
}

/**
 * Record what one confirmation says (a hand-over and its payments, an undo's voids) as consecutive events of this
 * phone's chain, all or nothing: every outbox entry, the chain's new end and the recording counter are written in
 * ONE IndexedDB transaction, so a failure half-way (a full disk, a broken store) leaves nothing of it behind, and
 * the promise resolves only once that transaction committed.
 *
 * The hashes need WebCrypto (asynchronous, which would end an IndexedDB transaction), so the whole batch is built
 * and hashed first, from the chain's end as read then (seq n+1, n+2…, each `prev_hash` the hash of the one before);
 * the transaction checks that end has not moved (another tab, the service worker) and otherwise starts again.
 * Records in one page are also queued one after the other.
 *
 * @param {Array<{type: string, payload: object}>} items at least one, in the order they happened
 * @param {{distributionId: number, volunteerId?: number, deviceId?: string}} context as for `record`
 * @returns {Promise<Array<{event: object, hash: string, signature?: string}>>} each event as stored, with its hash
 *   (and the device's signature, when the phone has a key), in `items`' order
 */
export function recordMany(items, context) {
  const run = queue.then(() => recordNow(items, context));
  queue = run.catch(() => {});
  return run;
}

async function recordNow(items, context) {
  if (!Array.isArray(items) || !items.length) throw new TypeError('recordMany() needs at least one event');
  for (const { type } of items) {
    if (!DEVICE_EVENT_TYPES.includes(type)) throw new TypeError(`a phone cannot record a ${type} event`);
  }
  const payloads = items.map((item) => withoutNul(item.payload));
  const who = await whoRecords(context);
  const key = await currentDeviceKey();
  const signer = key?.deviceId === who.deviceId ? key.keyPair.privateKey : null;
  const db = await database();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    let chain = await db.get('chains', who.distributionId);
    // A chain belongs to one device: after a new enrolment (a new device id) the distribution's chain starts again.
    if (chain && chain.deviceId !== who.deviceId) chain = undefined;
    const now = Date.now();
    const recorded = [];
    let seq = chain?.seq ?? 0;
    let prevHash = chain?.prevHash ?? null;
    for (const [i, item] of items.entries()) {
      seq += 1;
      const event = withDefaults({
        id: uuidv7(now),
        type: item.type,
        schema_version: SCHEMA_VERSION,
        device_id: who.deviceId,
        volunteer_id: who.volunteerId,
        distribution_id: who.distributionId,
        device_time: formatTime(now),
        seq,
        prev_hash: prevHash,
        payload: payloads[i],
      });
      prevHash = await eventHash(event);
      // Signed as it is recorded (docs/sync-protocol.md, "Device signatures and store-and-forward").
      const signature = signer ? await signEvent(signer, event) : undefined;
      recorded.push(signature ? { event, hash: prevHash, signature } : { event, hash: prevHash });
    }

    const tx = db.transaction(['outbox', 'chains', 'meta'], 'readwrite');
    const chains = tx.objectStore('chains');
    let current = await chains.get(who.distributionId);
    if (current && current.deviceId !== who.deviceId) current = undefined;
    if (!sameChain(current, chain)) {
      tx.abort();
      await tx.done.catch(() => {});
      continue;
    }
    const meta = tx.objectStore('meta');
    const counter = (await meta.get('outboxCounter')) ?? 0;
    const outbox = tx.objectStore('outbox');
    // Every request is made before any is awaited; the first that fails aborts the transaction, and with it the
    // writes made before it.
    await Promise.all([
      ...recorded.map(({ event, hash, signature }, i) =>
        outbox.add({
          id: event.id,
          distributionId: who.distributionId,
          order: counter + i + 1,
          event,
          hash,
          ...(signature ? { signature } : {}),
          recordedAt: event.device_time,
        }),
      ),
      chains.put({ seq, prevHash, deviceId: who.deviceId }, who.distributionId),
      meta.put(counter + recorded.length, 'outboxCounter'),
      tx.done,
    ]);
    dataChanged('recorded', who.distributionId);
    return recorded;
  }
  throw new Error('could not record: the chain kept changing');
}
