// The server's signature on a pack, checked with the network's public keys alone (the phone's trust data), so a
// pack handed over by another phone is trusted like one downloaded. The format is docs/packs.md, "Signature"; the
// Python twin is sync/pack_signature.py; both pass sync/vectors/packs.json.
import { base64urlnopad } from '@scure/base';

export const HEADER = 'Comptoir-Pack-Signature';
const CONTEXT = new TextEncoder().encode('comptoir-pack\0');
const SHAPE = /^([1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{86})$/;

/**
 * Read a signature header: `{ keyId, signedAt, signature }` (signedAt: the server's Unix time in seconds), or null
 * when it is not of the right shape.
 * @param {string|null|undefined} text
 */
export function parseSignature(text) {
  const match = SHAPE.exec(String(text ?? '').replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!match || Number(match[1]) > 255) return null;
  let signature;
  try {
    signature = base64urlnopad.decode(match[3]);
  } catch {
    return null; // spare bits set: one text per signature
  }
  if (signature.length !== 64 || base64urlnopad.encode(signature) !== match[3]) return null;
  return { keyId: Number(match[1]), signedAt: Number(match[2]), signature };
}

/** What the signature covers: the context, the time (8 bytes, big-endian), the pack's canonical bytes. */
export function signedBytes(body, signedAt) {
  const signed = new Uint8Array(CONTEXT.length + 8 + body.length);
  signed.set(CONTEXT);
  new DataView(signed.buffer).setBigUint64(CONTEXT.length, BigInt(signedAt));
  signed.set(body, CONTEXT.length + 8);
  return signed;
}

/**
 * Check a pack's signature. `publicKeys`: Map(key id → CryptoKey), as tickets.js `importPublicKeys` makes them from
 * the trust data. Returns `{ ok: true, keyId, signedAt }` or `{ ok: false, reason }` with a reason of
 * sync/pack_signature.py (`malformed`, `unknown_key`, `bad_signature`).
 * @param {Uint8Array} body the pack's bytes
 * @param {string} header the signature, as the header carries it
 * @param {Map<number, CryptoKey>} publicKeys
 */
export async function verifyPackSignature(body, header, publicKeys) {
  const parsed = parseSignature(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const key = publicKeys.get(parsed.keyId);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const genuine = await crypto.subtle.verify('Ed25519', key, parsed.signature, signedBytes(body, parsed.signedAt));
  if (!genuine) return { ok: false, reason: 'bad_signature' };
  return { ok: true, keyId: parsed.keyId, signedAt: parsed.signedAt };
}
