// The sync engine: upload what this phone recorded, then pull what the other phones recorded, whenever a network
// is there. The protocol is docs/sync-protocol.md ("Upload and download").
//
// - Upload first, oldest first, in batches of at most 500 (`POST /api/events`, device credential only: the shift
//   that recorded an event may have ended by the time the phone is back online). An event leaves the outbox only
//   on an answer `accepted` or `duplicate` for it, and goes to the log in the same transaction. A `rejected` event
//   stays in the outbox marked refused, with the server's reason, for the screens to show: never dropped, never
//   sent again by itself (the refusal is definitive: `retryRefused` sends it again once an admin fixed the cause),
//   and never in the way of the events after it.
// - Then pull, per distribution whose pack is on the phone (`GET /api/distributions/<id>/events?since=<cursor>`,
//   with a volunteer's shift), while `more`. The events and the new cursor are written in one transaction. A `409
//   cursor_unknown` (the server lost events: restored from a backup) puts this phone's confirmed events of that
//   distribution back in the outbox (the server answers `duplicate` for those it has and takes back the others),
//   downloads the pack again and pulls from "0".
// - No answer, or a 5xx: the attempt stops, nothing is lost, and the next one waits longer (exponential backoff
//   with jitter) unless the network comes back. One sync at a time across tabs and the service worker (Web Locks).
//
// For the service worker (pwa/sw.js bundles this module): syncAll() and SYNC_TAG. Nothing here touches `window`
// or `document` except startAutoSync. In the worker:
//
//     self.addEventListener('sync', (event) => {
//       if (event.tag === SYNC_TAG) event.waitUntil(syncAll());
//     });
//
// syncAll() rejects when the attempt should be retried (offline, server error), which tells Background Sync to try
// again later; it resolves otherwise.
import { ApiError, NetworkError, refusal, send } from './api.js';
import { ensureKeyRegistered } from './device-key.js';
import { downloadPack } from './packs.js';
import { distributionView, orderStatus, undoableEvents } from './projection.js';
import { SYNC_TAG, requestBackgroundSync } from './update.js';
import {
  database,
  dataChanged,
  eventsStored,
  getCurrentShift,
  getDevice,
  getMeta,
  getShifts,
  onDataChange,
  setMeta,
} from './store.js';

export { distributionView, orderStatus, undoableEvents };

// The Background Sync tag and its registration belong to the service worker's module (pwa/src/update.js).
export { SYNC_TAG };
/** At most this many events per upload (the server takes 1,000; 500 keeps a request short on a poor network). */
export const BATCH_SIZE = 500;
/** At most this many events per pull request (the server's default). */
export const PULL_LIMIT = 500;
const LOCK = 'comptoir-sync';
const STATUS_KEY = 'syncStatus';
/** A log entry's `forward` while it waits to be carried to the server: a number, as an IndexedDB key must be. */
const FORWARD = 1;
const GZIP_ABOVE = 2048; // characters of JSON: smaller bodies gain nothing from gzip
const TIMEOUT_MS = 60000; // per request: 500 gzipped events are about 50 KB, a minute even on a poor 2G link
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;

/**
 * Why a sync attempt failed, as a reason key for the screens (i18n), or null:
 * `network` (no answer), `server_error` (a 5xx), `not_enrolled`, `device_revoked`, `device_unknown`, `shift_required`
 * (no usable shift to pull with: the upload still happened), another API reason (`forbidden_point`,
 * `shift_expired`…), or `unexpected` (a bug).
 * @typedef {string|null} SyncError
 */

/** Whether a failure is worth retrying by itself (the network or the server may be back soon). */
function retryable(error) {
  return error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);
}

function reasonOf(error) {
  if (error instanceof NetworkError) return 'network';
  if (error instanceof ApiError) return error.status >= 500 ? 'server_error' : error.reason;
  return error?.reason ?? 'unexpected';
}

class SyncStop extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

// Upload

async function gzipped(text) {
  if (text.length < GZIP_ABOVE || typeof CompressionStream === 'undefined') return { body: text, headers: {} };
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  const body = await new Response(stream).arrayBuffer();
  return { body, headers: { 'Content-Encoding': 'gzip' } };
}

/** The oldest `limit` outbox entries not refused, in recording order. */
async function nextBatch(limit) {
  const db = await database();
  const batch = [];
  let cursor = await db.transaction('outbox').store.index('order').openCursor();
  while (cursor && batch.length < limit) {
    if (!cursor.value.refused) batch.push(cursor.value);
    cursor = await cursor.continue();
  }
  return batch;
}

/** Write the server's answer for a batch of the outbox: confirmed events move to the log, refused ones are marked. */
async function applyOwn(batch, results, totals) {
  const db = await database();
  const tx = db.transaction(['outbox', 'log'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const log = tx.objectStore('log');
  const now = new Date().toISOString();
  const writes = [];
  let settled = 0;
  for (const result of results) {
    const entry = batch[result.index];
    if (!entry || (result.id !== null && result.id !== undefined && result.id !== entry.id)) continue;
    if (result.status === 'accepted' || result.status === 'duplicate') {
      writes.push(outbox.delete(entry.id));
      writes.push(
        log.put({
          id: entry.id,
          distributionId: entry.distributionId,
          event: entry.event,
          hash: entry.hash,
          ...(entry.signature ? { signature: entry.signature } : {}),
          own: true,
          confirmedAt: now,
        }),
      );
      totals[result.status === 'accepted' ? 'accepted' : 'duplicates'] += 1;
      settled += 1;
    } else if (result.status === 'rejected') {
      const refused = { reason: result.reason ?? 'rejected', errors: result.errors ?? [], at: now };
      writes.push(outbox.put({ ...entry, refused }));
      totals.refused += 1;
      settled += 1;
    }
  }
  await Promise.all([...writes, tx.done]);
  for (const distributionId of new Set(batch.map((entry) => entry.distributionId))) eventsStored(distributionId);
  if (results.some((result) => result.status === 'rejected')) dataChanged('refused');
  return settled;
}

/**
 * An outbox entry as uploaded: the event's fields, with the device's `signature` beside them once the server has
 * this phone's key (device-key.js; until then the server could not verify it, and the phone's own events need none).
 */
export function uploadItem(entry, signed) {
  return signed && entry.signature ? { ...entry.event, signature: entry.signature } : entry.event;
}

/** A pulled (or received) event split into the event's own fields and the signature that travels beside them. */
export function withoutSignature(item) {
  const { signature, ...event } = item;
  return { event, signature: typeof signature === 'string' ? signature : undefined };
}

/** `limit` received events this phone carries to the server (store and forward): the log's `forward` index. */
async function nextForwarded(limit) {
  return (await database()).getAllFromIndex('log', 'forward', FORWARD, limit);
}

/** Write the server's answer for forwarded events: `accepted` or `duplicate` clears the flag, a refusal is kept on the
 * entry (`forwardRefused`) and the event is not sent again by itself. */
async function applyForwarded(batch, results, totals) {
  const tx = (await database()).transaction('log', 'readwrite');
  const now = new Date().toISOString();
  const writes = [];
  let settled = 0;
  for (const result of results) {
    const entry = batch[result.index];
    if (!entry || result.id !== entry.id) continue;
    const { forward: _sent, ...kept } = entry; // out of the index either way
    if (result.status === 'accepted' || result.status === 'duplicate') {
      writes.push(tx.store.put({ ...kept, forwardedAt: now }));
      totals.forwarded += 1;
      settled += 1;
    } else if (result.status === 'rejected') {
      writes.push(tx.store.put({ ...kept, forwardRefused: { reason: result.reason ?? 'rejected', at: now } }));
      settled += 1;
    }
  }
  await Promise.all([...writes, tx.done]);
  return settled;
}

/**
 * Send what `next(size)` gives, batch after batch, until it gives less than asked: gzipped, halved while the server
 * finds a batch too large (long notes), each answer written by `apply(batch, results, totals)`, which says how many
 * entries it settled (all of them, or the sync stops: never loop on an answer that settles nothing).
 */
async function sendAll(next, item, apply, totals) {
  let size = BATCH_SIZE;
  for (;;) {
    const batch = await next(size);
    if (!batch.length) return;
    const { body, headers } = await gzipped(JSON.stringify({ events: batch.map(item) }));
    const answer = await send('POST', '/api/events', {
      rawBody: body,
      headers: { ...headers, 'Content-Type': 'application/json' },
      timeoutMs: TIMEOUT_MS,
    });
    if (answer.status === 413 && answer.data?.error?.reason === 'body_too_large' && size > 1) {
      size = Math.ceil(size / 2);
      continue;
    }
    const results = answer.data?.results;
    if ((!answer.ok && answer.status !== 422) || !Array.isArray(results)) throw refusal(answer);
    if ((await apply(batch, results, totals)) < batch.length) throw new SyncStop('unexpected');
    if (batch.length < size) return;
  }
}

/** This phone's outbox: its own events, signed once the server has its key. */
async function upload(totals) {
  const signed = await ensureKeyRegistered();
  await sendAll(nextBatch, (entry) => uploadItem(entry, signed), applyOwn, totals);
}

/**
 * Store and forward: the events this phone received from another phone (the QR transfer stores them in the log with
 * `own: false`, their `signature`, and `forward: 1` until the server is known to have them) go up after its own,
 * each with its recording device's signature; the server checks that signature, not this phone's identity
 * (docs/sync-protocol.md, "Device signatures and store-and-forward").
 */
async function forward(totals) {
  await sendAll(nextForwarded, (entry) => uploadItem(entry, true), applyForwarded, totals);
}

// Pull

/** The shift to pull with: the current volunteer's if still good, else any other volunteer's signed in here. */
async function usableShift() {
  const good = (shift) => shift && !shift.locked && !shift.ended && Date.parse(shift.validUntil) > Date.now();
  const current = await getCurrentShift();
  if (good(current)) return current;
  const others = (await getShifts()).filter(good);
  others.sort((a, b) => Date.parse(b.validUntil) - Date.parse(a.validUntil));
  return others[0] ?? null;
}

async function putSyncState(distributionId, changes) {
  const db = await database();
  const tx = db.transaction('syncState', 'readwrite');
  const state = (await tx.store.get(distributionId)) ?? { cursor: '0', lastSyncAt: null, lastError: null };
  const updated = { ...state, ...changes };
  await Promise.all([tx.store.put(updated, distributionId), tx.done]);
  return updated;
}

/** Store pulled events and the cursor after them in one transaction: the cursor never runs ahead of the log. */
async function storePulled(distributionId, events, cursor) {
  const db = await database();
  const tx = db.transaction(['log', 'syncState'], 'readwrite');
  const log = tx.objectStore('log');
  const now = new Date().toISOString();
  const writes = [];
  for (const pulled of events) {
    // The recording device's signature is kept beside the event, never in it: this phone can pass it on.
    const { event, signature } = withoutSignature(pulled);
    const entry = { id: event.id, distributionId: event.distribution_id, event, own: false, confirmedAt: now };
    if (signature) entry.signature = signature;
    writes.push(log.get(event.id).then((known) => (known?.own ? undefined : log.put(entry))));
  }
  const states = tx.objectStore('syncState');
  const state = (await states.get(distributionId)) ?? {};
  writes.push(states.put({ ...state, cursor, lastSyncAt: now, lastError: null }, distributionId));
  await Promise.all([...writes, tx.done]);
  if (events.length) eventsStored(distributionId);
}

/**
 * Store the events another phone handed over through its screen (transfer.js) as if pulled: in the log, not this
 * phone's own, so the lists, the "déjà remis" warning and the balances count them, and never in the outbox. Each
 * signed one is marked `forward`: this phone carries it to the server with its recording device's signature (store
 * and forward), and the server keeps it once whoever brings it. The pull cursor stays where it is: the next pull
 * brings them again, confirmed (stored once, by id). Events this phone already holds (outbox or log) are skipped.
 * Each entry notes `via: 'phone'` and the sending device.
 * @param {number} distributionId
 * @param {object[]} events whole events, every key kept (a signature included)
 * @param {string} from the sending device's id
 * @returns {Promise<object[]>} the events that were new here, stored
 */
export async function storeReceived(distributionId, events, from) {
  const db = await database();
  const tx = db.transaction(['outbox', 'log'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const log = tx.objectStore('log');
  const now = new Date().toISOString();
  const held = await Promise.all(
    events.map((event) => Promise.all([outbox.get(event.id), log.get(event.id)]).then(([a, b]) => Boolean(a || b))),
  );
  const fresh = [];
  const seen = new Set();
  events.forEach((item, i) => {
    if (held[i] || seen.has(item.id) || item.distribution_id !== distributionId) return;
    seen.add(item.id);
    fresh.push(item);
  });
  const writes = fresh.map((item) => {
    // Kept as a pull keeps it (the signature beside the event); a signed one goes up with this phone's next sync
    // (store and forward, `forward` above), whichever phone reaches the server first.
    const { event, signature } = withoutSignature(item);
    const entry = { id: event.id, distributionId, event, own: false, via: 'phone', from, confirmedAt: null };
    return log.put(signature ? { ...entry, signature, forward: FORWARD, receivedAt: now } : { ...entry, receivedAt: now });
  });
  await Promise.all([...writes, tx.done]);
  if (fresh.length) {
    eventsStored(distributionId);
    dataChanged('received', distributionId);
  }
  return fresh;
}

/** Put this phone's confirmed events of a distribution back in the outbox, in their recording order. */
async function requeueOwn(distributionId) {
  const db = await database();
  const tx = db.transaction(['outbox', 'log', 'meta'], 'readwrite');
  const log = tx.objectStore('log');
  const own = (await log.index('distribution').getAll(distributionId)).filter((entry) => entry.own);
  own.sort((a, b) => a.event.seq - b.event.seq);
  const meta = tx.objectStore('meta');
  let order = (await meta.get('outboxCounter')) ?? 0;
  const writes = [];
  for (const entry of own) {
    order += 1;
    const { event, hash, signature } = entry;
    writes.push(log.delete(entry.id));
    const requeued = { id: entry.id, distributionId, order, event, hash, recordedAt: event.device_time };
    writes.push(tx.objectStore('outbox').put(signature ? { ...requeued, signature } : requeued));
  }
  writes.push(meta.put(order, 'outboxCounter'));
  await Promise.all([...writes, tx.done]);
  eventsStored(distributionId);
  return own.length;
}

async function pull(distributionId, shift, totals) {
  let { cursor } = (await (await database()).get('syncState', distributionId)) ?? { cursor: '0' };
  let restarted = false;
  for (;;) {
    const query = `since=${encodeURIComponent(cursor)}&limit=${PULL_LIMIT}`;
    const path = `/api/distributions/${distributionId}/events?${query}`;
    const answer = await send('GET', path, { shift, timeoutMs: TIMEOUT_MS });
    if (answer.status === 409 && answer.data?.error?.reason === 'cursor_unknown' && !restarted) {
      restarted = true;
      await requeueOwn(distributionId);
      await putSyncState(distributionId, { cursor: '0' });
      cursor = '0';
      await upload(totals); // upload before download, as ever
      await downloadPack(distributionId, shift);
      continue;
    }
    if (!answer.ok) throw refusal(answer);
    const { events, more } = answer.data;
    await storePulled(distributionId, events, answer.data.cursor);
    totals.pulled += events.length;
    if (!more || answer.data.cursor === cursor) return;
    cursor = answer.data.cursor;
  }
}

async function pullAll(totals) {
  const distributions = await (await database()).getAllKeys('packs');
  if (!distributions.length) return null;
  const shift = await usableShift();
  if (!shift) return 'shift_required';
  let firstError = null;
  for (const distributionId of distributions) {
    try {
      await pull(distributionId, shift, totals);
    } catch (error) {
      if (retryable(error) || !(error instanceof ApiError)) throw error;
      // This distribution is refused (forbidden_point, a shift that ended…): note it, go on with the others.
      await putSyncState(distributionId, { lastError: error.reason });
      firstError ??= error.reason;
    }
  }
  return firstError;
}

/**
 * Pull what the other phones already recorded for one distribution, now, awaited: right after its pack is taken
 * ("Télécharger / Mettre à jour"), so a phone that goes offline at once still knows who was handed over elsewhere
 * and what was taken from the members' accounts (the pack holds the balances before the distribution). Under the
 * same lock as a sync. Throws a NetworkError (no answer) or an ApiError (a 5xx, `forbidden_point`, a shift that
 * ended…); the failure is noted in the distribution's sync state (`lastError`).
 * @param {number} distributionId
 * @param {{token: string}} [shift] default: the current volunteer's, else any usable one signed in here
 * @returns {Promise<{pulled: number}>} how many events of other phones arrived
 */
export async function pullDistribution(distributionId, shift) {
  const work = async () => {
    const totals = { accepted: 0, duplicates: 0, refused: 0, pulled: 0 };
    const volunteer = shift ?? (await usableShift());
    if (!volunteer) throw new SyncStop('shift_required');
    try {
      await pull(distributionId, volunteer, totals);
    } catch (error) {
      await putSyncState(distributionId, { lastError: reasonOf(error) });
      throw error;
    }
    return { pulled: totals.pulled };
  };
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? locks.request(LOCK, work) : work();
}

// One attempt

/**
 * @typedef {object} SyncResult
 * @property {boolean} ok the upload and every pull went through (refused events do not make it false)
 * @property {SyncError} error
 * @property {boolean} retry whether it is worth trying again by itself soon
 * @property {number} accepted events the server took
 * @property {number} duplicates events it already had (an earlier answer was lost)
 * @property {number} refused events it refused in this attempt (see refusedEvents())
 * @property {number} pulled other phones' events received
 * @property {number} forwarded other phones' events this phone carried to the server (store and forward)
 */

async function attempt() {
  const totals = { accepted: 0, duplicates: 0, refused: 0, pulled: 0, forwarded: 0 };
  const started = new Date().toISOString();
  let error = null;
  let retry = false;
  let uploaded = false;
  try {
    const device = await getDevice();
    if (!device?.credential) throw new SyncStop('not_enrolled');
    if (device.revoked) throw new SyncStop('device_revoked');
    await upload(totals);
    await forward(totals);
    uploaded = true;
    error = await pullAll(totals);
  } catch (caught) {
    error = reasonOf(caught);
    retry = retryable(caught);
    if (!(caught instanceof NetworkError || caught instanceof ApiError || caught instanceof SyncStop)) {
      console.error('sync failed', caught);
    }
  }
  const previous = (await getMeta(STATUS_KEY)) ?? {};
  await setMeta(STATUS_KEY, {
    ...previous,
    lastAttemptAt: started,
    // Every pending event reached the server (the pulls may still have failed: see lastError and distributions).
    lastSyncAt: uploaded ? new Date().toISOString() : (previous.lastSyncAt ?? null),
    lastError: error,
  });
  dataChanged('synced');
  return { ok: error === null, error, retry, ...totals };
}

let running = null;

/**
 * Sync now: upload, then pull. Resolves (never rejects) with what happened; a call while a sync runs in this page
 * gets that sync's result, and a sync in another tab or the service worker is waited for (Web Locks). Does not
 * wait for the backoff: the "Envoyer" button.
 * @returns {Promise<SyncResult>}
 */
export function syncNow() {
  if (!running) {
    const locked = typeof navigator !== 'undefined' && navigator.locks
      ? navigator.locks.request(LOCK, () => attempt())
      : attempt();
    const settled = locked.catch((error) => {
      console.error('sync failed', error); // storage itself failed: say so, and try again later
      return {
        ok: false,
        error: 'unexpected',
        retry: true,
        accepted: 0,
        duplicates: 0,
        refused: 0,
        pulled: 0,
        forwarded: 0,
      };
    });
    running = settled.then(afterAttempt).finally(() => {
      running = null;
    });
  }
  return running;
}

/**
 * For the service worker's `sync` event (and any worker): one sync, rejecting when it should be retried later
 * (offline, server error), as Background Sync expects from `event.waitUntil`.
 * @returns {Promise<SyncResult>}
 */
export async function syncAll() {
  const result = await syncNow();
  if (result.retry) throw new Error(`sync failed: ${result.error}`);
  return result;
}

// Status

/**
 * What the volunteer recorded, counted as they did it: a hand-over and the payments for the same order waiting with
 * it are one action (one tap recorded them), every other event one action each.
 * @param {Array<{distributionId: number, event: object}>} entries outbox entries not refused
 * @returns {number}
 */
export function pendingActions(entries) {
  const handedOver = new Set(
    entries
      .filter((entry) => entry.event.type === 'handover')
      .map((entry) => `${entry.distributionId}:${entry.event.payload.order_id}`),
  );
  return entries.filter(
    (entry) =>
      !(
        entry.event.type === 'payment' &&
        entry.event.payload.order_id != null &&
        handedOver.has(`${entry.distributionId}:${entry.event.payload.order_id}`)
      ),
  ).length;
}

/**
 * What the status bar shows.
 * @returns {Promise<{pending: number, actions: number, carried: number, refused: number, lastSyncAt: string|null,
 *   lastAttemptAt: string|null, lastError: SyncError, running: boolean, nextRetryAt: string|null,
 *   distributions: Array<{distributionId: number, cursor: string, lastSyncAt: string|null, lastError: SyncError}>}>}
 *   `pending`: events waiting for the server; `actions`: the same counted as the volunteer recorded them
 *   (`pendingActions`); `carried`: the other phones' actions this phone received and still takes to the server (store
 *   and forward), counted alike; `refused`: events it refused (refusedEvents()); `lastSyncAt`: when
 *   the outbox was last emptied of everything the server would take (the pulls are per distribution:
 *   `distributions[].lastSyncAt`); `lastError`: the last attempt's failure, null when it all went through
 */
export async function status() {
  const db = await database();
  const tx = db.transaction(['outbox', 'syncState', 'meta', 'log'], 'readonly');
  const [entries, keys, states, saved, carried] = await Promise.all([
    tx.objectStore('outbox').getAll(),
    tx.objectStore('syncState').getAllKeys(),
    tx.objectStore('syncState').getAll(),
    tx.objectStore('meta').get(STATUS_KEY),
    tx.objectStore('log').index('forward').getAll(FORWARD),
    tx.done,
  ]);
  const refused = entries.filter((entry) => entry.refused).length;
  return {
    pending: entries.length - refused,
    actions: pendingActions(entries.filter((entry) => !entry.refused)),
    carried: pendingActions(carried),
    refused,
    lastSyncAt: saved?.lastSyncAt ?? null,
    lastAttemptAt: saved?.lastAttemptAt ?? null,
    lastError: saved?.lastError ?? null,
    running: running !== null,
    nextRetryAt: retryTimer ? new Date(nextRetryAt).toISOString() : null,
    distributions: keys.map((distributionId, i) => ({ distributionId, ...states[i] })),
  };
}

/**
 * The events the server refused, oldest first, with its reason (`malformed`, `forbidden_point`,
 * `shift_not_valid`, `wrong_device`, `distribution_unknown`, `id_reused`…) and field errors: for the screens to
 * show, in plain words, until someone deals with them.
 * @returns {Promise<Array<{id: string, distributionId: number, event: object, reason: string, errors: object[],
 *   at: string}>>}
 */
export async function refusedEvents() {
  const entries = await (await database()).getAllFromIndex('outbox', 'order');
  return entries
    .filter((entry) => entry.refused)
    .map((entry) => ({ id: entry.id, distributionId: entry.distributionId, event: entry.event, ...entry.refused }));
}

/**
 * Send refused events again at the next sync (after an admin fixed the cause, e.g. gave the volunteer access to the
 * point). The same events, the same ids: nothing can be doubled.
 * @param {string[]} [ids] default: every refused event
 * @returns {Promise<number>} how many were put back
 */
export async function retryRefused(ids) {
  const db = await database();
  const tx = db.transaction('outbox', 'readwrite');
  const entries = await tx.store.getAll();
  const chosen = entries.filter((entry) => entry.refused && (!ids || ids.includes(entry.id)));
  // The refusal is kept as `retriedAfter`, so the history of the event stays readable.
  const puts = chosen.map(({ refused, ...entry }) => tx.store.put({ ...entry, retriedAfter: refused }));
  await Promise.all([...puts, tx.done]);
  if (chosen.length) dataChanged('refused');
  return chosen.length;
}

// Automatic sync (pages only)

let failures = 0;
let retryTimer = null;
let nextRetryAt = 0;
let autoSyncing = false;

/**
 * The wait before retry number `failures` (1, 2, …): exponential from 2 s, capped at 5 minutes, with "equal
 * jitter" (half fixed, half random) so that phones which lost the network together do not come back together.
 * @param {number} failureCount
 * @param {() => number} [random]
 * @returns {number} milliseconds
 */
export function backoffDelay(failureCount, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failureCount - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function afterAttempt(result) {
  if (result.retry) {
    failures += 1;
    nextRetryAt = Date.now() + backoffDelay(failures);
    if (autoSyncing) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        syncNow();
      }, nextRetryAt - Date.now());
      requestBackgroundSync();
    }
  } else {
    failures = 0;
    nextRetryAt = 0;
    clearTimeout(retryTimer);
    retryTimer = null;
  }
  return result;
}

/**
 * Sync by itself while the app is open: now, when the network comes back (and the backoff starts again), every
 * `intervalMs` while the page is visible and online (respecting the backoff), a few seconds after an event is
 * recorded (so other phones see hand-overs soon), and through Background Sync when an event is recorded offline.
 * Returns a function that stops it.
 * @param {{intervalMs?: number, afterRecordMs?: number}} [options]
 * @returns {() => void}
 */
export function startAutoSync({ intervalMs = 60000, afterRecordMs = 3000 } = {}) {
  if (autoSyncing) return stopAutoSync;
  autoSyncing = true;
  const due = () => navigator.onLine && Date.now() >= nextRetryAt;
  const visible = () => document.visibilityState === 'visible';
  let soon = null;
  const onOnline = () => {
    failures = 0;
    nextRetryAt = 0;
    syncNow();
  };
  const onVisible = () => {
    if (visible() && due()) syncNow();
  };
  const timer = setInterval(() => {
    if (visible() && due()) syncNow();
  }, intervalMs);
  const stopChanges = onDataChange((change) => {
    if (change.what !== 'recorded') return;
    if (!navigator.onLine) {
      requestBackgroundSync();
      return;
    }
    clearTimeout(soon);
    soon = setTimeout(() => due() && syncNow(), afterRecordMs);
  });
  window.addEventListener('online', onOnline);
  document.addEventListener('visibilitychange', onVisible);
  stopAutoSync = () => {
    autoSyncing = false;
    clearInterval(timer);
    clearTimeout(soon);
    clearTimeout(retryTimer);
    retryTimer = null;
    stopChanges();
    window.removeEventListener('online', onOnline);
    document.removeEventListener('visibilitychange', onVisible);
    stopAutoSync = () => {};
  };
  if (navigator.onLine) syncNow();
  else requestBackgroundSync();
  return stopAutoSync;
}

let stopAutoSync = () => {};
