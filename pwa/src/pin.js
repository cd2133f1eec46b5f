// The short PIN that lets volunteers sharing a phone switch between themselves offline.
// Only a salted PBKDF2-SHA-256 hash (WebCrypto) is kept, next to that volunteer's shift; five wrong PINs lock the
// shift on this phone until its owner signs in again online with their passkey. See docs/devices.md for what a
// PIN does and does not protect against.

export const PIN_PATTERN = /^[0-9]{4,6}$/;
export const MAX_PIN_FAILURES = 5;
const ITERATIONS = 210000; // OWASP's figure for PBKDF2-SHA-256; about 0.1–0.3 s on a cheap phone

function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(pin, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/** `{salt, hash, iterations}` for a new PIN (a fresh random salt each time). */
export async function hashPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(pin, salt, ITERATIONS);
  return { salt: toBase64(salt), hash: toBase64(hash), iterations: ITERATIONS };
}

/** Whether `pin` matches a stored `{salt, hash, iterations}`. */
export async function verifyPin(pin, stored) {
  if (!PIN_PATTERN.test(pin) || !stored) return false;
  const hash = await derive(pin, fromBase64(stored.salt), stored.iterations);
  const expected = fromBase64(stored.hash);
  if (hash.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < hash.length; i += 1) difference |= hash[i] ^ expected[i];
  return difference === 0;
}
