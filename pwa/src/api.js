// Calls to the device API. Every call carries the device credential (`Authorization: Device …`), the number of
// events in the outbox (`X-Comptoir-Pending`: the server can tell a phone holding unsynced events that then goes
// silent) and, for a volunteer's calls, their shift token (`X-Comptoir-Shift`); never cookies. A refusal is an
// ApiError with the server's stable `reason`; no answer at all (offline, cut connection) is a NetworkError.
import { makeDeviceKey } from './device-key.js';
import * as store from './store.js';

export const SHIFT_HEADER = 'X-Comptoir-Shift';
export const PENDING_HEADER = 'X-Comptoir-Pending';
const ROTATE_HEADER = 'X-Comptoir-Rotate';

export class ApiError extends Error {
  constructor(status, reason, message) {
    super(message || reason);
    this.status = status;
    this.reason = reason;
  }
}

export class NetworkError extends Error {}

const listeners = { revoked: [] };

/** Run `callback(error)` whenever the server answers that this device is revoked. */
export function onRevoked(callback) {
  listeners.revoked.push(callback);
}

/**
 * One request to the API, without judging the answer: `{status, ok, headers, data, text}` whatever the HTTP status
 * (`data` is the decoded JSON body, or null for none, such as a 304; `text` the body as it came, which a pack's
 * signature covers). For the callers that read more than the body
 * of a success: the ETag and 304 of a pack (packs.js), the per-event results of a 422 upload (sync.js). A
 * NetworkError when no answer came at all, or none within `timeoutMs` (a request hanging on a poor network would
 * otherwise hold the sync lock for minutes; the server commits before it answers, so a retry is safe). `body` is
 * sent as JSON; `rawBody` as it is (with `headers` saying what it is, e.g. gzipped JSON).
 * @param {string} method
 * @param {string} path
 * @param {{body?: any, rawBody?: BodyInit, shift?: {token: string}, headers?: Record<string, string>,
 *   timeoutMs?: number}} [options]
 * @returns {Promise<{status: number, ok: boolean, headers: Headers, data: any, text: string}>}
 */
export async function send(method, path, { body, rawBody, shift, headers: extra, timeoutMs } = {}) {
  // Two requests on the open database, side by side; a count that fails (storage trouble) leaves the header out.
  const [device, pending] = await Promise.all([store.getDevice(), store.outboxCount().catch(() => null)]);
  const headers = { Accept: 'application/json', ...extra };
  // The server's words (an error's message) in the app's language, not the browser's (the worker has no document).
  if (globalThis.document?.documentElement.lang) headers['Accept-Language'] = document.documentElement.lang;
  if (device?.credential) headers.Authorization = `Device ${device.credential}`;
  if (device && Number.isInteger(pending)) headers[PENDING_HEADER] = String(pending);
  if (shift) headers[SHIFT_HEADER] = shift.token;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (timeoutMs && typeof AbortSignal.timeout === 'function') init.signal = AbortSignal.timeout(timeoutMs);
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (rawBody !== undefined) {
    init.body = rawBody;
  }
  let response;
  let data = null;
  let text = '';
  try {
    response = await fetch(path, init);
    if (response.headers.get(ROTATE_HEADER) === 'true') rotateCredential().catch(() => {});
    text = await response.text(); // a connection cut while the body arrives is a NetworkError too
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's error page): the status says what happened
    }
  } catch (error) {
    throw new NetworkError(error.message);
  }
  if (response.status === 403 && data?.error?.reason === 'device_revoked') {
    const refused = new ApiError(403, 'device_revoked', data.error.message);
    for (const callback of listeners.revoked) callback(refused);
  }
  return { status: response.status, ok: response.ok, headers: response.headers, data, text };
}

/** The refusal of an answer `send` gave, as an ApiError with the server's stable reason (`http_<status>` if none). */
export function refusal(answer) {
  const error = answer.data?.error ?? {};
  return new ApiError(answer.status, error.reason || `http_${answer.status}`, error.message);
}

export async function call(method, path, { body, shift } = {}) {
  const answer = await send(method, path, { body, shift });
  if (!answer.ok) throw refusal(answer);
  return answer.data;
}

/**
 * Enrol this phone with the one-time token of the enrolment link; keeps the credential in IndexedDB. The phone makes
 * its signing key first (device-key.js) and registers its public half in the same request.
 */
export async function enrol(token) {
  let key = null;
  try {
    key = await makeDeviceKey();
  } catch {
    // no Ed25519 in this browser: enrolled without a key, its events unsigned (they cannot be relayed)
  }
  const body = key ? { token, public_key: key.publicKey } : { token };
  const data = await call('POST', '/api/devices/enrol', { body });
  const device = { ...data.device, credential: data.credential, enrolledAt: new Date().toISOString() };
  const registered = Boolean(key) && data.device.public_key === key.publicKey;
  await store.saveEnrolment(device, key && { ...key, deviceId: device.id, registered });
  return device;
}

let rotating = null;

/** Get a new device credential. The old one stays valid on the server until the new one is first used, so an
 * answer lost on a cut connection changes nothing; one rotation at a time across tabs (Web Locks). */
export function rotateCredential() {
  const run = async () => {
    const data = await call('POST', '/api/device/rotate', { body: {} });
    await store.updateDevice({ credential: data.credential, credentialIssuedAt: data.credential_issued_at });
  };
  if (!rotating) {
    const locked = navigator.locks
      ? navigator.locks.request('comptoir-rotate', { ifAvailable: true }, (lock) => (lock ? run() : null))
      : run();
    rotating = locked.finally(() => {
      rotating = null;
    });
  }
  return rotating;
}
