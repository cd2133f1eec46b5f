// What the volunteer app keeps on the phone, in IndexedDB (through `idb`):
//   meta      — key/value: `device` ({id, name, points, credential, revoked?}), `deviceKey` (device-key.js: {deviceId,
//               keyPair (its private key non-extractable), publicKey, registered}), `currentShift` (a shift id),
//               `ticketTrust` (trust.js), `syncStatus` (sync.js), `outboxCounter` (events.js), `push` (push.js)
//   shifts    — one record per volunteer signed in on this phone: {id, token, validUntil, user, pin, failures, locked}
//   packs     — key distribution id → {distributionId, pack, body, signature, signedAt, etag, size, downloadedAt,
//               from} (packs.js)
//   outbox    — the events this phone recorded that the server has not confirmed yet (events.js, sync.js):
//               {id, distributionId, order, event, hash, signature?, recordedAt, refused?}; indexes `distribution`,
//               `order` (`signature`: the device's, beside the event, never in it: docs/sync-protocol.md)
//   log       — every event this phone knows for a distribution and the server confirmed: its own (moved from the
//               outbox on `accepted`/`duplicate`) and the other phones' (pulled): {id, distributionId, event, own,
//               hash?, signature?, confirmedAt}; index `distribution`. Events another phone showed through its screen
//               (sync.js storeReceived) are there too, not confirmed yet: {…, own: false, via: 'phone', from,
//               signature?, forward: 1, confirmedAt: null, receivedAt}, until the server has them (store and
//               forward: sync.js `forward`) and a pull brings them back confirmed; index `forward` (1: to carry to
//               the server; the key is taken off once it is there or refused, so the index holds only what waits)
//   chains    — key distribution id → {seq, prevHash}: this phone's hash chain for that distribution (events.js)
//   syncState — key distribution id → {cursor, lastSyncAt, lastError}: the pull cursor per distribution (sync.js)
// Upgrades fall through version by version (`switch (oldVersion)`), as idb's README shows: a phone that skipped a
// version runs every step after the one it has, in order, and nothing it stored is lost.
import { openDB } from 'idb';

const NAME = 'comptoir';
const VERSION = 3;

let opening = null;

/**
 * The open database (one connection per page or worker, opened on first use). Modules that write several stores
 * together (events.js, sync.js) open their own transaction on it, so that a record and its effects commit or fail
 * as one.
 * @returns {Promise<import('idb').IDBPDatabase>}
 */
export function database() {
  if (!opening) {
    opening = openDB(NAME, VERSION, {
      // Another tab (or a new service worker) wants a newer version: let it upgrade rather than block it; this page
      // opens the database again on its next call (and should reload to get the new code).
      blocking() {
        opening?.then((db) => db.close());
        opening = null;
      },
      // The browser closed the connection (storage cleared, disk trouble): open again on the next call.
      terminated() {
        opening = null;
      },
      upgrade(db, oldVersion, _newVersion, transaction) {
        switch (oldVersion) {
          case 0:
            db.createObjectStore('meta');
            db.createObjectStore('shifts', { keyPath: 'id' });
          // falls through
          case 1: {
            db.createObjectStore('packs');
            const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
            outbox.createIndex('distribution', 'distributionId');
            outbox.createIndex('order', 'order', { unique: true });
            const log = db.createObjectStore('log', { keyPath: 'id' });
            log.createIndex('distribution', 'distributionId');
            db.createObjectStore('chains');
            db.createObjectStore('syncState');
          }
          // falls through
          case 2:
            transaction.objectStore('log').createIndex('forward', 'forward');
          // falls through: later versions add their steps here
        }
      },
    });
  }
  return opening;
}

export async function getMeta(key) {
  return (await database()).get('meta', key);
}

export async function setMeta(key, value) {
  return (await database()).put('meta', value, key);
}

export async function getDevice() {
  return getMeta('device');
}

/** Change some fields of the stored device in one transaction (nothing else awaited inside it). */
export async function updateDevice(changes) {
  const db = await database();
  const tx = db.transaction('meta', 'readwrite');
  const device = await tx.store.get('device');
  const updated = { ...device, ...changes };
  await Promise.all([tx.store.put(updated, 'device'), tx.done]);
  return updated;
}

export async function getDeviceKey() {
  return getMeta('deviceKey');
}

export async function setDeviceKey(key) {
  return setMeta('deviceKey', key);
}

/**
 * Keep `key` as the device's key unless one for the same device is there already (another tab, or the service
 * worker, made one at the same time): one read-write transaction, so two makers never both win. Returns the key kept.
 */
export async function claimDeviceKey(key) {
  const db = await database();
  const tx = db.transaction('meta', 'readwrite');
  const existing = await tx.store.get('deviceKey');
  if (existing?.deviceId === key.deviceId) {
    await tx.done;
    return existing;
  }
  await Promise.all([tx.store.put(key, 'deviceKey'), tx.done]);
  return key;
}

/**
 * A new enrolment: the device replaces any earlier one, and the earlier device's sign-ins and signing key go with
 * it. `key` (device-key.js) is the key pair made for this enrolment, or null (no Ed25519 in this browser).
 */
export async function saveEnrolment(device, key = null) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  const meta = tx.objectStore('meta');
  await Promise.all([
    key ? meta.put(key, 'deviceKey') : meta.delete('deviceKey'),
    tx.objectStore('meta').put(device, 'device'),
    tx.objectStore('meta').delete('currentShift'),
    tx.objectStore('shifts').clear(),
    tx.done,
  ]);
}

export async function getShifts() {
  return (await database()).getAll('shifts');
}

export async function getShift(id) {
  return (await database()).get('shifts', id);
}

/** Store a volunteer's new shift and make it the current one; their earlier shift on this phone is replaced. */
export async function addShift(shift) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  const shifts = tx.objectStore('shifts');
  const earlier = (await shifts.getAll()).filter((s) => s.user.id === shift.user.id);
  await Promise.all([
    ...earlier.map((s) => shifts.delete(s.id)),
    shifts.put(shift),
    tx.objectStore('meta').put(shift.id, 'currentShift'),
    tx.done,
  ]);
}

export async function putShift(shift) {
  return (await database()).put('shifts', shift);
}

export async function removeShift(id) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  const current = await tx.objectStore('meta').get('currentShift');
  await Promise.all([
    tx.objectStore('shifts').delete(id),
    current === id ? tx.objectStore('meta').delete('currentShift') : Promise.resolve(),
    tx.done,
  ]);
}

export async function getCurrentShift() {
  const id = await getMeta('currentShift');
  return id ? getShift(id) : undefined;
}

export async function setCurrentShift(id) {
  return setMeta('currentShift', id);
}

/**
 * How many events wait in the outbox (refused ones included): one `count()` request, for the
 * `X-Comptoir-Pending` header of every API call (api.js).
 * @returns {Promise<number>}
 */
export async function outboxCount() {
  return (await database()).count('outbox');
}

// Persistent storage: without it, a browser short of space may evict this origin's data, outbox included.

/**
 * Ask the browser to keep this origin's storage (IndexedDB included) under storage pressure. Chromium grants it to
 * installed or much-used apps without a prompt; Safari decides by itself; Firefox may ask. Resolves to whether
 * storage is now persistent (false where the API does not exist).
 * @returns {Promise<boolean>}
 */
export async function requestPersistentStorage() {
  if (!navigator.storage?.persist) return false;
  try {
    return (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch {
    return false;
  }
}

/**
 * Whether this origin's storage is persistent, without asking (for the status screen).
 * @returns {Promise<boolean>}
 */
export async function persisted() {
  if (!navigator.storage?.persisted) return false;
  try {
    return await navigator.storage.persisted();
  } catch {
    return false;
  }
}

// Change notices: a tab, or the service worker, that recorded or synced events tells the others (and itself), so
// every open screen can redraw its counts without polling.

const CHANNEL = 'comptoir-data';
const listeners = new Set();
let channel = null;

const storedListeners = new Set();
const STORED = 'stored'; // the quiet notice of eventsStored: not a data change the screens redraw for

function openChannel() {
  if (!channel && typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (message) => {
      const targets = message.data?.what === STORED ? storedListeners : listeners;
      for (const callback of targets) callback(message.data);
    };
  }
  return channel;
}

/**
 * Call `callback({what, distributionId})` after data changed in this context or another (another tab, the service
 * worker). `what` is `recorded`, `synced`, `pack` or `refused`. Returns a function that stops the notices.
 * @param {(change: {what: string, distributionId?: number}) => void} callback
 * @returns {() => void}
 */
export function onDataChange(callback) {
  openChannel();
  listeners.add(callback);
  return () => listeners.delete(callback);
}

/** Tell this context's listeners and the other contexts that data changed (see onDataChange). */
export function dataChanged(what, distributionId) {
  const change = distributionId === undefined ? { what } : { what, distributionId };
  for (const callback of listeners) callback(change);
  openChannel()?.postMessage(change);
}

/**
 * Call `callback({distributionId})` whenever this context or another wrote a distribution's events (the outbox or
 * the log), including the writes of a sync still running (pulled events, confirmed ones), which `onDataChange`
 * only hears of at its end: for what keeps a copy of the events in memory (projection.js `keptView`).
 * Returns a function that stops the notices.
 */
export function onEventsStored(callback) {
  openChannel();
  storedListeners.add(callback);
  return () => storedListeners.delete(callback);
}

/** Tell this context and the others that a distribution's events were written by a sync (see onEventsStored). */
export function eventsStored(distributionId) {
  const change = { what: STORED, distributionId };
  for (const callback of storedListeners) callback(change);
  openChannel()?.postMessage(change);
}
