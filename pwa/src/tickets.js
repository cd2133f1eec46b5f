// Member tickets, verified offline with WebCrypto Ed25519 against the pack's public keys and revocation list.
// The format is docs/tickets.md; the Python twin is sync/tickets.py; both pass sync/vectors/tickets.json.
import { base32nopad } from '@scure/base';

export const FORMAT_VERSION = 1;
export const TEXT_LENGTH = 119;
const PAYLOAD_SIZE = 10;
const TICKET_SIZE = 74;
const CONTEXT = new TextEncoder().encode('comptoir-ticket\0');
const BASE32 = /^[A-Z2-7]+$/;
const EPOCH_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86400000;

function base64ToBytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Import the pack's public keys: `{ "1": "<raw key, base64>" }` → Map(keyId → CryptoKey). */
export async function importPublicKeys(rawByKeyId) {
  const keys = new Map();
  for (const [keyId, raw] of Object.entries(rawByKeyId)) {
    const key = await crypto.subtle.importKey('raw', base64ToBytes(raw), { name: 'Ed25519' }, false, ['verify']);
    keys.set(Number(keyId), key);
  }
  return keys;
}

function decode(text) {
  // Only space, tab, CR and LF around the text, as sync/tickets.py (String.trim would also drop U+FEFF).
  const clean = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '').toUpperCase();
  if (!clean || !BASE32.test(clean)) return { reason: 'malformed' };
  if (clean.length < TEXT_LENGTH) return { reason: 'truncated' };
  if (clean.length > TEXT_LENGTH) return { reason: 'too_long' };
  try {
    const bytes = base32nopad.decode(clean);
    // One text per ticket: the spare bits of the last character must be zero (re-encoding gives the same text).
    if (bytes.length !== TICKET_SIZE || base32nopad.encode(bytes) !== clean) return { reason: 'malformed' };
    return { bytes };
  } catch {
    return { reason: 'malformed' };
  }
}

/**
 * Verify a ticket's text. Returns `{ ok: true, ticket: { keyId, memberId, serial, issuedOn } }` or
 * `{ ok: false, reason }` with a reason from docs/tickets.md. `minSerials` maps member id → lowest valid serial.
 */
export async function verifyTicket(text, publicKeys, minSerials = {}) {
  const decoded = decode(String(text));
  if (!decoded.bytes) return { ok: false, reason: decoded.reason };
  const bytes = decoded.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== FORMAT_VERSION) return { ok: false, reason: 'unsupported_version' };
  const keyId = view.getUint8(1);
  const key = publicKeys.get(keyId);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const payload = bytes.subarray(0, PAYLOAD_SIZE);
  const signed = new Uint8Array(CONTEXT.length + PAYLOAD_SIZE);
  signed.set(CONTEXT);
  signed.set(payload, CONTEXT.length);
  const genuine = await crypto.subtle.verify('Ed25519', key, bytes.subarray(PAYLOAD_SIZE), signed);
  if (!genuine) return { ok: false, reason: 'bad_signature' };
  const memberId = view.getUint32(2);
  const serial = view.getUint16(6);
  const minimum = minSerials instanceof Map ? minSerials.get(memberId) : minSerials[memberId];
  if (serial < (minimum ?? 0)) return { ok: false, reason: 'revoked' };
  const issuedOn = new Date(EPOCH_MS + view.getUint16(8) * DAY_MS).toISOString().slice(0, 10);
  return { ok: true, ticket: { keyId, memberId, serial, issuedOn } };
}
