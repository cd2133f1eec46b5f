// The phone's own signing key (docs/devices.md, "Device key"; docs/sync-protocol.md, "Device signatures and
// store-and-forward"). An Ed25519 key pair made with WebCrypto at enrolment, its private half non-extractable, kept
// in IndexedDB (store.js, meta `deviceKey`); the server keeps the public half. Every event the phone records is
// signed over its canonical bytes (events.js), so any other phone can carry it to the server.
//
// A phone enrolled before device keys existed makes its key at its next sync and registers it once
// (`POST /api/device/key`) before it uploads. Until the server has the key, the phone's events go up unsigned, as
// before: the server takes them from this phone itself, only not from another one.
import { base64urlnopad } from '@scure/base';
import { ApiError, call } from './api.js';
import { claimDeviceKey, getDevice, getDeviceKey, setDeviceKey } from './store.js';

/** base64url without padding, as the server writes keys and signatures (sync/signatures.py). */
export function base64url(bytes) {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * Another device's public key, as a pack lists it (base64url, raw 32 bytes), ready to verify its events' signatures
 * (events.js `verifyEventSignature`); null when it is no Ed25519 key this browser can read.
 * @param {string} publicKey
 * @returns {Promise<CryptoKey|null>}
 */
export async function importDevicePublicKey(publicKey) {
  try {
    return await crypto.subtle.importKey('raw', base64urlnopad.decode(publicKey), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
}

/**
 * A new key pair for the device `deviceId`: the private key cannot be exported, only used to sign.
 * @param {string|null} deviceId the device it belongs to (null before enrolment gives the id)
 * @returns {Promise<{deviceId: string|null, keyPair: CryptoKeyPair, publicKey: string, registered: boolean}>}
 */
export async function makeDeviceKey(deviceId = null) {
  const keyPair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicKey = base64url(await crypto.subtle.exportKey('raw', keyPair.publicKey));
  return { deviceId, keyPair, publicKey, registered: false };
}

/**
 * The Ed25519 signature of a text (an event's canonical encoding), base64url.
 * @param {CryptoKey} privateKey
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function signText(privateKey, text) {
  return base64url(await crypto.subtle.sign('Ed25519', privateKey, new TextEncoder().encode(text)));
}

/**
 * This device's key, made now if the phone has none (enrolled before keys existed); null where the browser has no
 * Ed25519 (the phone then records unsigned events, as before).
 * @returns {Promise<object|null>}
 */
export async function currentDeviceKey() {
  const device = await getDevice();
  if (!device?.id) return null;
  const kept = await getDeviceKey();
  if (kept?.deviceId === device.id) return kept;
  let made;
  try {
    made = await makeDeviceKey(device.id);
  } catch {
    return null; // no Ed25519 in this browser
  }
  return claimDeviceKey(made); // another tab may have made one meanwhile: one key wins, everywhere
}

/**
 * Before an upload: make sure the server has this phone's key (once). Returns whether it has it, so that the
 * upload signs its events only then. A refusal other than no answer (e.g. `device_key_registered`) is noted on the
 * key and not retried by itself; no answer throws a NetworkError, as any call.
 * @returns {Promise<boolean>}
 */
export async function ensureKeyRegistered() {
  const key = await currentDeviceKey();
  if (!key) return false;
  if (key.registered) return true;
  if (key.refused) return false;
  try {
    await call('POST', '/api/device/key', { body: { public_key: key.publicKey } });
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      await setDeviceKey({ ...key, refused: error.reason });
      return false;
    }
    throw error;
  }
  await setDeviceKey({ ...key, registered: true });
  return true;
}
