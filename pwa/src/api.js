// Calls to the device API. Every call carries the device credential (`Authorization: Device …`) and, for a
// volunteer's calls, their shift token (`X-Comptoir-Shift`); never cookies. A refusal is an ApiError with the
// server's stable `reason`; no answer at all (offline, cut connection) is a NetworkError.
import * as store from './store.js';

export const SHIFT_HEADER = 'X-Comptoir-Shift';
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

export async function call(method, path, { body, shift } = {}) {
  const device = await store.getDevice();
  const headers = { Accept: 'application/json' };
  if (device?.credential) headers.Authorization = `Device ${device.credential}`;
  if (shift) headers[SHIFT_HEADER] = shift.token;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new NetworkError(error.message);
  }
  if (response.headers.get(ROTATE_HEADER) === 'true') rotateCredential().catch(() => {});
  let data = null;
  try {
    data = await response.json();
  } catch {
    // not JSON (a proxy's error page): handled below by the status
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    const refused = new ApiError(response.status, error.reason || `http_${response.status}`, error.message);
    if (refused.reason === 'device_revoked') for (const callback of listeners.revoked) callback(refused);
    throw refused;
  }
  return data;
}

/** Enrol this phone with the one-time token of the enrolment link; keeps the credential in IndexedDB. */
export async function enrol(token) {
  const data = await call('POST', '/api/devices/enrol', { body: { token } });
  const device = { ...data.device, credential: data.credential, enrolledAt: new Date().toISOString() };
  await store.saveEnrolment(device);
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
