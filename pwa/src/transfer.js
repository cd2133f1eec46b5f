// Phone to phone through the screen and the camera (docs/pwa.md, "Phone to phone"): an envelope (a JSON object) →
// its wire form (an event's `prev_hash` left out when the event before it in the chain travels just before it) →
// UTF-8 JSON → deflate-raw → a magic prefix → a Uniform Resource of type `bytes` (Blockchain Commons, through
// `@ngraveio/bc-ur`) → an endless fountain-coded sequence of QR texts. The receiver takes every text the camera
// decodes, in any order, from any frame, with frames missed, and gives the envelope back once it has enough parts.
//
//   const sender = await encodeTransfer(envelope);   sender.nextFrame() → the next QR text, forever
//   const receiver = new TransferReceiver();         receiver.receive(text) → {state, percent}
//                                                   await receiver.result() → the envelope, or a TransferError
import './node-globals.js';
import { URDecoder, UR, UREncoder } from '@ngraveio/bc-ur';
import { Buffer } from 'buffer';
import { MAX_JSON_BYTES, TransferError, isObject, validateEnvelope } from './envelope.js';
import { chainHash } from './events.js';
import { TEXT_LENGTH as TICKET_LENGTH } from './tickets.js';

export { TransferError, validateEnvelope };

/** Bytes of the message per QR frame: a text of about 850 characters, a version 19–20 QR code at error correction
 * M (93–97 modules), which this Chromium's decoder reads in about 40 ms at 4× CPU slowdown; denser codes (600 bytes:
 * version 23–24) were a little faster to send in the bench but harder for a cheap camera through a screen's glare
 * (docs/pwa.md, "Phone to phone"; docs/performance.md, "Phone to phone"). */
export const FRAGMENT_BYTES = 400;
/** The screen shows a new frame this often. The scanner decodes one frame at a time, at most one every 100 ms
 * (scanner.js): at 8 frames a second it reads most frames once (a 300-event day in 14.5 s against 21 s at 5 a
 * second); at 10 a second half the frames were missed and a transfer took longer (bench). */
export const FRAME_MS = 125;
/** The largest compressed transfer (a 1,000-member pack is about a fifth of it). */
export const MAX_COMPRESSED_BYTES = 512 * 1024;

const MAGIC = new TextEncoder().encode('CPT1'); // before the deflated JSON: a Comptoir transfer, not another `bytes`
const UR_PREFIX = 'ur:bytes/';
const BASE32 = /^[A-Z2-7]+$/;

// Bytes

async function streamThrough(bytes, transform, limit) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new TransferError('too_large');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

// The wire form of an `events` envelope: its events by device, then in chain order; an event's `prev_hash` is the
// hash of the event before it in its device's chain, a third of a day's compressed bytes (random hex), and when that
// event is the one just before it in the list the receiver computes it again, so it is left out. An altered event
// then breaks its successor's signature instead of the successor's link: both are refused (exchange.js
// badSignature, and the server).

const follows = (event, before) =>
  isObject(before) && before.device_id === event.device_id && before.seq === event.seq - 1;

/** The envelope's events in chain order, without the `prev_hash` each one's predecessor in the list gives. */
async function withoutDerivable(unordered) {
  const events = [...unordered].sort((a, b) =>
    a.device_id === b.device_id ? a.seq - b.seq : a.device_id < b.device_id ? -1 : 1,
  );
  // An event that is not whole (no hash can be made of it) keeps its successor's prev_hash on the wire.
  const hashes = await Promise.all(
    events.map((event, i) => (follows(event, events[i - 1]) ? chainHash(events[i - 1]).catch(() => null) : null)),
  );
  return events.map((event, i) => {
    if (hashes[i] === null || event.prev_hash !== hashes[i]) return event;
    const { prev_hash: _prevHash, ...rest } = event;
    return rest;
  });
}

/** The events as recorded: a `prev_hash` left out is the hash of the event before it in the list (one after the
 * other: each depends on the one before, restored first). Left out with no predecessor just before it: `malformed`;
 * after a predecessor no hash can be made of (not an event): no `prev_hash`, which the chain check refuses. */
async function withDerived(events) {
  const restored = [];
  for (const [i, event] of events.entries()) {
    if (!isObject(event) || 'prev_hash' in event) restored.push(event);
    else if (!follows(event, restored[i - 1])) throw new TransferError('malformed', 'prev_hash');
    else restored.push({ ...event, prev_hash: await chainHash(restored[i - 1]).catch(() => undefined) });
  }
  return restored;
}

/** An envelope as the bytes a transfer carries: the magic, then its wire form's JSON deflated. */
export async function packEnvelope(envelope) {
  validateEnvelope(envelope);
  const wire = envelope.kind === 'events' ? { ...envelope, events: await withoutDerivable(envelope.events) } : envelope;
  const json = new TextEncoder().encode(JSON.stringify(wire));
  const deflated = await streamThrough(json, new CompressionStream('deflate-raw'), Infinity);
  if (deflated.length + MAGIC.length > MAX_COMPRESSED_BYTES) throw new TransferError('too_large');
  const bytes = new Uint8Array(MAGIC.length + deflated.length);
  bytes.set(MAGIC);
  bytes.set(deflated, MAGIC.length);
  return bytes;
}

/** The envelope a transfer's bytes carry, checked (throws a TransferError). */
export async function unpackEnvelope(bytes) {
  if (bytes.length < MAGIC.length || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new TransferError('not_transfer');
  }
  if (bytes.length > MAX_COMPRESSED_BYTES) throw new TransferError('too_large');
  let json;
  try {
    json = await streamThrough(bytes.subarray(MAGIC.length), new DecompressionStream('deflate-raw'), MAX_JSON_BYTES);
  } catch (error) {
    if (error instanceof TransferError) throw error;
    throw new TransferError('corrupt', 'does not inflate');
  }
  let envelope;
  try {
    envelope = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw new TransferError('corrupt', 'not JSON');
  }
  if (isObject(envelope) && envelope.kind === 'events' && Array.isArray(envelope.events)) {
    envelope.events = await withDerived(envelope.events);
  }
  validateEnvelope(envelope);
  return envelope;
}

// The QR frames

/**
 * The sender: an envelope's endless sequence of QR texts (upper case, so the QR code uses its alphanumeric mode).
 * @param {object} envelope
 * @returns {Promise<{nextFrame: () => string, parts: number, bytes: number}>} `parts`: how many fragments the
 *   message has (1: the same single-part text every frame); `bytes`: the compressed size
 */
export async function encodeTransfer(envelope, { fragmentBytes = FRAGMENT_BYTES } = {}) {
  return encodeBytes(await packEnvelope(envelope), { fragmentBytes });
}

/** Any bytes as the endless sequence of QR texts (encodeTransfer's second half; tests send altered bytes with it). */
export function encodeBytes(bytes, { fragmentBytes = FRAGMENT_BYTES } = {}) {
  const encoder = new UREncoder(UR.fromBuffer(Buffer.from(bytes)), fragmentBytes, 0, 10);
  return {
    parts: encoder.fragmentsLength,
    bytes: bytes.length,
    nextFrame: () => encoder.nextPart().toUpperCase(),
  };
}

/** Whether a text read by the camera is a member ticket (tickets.js: 119 characters of base32). */
function looksLikeTicket(text) {
  return text.length === TICKET_LENGTH && BASE32.test(text);
}

/**
 * The receiving side. `receive(text)` for every text the camera decodes; it answers `{state, percent, reason?}`:
 * - `reading`: a part was taken (or was one already held); `percent` is the fountain decoder's estimate (0–99);
 * - `complete`: every part is there: `await result()` gives the envelope;
 * - `refused`: the text cannot be part of this transfer: `reason` is `ticket` or `not_transfer` (nothing kept, the
 *   reading goes on), or the transfer as a whole is refused (`corrupt`, `too_large`: `result()` throws it).
 * A misread frame (a bad checksum) is skipped: the fountain code brings its content again in later frames.
 */
export class TransferReceiver {
  constructor() {
    this.decoder = new URDecoder();
    this.parts = 0; // texts taken
    this.skipped = 0; // misread ones
    this.failure = null;
    this.envelope = null;
  }

  get percent() {
    if (this.decoder.isComplete()) return 100;
    return Math.min(99, Math.floor(this.decoder.estimatedPercentComplete() * 100));
  }

  get complete() {
    return this.decoder.isComplete();
  }

  receive(text) {
    const raw = String(text ?? '').trim();
    const lower = raw.toLowerCase();
    if (this.failure) return { state: 'refused', percent: this.percent, reason: this.failure.reason };
    if (!lower.startsWith(UR_PREFIX)) {
      return { state: 'refused', percent: this.percent, reason: looksLikeTicket(raw) ? 'ticket' : 'not_transfer' };
    }
    if (this.decoder.isComplete()) return { state: 'complete', percent: 100 };
    let taken;
    try {
      taken = this.decoder.receivePart(lower);
    } catch {
      this.skipped += 1; // a bad checksum or a cut text: a misread frame
      return { state: 'reading', percent: this.percent };
    }
    if (taken) this.parts += 1;
    if (this.decoder.isError()) {
      this.failure = new TransferError('corrupt', this.decoder.resultError());
      return { state: 'refused', percent: this.percent, reason: 'corrupt' };
    }
    const expected = this.decoder.expectedPartCount();
    // Each part carries a fragment of about its text's length / 2 bytes: refuse a transfer too large at once.
    if (expected * (lower.length / 2) > MAX_COMPRESSED_BYTES * 1.2) {
      this.failure = new TransferError('too_large');
      return { state: 'refused', percent: this.percent, reason: 'too_large' };
    }
    if (this.decoder.isComplete()) return { state: 'complete', percent: 100 };
    return { state: 'reading', percent: this.percent };
  }

  /** The envelope, once complete (throws a TransferError when it is not a valid Comptoir transfer). */
  async result() {
    if (this.failure) throw this.failure;
    if (!this.decoder.isComplete()) throw new TransferError('corrupt', 'incomplete');
    if (!this.envelope) {
      let bytes;
      try {
        bytes = new Uint8Array(this.decoder.resultUR().decodeCBOR());
      } catch {
        throw new TransferError('corrupt', 'not CBOR bytes');
      }
      this.envelope = unpackEnvelope(bytes);
    }
    return this.envelope;
  }
}
